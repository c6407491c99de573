// The whole publish-approval story as users live it, with the real parts: `packsec registry` (approval
// required, its embedded database), the npm client, and Debian's chromium with CDP virtual
// authenticators. A publish stays pending and unreachable; the owner adds a second approval group and
// invites a coworker on the package page, confirming each with their device; both approve in the
// browser; only then does `npm install` get the version. The owner then posts a signed security notice.
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

  /** The owner's page of team-lib, reached from the request list. */
  async function packagePage(): Promise<void> {
    await page().goto(`${web}/-/approve/`);
    await Promise.all([page().waitForURL(`${web}/-/approve/packages`), page().click('#packages-link')]);
    await Promise.all([page().waitForURL(`${web}/-/approve/packages/team-lib`), page().click('a[href="/-/approve/packages/team-lib"]')]);
  }

  async function status(): Promise<string> {
    await page().waitForSelector('#status[data-kind="ok"], #status[data-kind="error"]', { timeout: 60_000 });
    return (await page().textContent('#status')) ?? '';
  }

  it('needs both groups once the owner adds a second one on the package page, and each approves in the browser', async () => {
    // The owner creates the group and the invite link in the web UI, each confirmed with her device.
    await as('alice');
    await packagePage();
    const before = (await authenticators.get('alice')!.credentials())[0]!.signCount;
    await page().fill('#group-name', 'security');
    await page().fill('#group-required', '1');
    await Promise.all([page().waitForURL(`${web}/-/approve/packages/team-lib?done=create-group`), page().click('#create-group')]);
    assert.match((await page().textContent('main .notice'))!, /Group created/);
    const security = page().locator('section.group', { has: page().locator('h3', { hasText: /^security/ }) });
    assert.match((await security.textContent())!, /security cannot reach its count/, 'a group without members is flagged');
    await security.locator('form[data-kind="invite"] button').click();
    assert.match(await status(), /Invite link for security created/);
    const invite = await security.locator('.invite-link input').inputValue();
    assert.match(invite, new RegExp(`^${web}/-/approve/invite#invite=npsi_`));
    assert.equal((await authenticators.get('alice')!.credentials())[0]!.signCount, before + 2, 'each change took an assertion');
    assert.deepEqual(JSON.parse(cli(['registry', 'group', 'list', '--data', data, '--package', 'team-lib', '--json'], data)).groups.map((g: { name: string; required: number }) => [g.name, g.required]),
      [['maintainers', 1], ['security', 1]], 'the operator sees the group made on the page');
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

  it('lets a maintainer post a security notice on the package page, which the registry serves signed', async () => {
    await as('alice');
    await packagePage();
    await page().selectOption('#notice-version', '1.0.0');
    await page().selectOption('#notice-severity', 'moderate');
    await page().fill('#notice-title', 'Leaks the cache folder name');
    await page().fill('#notice-body', 'Upgrade to 1.1.0.');
    await Promise.all([page().waitForURL(`${web}/-/approve/packages/team-lib?done=post-notice`), page().click('#post-notice')]);
    assert.match((await page().textContent('.security-notice'))!, /moderate Leaks the cache folder name/);
    const served = (await (await fetch(`${url}/-/packsec/v1/notices/team-lib`)).json()) as { notices: { version: string; title: string; author: string; signature: string }[] };
    assert.deepEqual(served.notices.map((n) => [n.version, n.title, n.author]), [['1.0.0', 'Leaks the cache folder name', 'alice']]);
    assert.ok(served.notices[0]!.signature);
  });
});
