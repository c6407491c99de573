// The whole publish-approval story as users live it, with the real parts: `packsec registry` (approval
// required, its embedded database), the npm client, and Debian's chromium with CDP virtual
// authenticators. A publish stays pending and unreachable; the owner adds a second approval group and
// invites a coworker; both approve in the browser; only then does `npm install` get the version.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers.js';
import { npmSandbox, packageDir, startRegistryProcess, tmpDir, type NpmSandbox } from '../registry-helpers.js';
import { addVirtualAuthenticator, launchChromium, type Chromium, type VirtualAuthenticator } from './chromium.js';

function cli(args: string[], dir: string): string {
  const r = runCli(args, dir);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('publish approval end to end: npm, the gateway and two groups in chromium', { timeout: 300_000 }, () => {
  let data: string;
  let url: string;
  let web: string;
  let server: ChildProcess;
  let alice: NpmSandbox;
  let bob: NpmSandbox;
  /** One browser (profile and authenticator) per approver: their own devices. */
  const browsers = new Map<string, Chromium>();
  const authenticators = new Map<string, VirtualAuthenticator>();
  let browser: Chromium;
  const page = () => browser.page;

  /** Switches to `user`'s browser, with a platform authenticator of their own, signed in with a login link. */
  async function as(user: string): Promise<void> {
    let b = browsers.get(user);
    if (!b) {
      b = await launchChromium();
      browsers.set(user, b);
      authenticators.set(user, await addVirtualAuthenticator(b.page));
    }
    browser = b;
    await signIn(user);
  }

  before(async () => {
    data = tmpDir('packsec-gateway-');
    const aliceToken = cli(['registry', 'token', '--data', data, '--user', 'alice'], data);
    const bobToken = cli(['registry', 'token', '--data', data, '--user', 'bob'], data);
    const started = await startRegistryProcess(data, []);
    url = started.url;
    server = started.process;
    assert.ok(started.approveUrl, 'approval is on by default');
    web = new URL(started.approveUrl).origin;
    assert.equal(new URL(web).hostname, 'localhost', 'WebAuthn needs a host name, not an IP address');
    alice = npmSandbox(url, aliceToken);
    bob = npmSandbox(url, bobToken);
  });
  after(async () => {
    for (const b of browsers.values()) await b.close();
    server?.kill('SIGTERM');
  });

  async function signIn(user: string): Promise<void> {
    await browser.context.clearCookies();
    await page().goto(cli(['registry', 'login-link', '--data', data, '--user', user], data));
    await Promise.all([page().waitForURL(`${web}/-/approve/`), page().click('button[type=submit]')]);
  }

  async function registerDevice(name: string): Promise<void> {
    await page().goto(`${web}/-/approve/devices`);
    await page().fill('#device-name', name);
    await Promise.all([page().waitForURL(`${web}/-/approve/devices?registered=1`), page().click('#register-device')]);
  }

  async function approve(requestPath: string): Promise<string> {
    await page().goto(`${web}${requestPath}`);
    await page().click('#approve');
    await page().waitForSelector('#status[data-kind="ok"], #status[data-kind="error"]', { timeout: 60_000 });
    return (await page().textContent('#status')) ?? '';
  }

  async function publish(version: string): Promise<string> {
    const dir = packageDir({ name: 'team-lib', version }, { 'index.js': `module.exports = '${version}';\n` });
    const r = await alice.npm(['publish'], dir);
    assert.equal(r.code, 0, r.stderr);
    const page = /(\/-\/approve\/[0-9a-f]{32})/.exec(r.stderr + r.stdout);
    assert.ok(page, `npm printed where to approve: ${r.stderr}`);
    return page[1]!;
  }

  async function installs(version: string): Promise<boolean> {
    const app = packageDir({ name: 'app', version: '1.0.0', private: true });
    return (await bob.npm(['install', `team-lib@${version}`], app)).code === 0;
  }

  it('keeps a published version pending and unreachable, and makes it public once its group approves', async () => {
    const pending = await publish('1.0.0');
    assert.equal(await installs('1.0.0'), false, 'npm install fails while pending');
    assert.equal((await fetch(`${url}/team-lib/-/team-lib-1.0.0.tgz`)).status, 404, 'the tarball URL answers 404');
    assert.equal((await fetch(`${url}/team-lib`)).status, 404, 'a package with no public version does not exist');

    await as('alice');
    await registerDevice('alice laptop');
    assert.match(await approve(pending), /approved/);
    assert.equal(await installs('1.0.0'), true, 'npm install gets the approved version');
  });

  it('needs both groups once the owner adds a second one, and each approves in the browser', async () => {
    cli(['registry', 'group', 'add', '--data', data, '--package', 'team-lib', '--name', 'security', '--required', '1'], data);
    const invite = cli(['registry', 'group', 'invite', '--data', data, '--package', 'team-lib', '--name', 'security'], data);
    // The coworker signs in with a login link, joins with the invite link and registers a device.
    await as('bob');
    await page().goto(invite);
    await Promise.all([page().waitForNavigation(), page().click('main button[type=submit]')]);
    assert.match((await page().textContent('h1'))!, /You joined security/);
    await registerDevice('bob laptop');

    const pending = await publish('1.1.0');
    // The owner's approval alone is not enough.
    await as('alice');
    assert.match(await approve(pending), /pending/);
    assert.equal(await installs('1.1.0'), false, 'one group of two approved: still pending');
    await as('bob');
    assert.match(await approve(pending), /approved/);
    assert.equal(await installs('1.1.0'), true, 'npm install gets it once every group approved');
  });
});
