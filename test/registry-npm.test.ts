// The stock npm client against the registry on 127.0.0.1: publish, view, install, dist-tag, whoami,
// deprecate, owner, stage list, and `npm audit signatures` verifying the registry's ECDSA signatures.
// Each npm runs with its own temporary userconfig and cache; the user's npm config is never read.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createUserToken, FileStore, seedAdvisory, seedPackage, startRegistry, type RunningRegistry } from '../src/registry/index.js';
import { cliPath } from './helpers.js';
import { hasOpenssl, npmSandbox, packageDir, startSigstoreStandIn, tmpDir, type NpmSandbox, type SigstoreStandIn } from './registry-helpers.js';

describe('registry with the npm client', () => {
  let reg: RunningRegistry;
  let data: string;
  let alice: NpmSandbox;
  let anonymous: NpmSandbox;
  let project: string;
  before(async () => {
    data = tmpDir('packsec-npm-data-');
    await seedPackage(data, { name: 'dep-a', version: '1.0.0', time: '2021-03-04T05:06:07.000Z', files: { 'index.js': "module.exports = 'dep-a';\n" } });
    reg = await startRegistry({ dataDir: data, port: 0 });
    alice = npmSandbox(reg.url, createUserToken(new FileStore(data), 'alice', { email: 'alice@example.com' }).token);
    anonymous = npmSandbox(reg.url);
    project = packageDir({ name: 'consumer', version: '1.0.0', private: true }, {});
  });
  after(() => reg.close());

  it('publishes with npm publish, and npm whoami knows the token', async () => {
    const who = await alice.npm(['whoami'], alice.dir);
    assert.equal(who.stdout.trim(), 'alice', who.stderr);
    const lib = packageDir({ name: 'app-lib', version: '1.0.0', description: 'uses dep-a', main: 'index.js', dependencies: { 'dep-a': '^1.0.0' } },
      { 'index.js': "module.exports = 'app-lib + ' + require('dep-a');\n" });
    const r = await alice.npm(['publish'], lib);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ app-lib@1\.0\.0/);
    const scoped = packageDir({ name: '@team/tool', version: '0.1.0' });
    const s = await alice.npm(['publish', '--access', 'public'], scoped);
    assert.equal(s.code, 0, s.stderr);
    const again = await alice.npm(['publish'], lib);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /cannot publish over the previously published versions: 1\.0\.0/);
  });

  it('shows packages with npm view, publisher and signatures included', async () => {
    const r = await anonymous.npm(['view', 'app-lib', '--json'], anonymous.dir);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal(v.name, 'app-lib');
    assert.equal(v.version, '1.0.0');
    assert.equal(v._npmUser, 'alice <alice@example.com>');
    assert.equal(v.dist.signatures[0].keyid, reg.keyid);
    assert.match(v.dist.integrity, /^sha512-/);
    const scoped = await anonymous.npm(['view', '@team/tool', 'version'], anonymous.dir);
    assert.equal(scoped.stdout.trim(), '0.1.0', scoped.stderr);
    const time = await anonymous.npm(['view', 'dep-a', 'time', '--json'], anonymous.dir);
    assert.equal(JSON.parse(time.stdout)['1.0.0'], '2021-03-04T05:06:07.000Z');
    const missing = await anonymous.npm(['view', 'no-such-package'], anonymous.dir);
    assert.match(missing.stderr, /E404/);
  });

  it('installs into a project, dependencies and scoped packages included', async () => {
    const r = await anonymous.npm(['install', 'app-lib', '@team/tool'], project);
    assert.equal(r.code, 0, r.stderr);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    assert.equal(lock.packages['node_modules/app-lib'].resolved, `${reg.url}/app-lib/-/app-lib-1.0.0.tgz`);
    assert.equal(lock.packages['node_modules/@team/tool'].resolved, `${reg.url}/@team/tool/-/tool-0.1.0.tgz`);
    assert.equal(lock.packages['node_modules/dep-a'].version, '1.0.0');
    const out = await new Promise<string>((done) => {
      const child = spawn(process.execPath, ['-p', "require('app-lib')"], { cwd: project });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', () => done(text.trim()));
    });
    assert.equal(out, 'app-lib + dep-a');
  });

  it('manages dist-tags with npm dist-tag', async () => {
    const beta = packageDir({ name: 'app-lib', version: '2.0.0-beta.1', dependencies: { 'dep-a': '^1.0.0' } });
    assert.equal((await alice.npm(['publish', '--tag', 'beta'], beta)).code, 0);
    assert.equal((await alice.npm(['dist-tag', 'add', 'app-lib@1.0.0', 'stable'], alice.dir)).code, 0);
    const ls = await anonymous.npm(['dist-tag', 'ls', 'app-lib'], anonymous.dir);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['beta: 2.0.0-beta.1', 'latest: 1.0.0', 'stable: 1.0.0']);
    assert.equal((await alice.npm(['dist-tag', 'rm', 'app-lib', 'stable'], alice.dir)).code, 0);
    const denied = await anonymous.npm(['dist-tag', 'add', 'app-lib@1.0.0', 'stable'], anonymous.dir);
    assert.notEqual(denied.code, 0);
  });

  it('deprecates with npm deprecate and lists owners with npm owner ls', async () => {
    assert.equal((await alice.npm(['deprecate', 'app-lib@2.0.0-beta.1', 'try 1.0.0'], alice.dir)).code, 0);
    const dep = await anonymous.npm(['view', 'app-lib@2.0.0-beta.1', 'deprecated'], anonymous.dir);
    assert.equal(dep.stdout.trim(), 'try 1.0.0');
    const owners = await anonymous.npm(['owner', 'ls', 'app-lib'], anonymous.dir);
    assert.equal(owners.stdout.trim(), 'alice <alice@example.com>');
  });

  it('answers npm audit with the advisories added to the data folder, gzip request and all', async () => {
    const clean = await anonymous.npm(['audit', '--json'], project);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.equal(JSON.parse(clean.stdout).metadata.vulnerabilities.total, 0);
    seedAdvisory(data, { name: 'dep-a', range: '<1.0.1', severity: 'high', title: 'dep-a leaks', url: 'https://example.com/advisories/1' });
    seedAdvisory(data, { name: 'app-lib', range: '>=3.0.0', severity: 'critical', title: 'not the installed version' });
    const r = await anonymous.npm(['audit', '--json'], project);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    // app-lib is listed only through its dependency: its own advisory is for versions not installed.
    assert.deepEqual(Object.keys(report.vulnerabilities).sort(), ['app-lib', 'dep-a']);
    assert.deepEqual(report.vulnerabilities['app-lib'].via, ['dep-a']);
    assert.equal(report.vulnerabilities['dep-a'].severity, 'high');
    assert.equal(report.vulnerabilities['dep-a'].via[0].title, 'dep-a leaks');
    assert.equal(report.vulnerabilities['dep-a'].via[0].url, 'https://example.com/advisories/1');
  });

  describe('npm audit signatures', { skip: hasOpenssl() ? false : 'needs openssl for the Sigstore TUF stand-in' }, () => {
    let standIn: SigstoreStandIn;
    before(async () => {
      standIn = await startSigstoreStandIn();
    });
    after(() => standIn?.close());

    it('verifies every installed package\'s registry signature, and catches a forged one', async () => {
      const auditor = npmSandbox(reg.url);
      standIn.plantRoot(auditor.env.npm_config_cache!);
      const ok = await auditor.npm(['audit', 'signatures'], project, standIn.env);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /audited 3 packages/);
      assert.match(ok.stdout, /3 packages have verified registry signatures/);
      assert.deepEqual([...new Set(standIn.requested)], ['tuf-repo-cdn.sigstore.dev:443'], 'only the TUF stand-in was reached through the proxy');

      // Swap dep-a's signature for another version's: valid ECDSA, wrong message.
      const file = join(data, 'packages', 'dep-a', 'record.json');
      const record = JSON.parse(readFileSync(file, 'utf8'));
      const other = JSON.parse(readFileSync(join(data, 'packages', 'app-lib', 'record.json'), 'utf8'));
      record.versions['1.0.0'].signatures = other.versions['1.0.0'].signatures;
      record.rev += 1;
      writeFileSync(file, JSON.stringify(record));
      const bad = await auditor.npm(['audit', 'signatures'], project, standIn.env);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /1 package has an invalid registry signature/);
      assert.match(bad.stdout, /dep-a@1\.0\.0/);
    });
  });
});

describe('registry with approval required, with the npm client', () => {
  it('keeps a published version pending: npm says so, installs fail, npm stage list shows it', async () => {
    const data = tmpDir('packsec-npm-pending-');
    const reg = await startRegistry({ dataDir: data, port: 0, approval: 'required' });
    try {
      const alice = npmSandbox(reg.url, createUserToken(new FileStore(data), 'alice').token);
      const pub = await alice.npm(['publish'], packageDir({ name: 'gated-lib', version: '1.0.0' }));
      assert.equal(pub.code, 0, pub.stderr);
      assert.match(pub.stderr, /npm notice gated-lib@1\.0\.0 is pending approval/);
      const view = await alice.npm(['view', 'gated-lib'], alice.dir);
      assert.match(view.stderr, /E404/);
      const install = await alice.npm(['install', 'gated-lib@1.0.0'], packageDir({ name: 'c', version: '1.0.0', private: true }, {}));
      assert.notEqual(install.code, 0);
      const list = await alice.npm(['stage', 'list', '--json'], alice.dir);
      assert.equal(list.code, 0, list.stderr);
      const items = JSON.parse(list.stdout);
      assert.equal(items.length, 1);
      assert.equal(items[0].packageName, 'gated-lib');
      assert.equal(items[0].version, '1.0.0');
      assert.equal(items[0].actor, 'alice');
      // npm stage publish stages whatever the registry's approval mode.
      const staged = await alice.npm(['stage', 'publish'], packageDir({ name: 'gated-lib', version: '1.0.1' }));
      assert.equal(staged.code, 0, staged.stderr);
      const after = JSON.parse((await alice.npm(['stage', 'list', 'gated-lib', '--json'], alice.dir)).stdout);
      assert.deepEqual(after.map((i: { version: string }) => i.version).sort(), ['1.0.0', '1.0.1']);
    } finally {
      await reg.close();
    }
  });
});

describe('packsec registry (the command)', () => {
  it('prints its URL as a JSON line, serves, and stops cleanly on SIGTERM', async () => {
    const data = tmpDir('packsec-cli-reg-');
    const child = spawn(process.execPath, [cliPath, 'registry', '--data', data, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const first = JSON.parse((await iterator.next()).value as string);
    assert.equal(first.event, 'listening');
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(first.port, 0);
    assert.deepEqual(await (await fetch(`${first.url}/-/ping`)).json(), {});
    assert.equal((await fetch(`${first.url}/nothing-here`)).status, 404);
    child.kill('SIGTERM');
    const stopped = JSON.parse((await iterator.next()).value as string);
    assert.deepEqual(stopped, { event: 'stopped', signal: 'SIGTERM' });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /packsec registry listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(stderr, /127\.0\.0\.1 GET \/-\/ping 200 [\d.]+ms/);
    assert.match(stderr, /GET \/nothing-here 404/);
  });

  it('refuses bad options with exit 2', async () => {
    const { runCli } = await import('./helpers.js');
    const dir = tmpDir('packsec-cli-reg-');
    assert.equal(runCli(['registry', '--port', '0'], dir).code, 2);
    assert.equal(runCli(['registry', '--data', dir, '--approval', 'maybe'], dir).code, 2);
    const token = runCli(['registry', 'token', '--data', dir, '--user', '../evil'], dir);
    assert.equal(token.code, 2);
    assert.match(token.stderr, /invalid user name/);
  });
});
