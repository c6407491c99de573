// The stock npm client against the registry on 127.0.0.1: publish, view, install, dist-tag, whoami,
// deprecate, owner, stage list, and `npm audit signatures` verifying the registry's ECDSA signatures.
// Each npm runs with its own temporary userconfig and cache; the user's npm config is never read. On every store.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addAdvisory, createUserToken, FileStore, seedPackage } from '../src/registry/index.js';
import { cliPath, runCli, runCliAsync } from './helpers.js';
import { hasOpenssl, npmSandbox, packageDir, startSigstoreStandIn, tmpDir, type NpmSandbox, type SigstoreStandIn } from './registry-helpers.js';
import { copyEmbedded, spawnRegistry, startOn, storeKinds, type Started } from './registry-stores.js';

const kinds = storeKinds();

for (const kind of kinds) describe(`registry (${kind.name}) with the npm client`, () => {
  let reg: Started;
  let alice: NpmSandbox;
  let anonymous: NpmSandbox;
  let project: string;
  before(async () => {
    reg = await startOn(kind, { port: 0 });
    await seedPackage(reg.registry, { name: 'dep-a', version: '1.0.0', time: '2021-03-04T05:06:07.000Z', files: { 'index.js': "module.exports = 'dep-a';\n" } });
    alice = npmSandbox(reg.url, (await createUserToken(reg.registry.store, 'alice', { email: 'alice@example.com' })).token);
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
    await addAdvisory(reg.registry.store, { name: 'dep-a', range: '<1.0.1', severity: 'high', title: 'dep-a leaks', url: 'https://example.com/advisories/1' });
    await addAdvisory(reg.registry.store, { name: 'app-lib', range: '>=3.0.0', severity: 'critical', title: 'not the installed version' });
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
      const store = reg.registry.store;
      const record = (await store.readPackage('dep-a'))!;
      const other = (await store.readPackage('app-lib'))!;
      record.versions['1.0.0']!.signatures = other.versions['1.0.0']!.signatures;
      record.rev += 1;
      await store.writePackage(record);
      const bad = await auditor.npm(['audit', 'signatures'], project, standIn.env);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /1 package has an invalid registry signature/);
      assert.match(bad.stdout, /dep-a@1\.0\.0/);
    });
  });
});

for (const kind of kinds) describe(`registry (${kind.name}) with approval required, with the npm client`, () => {
  it('keeps a published version pending: npm says so, installs fail, npm stage list shows it', async () => {
    const reg = await startOn(kind, { port: 0, approval: 'required' });
    try {
      const alice = npmSandbox(reg.url, (await createUserToken(reg.registry.store, 'alice')).token);
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
  it('prints its URL and store as a JSON line, serves, and stops cleanly on SIGTERM', async () => {
    const data = tmpDir('packsec-cli-reg-');
    const { first, stop } = await spawnRegistry(['--data', data]);
    assert.equal(first.event, 'listening');
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(first.port, 0);
    assert.equal(first.store, 'embedded', 'a new data folder gets the embedded database');
    assert.equal(first.database, join(data, 'db'));
    assert.deepEqual(await (await fetch(`${first.url}/-/ping`)).json(), {});
    assert.equal((await fetch(`${first.url}/nothing-here`)).status, 404);
    // The database is open in the server alone: another process asks it for a token over its admin socket.
    const made = await runCliAsync(['registry', 'token', '--data', data, '--user', 'alice', '--json'], data);
    assert.equal(made.code, 0, made.stderr);
    const whoami = await fetch(`${first.url}/-/whoami`, { headers: { authorization: `Bearer ${JSON.parse(made.stdout).token}` } });
    assert.deepEqual(await whoami.json(), { username: 'alice' });
    // The approval gateway keeps its tables in the same database, and answers on the same socket.
    const link = await runCliAsync(['registry', 'login-link', '--data', data, '--user', 'alice'], data);
    assert.equal(link.code, 0, link.stderr);
    assert.match(link.stdout, /^http:\/\/localhost:\d+\/-\/approve\//);
    const { stopped, code, stderr } = await stop();
    assert.deepEqual(stopped, { event: 'stopped', signal: 'SIGTERM' });
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`packsec registry listening on http://127\\.0\\.0\\.1:\\d+  \\(data ${data}, store embedded database ${join(data, 'db')}, approval required\\)`));
    assert.match(stderr, /127\.0\.0\.1 GET \/-\/ping 200 [\d.]+ms/);
    assert.match(stderr, /GET \/nothing-here 404/);
  });

  it('goes on with the JSON records of a folder made before databases, and takes --database or PACKSEC_REGISTRY_DATABASE', async () => {
    const old = tmpDir('packsec-cli-reg-');
    await seedPackage(old, { name: 'kept', version: '1.0.0' });
    const files = await spawnRegistry(['--data', old]);
    assert.equal(files.first.store, 'files');
    assert.equal((await (await fetch(`${files.first.url}/kept`)).json() as { name: string }).name, 'kept');
    assert.equal((await files.stop()).code, 0);
    const chosen = await spawnRegistry(['--data', tmpDir('packsec-cli-reg-')], { PACKSEC_REGISTRY_DATABASE: 'files' });
    assert.equal(chosen.first.store, 'files');
    assert.equal((await chosen.stop()).code, 0);
  });

  it('refuses bad options with exit 2, and a database that cannot be used with a message, not a stack trace', async () => {
    const dir = tmpDir('packsec-cli-reg-');
    assert.equal(runCli(['registry', '--port', '0'], dir).code, 2);
    assert.equal(runCli(['registry', '--data', dir, '--approval', 'maybe'], dir).code, 2);
    const token = runCli(['registry', 'token', '--data', dir, '--user', '../evil'], dir);
    assert.equal(token.code, 2);
    assert.match(token.stderr, /invalid user name/);
    const mysql = runCli(['registry', '--data', dir, '--database', 'mysql://root:hunter2@db/x'], dir);
    assert.equal(mysql.code, 2);
    assert.match(mysql.stderr, /--database: expected files, embedded or a postgres:\/\/ URL, got "mysql:\/\/root:\*\*\*@db\/x"/);
    const unreachable = runCli(['registry', '--data', dir, '--database', 'postgres://gw:hunter2@127.0.0.1:9/registry'], dir);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /^packsec: cannot connect to postgres:\/\/gw:\*\*\*@127\.0\.0\.1:9\/registry: /);
    assert.ok(!unreachable.stderr.includes('hunter2') && !/\n\s+at /.test(unreachable.stderr), unreachable.stderr);
    const old = tmpDir('packsec-cli-reg-');
    await seedPackage(old, { name: 'kept', version: '1.0.0' });
    const wrong = runCli(['registry', '--data', old, '--database', 'embedded'], old);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /keeps its records in JSON files, not in the embedded database .*packsec registry migrate --data .* --database embedded/);
  });

  it('serves without an admin socket when the data folder\'s path is too long for one, and says so', async () => {
    const dir = join(tmpDir('packsec-cli-reg-'), 'd'.repeat(100));
    await copyEmbedded(dir);
    const { first, stop } = await spawnRegistry(['--data', dir, '--approval', 'off']);
    assert.deepEqual(await (await fetch(`${first.url}/-/ping`)).json(), {});
    const token = await runCliAsync(['registry', 'token', '--data', dir, '--user', 'alice'], dir);
    assert.equal(token.code, 2);
    assert.match(token.stderr, /admin\.sock is longer than a Unix socket's path may be/);
    const { code, stderr } = await stop();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /note: no admin socket \(.*longer than a Unix socket's path may be.*\): while this server runs/);
  });

  it('moves a folder\'s JSON records into the embedded database with registry migrate', async () => {
    const dir = tmpDir('packsec-cli-reg-');
    await seedPackage(dir, { name: 'kept', version: '1.0.0' });
    const token = (await createUserToken(new FileStore(dir), 'alice')).token;
    const moved = runCli(['registry', 'migrate', '--data', dir, '--database', 'embedded', '--json'], dir);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(JSON.parse(moved.stdout).migrated, { database: join(dir, 'db'), packages: 1, users: 1, tokens: 1, orphanTokens: 0, stages: 0, advisories: 0 });
    const { first, stop } = await spawnRegistry(['--data', dir]);
    assert.equal(first.store, 'embedded');
    assert.equal((await (await fetch(`${first.url}/kept`)).json() as { name: string }).name, 'kept');
    assert.equal((await fetch(`${first.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await stop()).code, 0);
    assert.equal(runCli(['registry', 'migrate', '--data', dir], dir).code, 2, 'migrate needs --database');
  });
});
