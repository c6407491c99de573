// Several gateway processes behind a load balancer: two `packsec registry` processes on one PostgreSQL
// database and one shared data folder (tarballs and the signing key), driven by the real npm client —
// publish through one, install through the other, approve from a third connection. Needs PostgreSQL
// (PACKSEC_TEST_DATABASE_URL, as .ci/with-postgres sets it for npm run test:db).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { openStore, registryOn, setVersionState, type RegistryStore } from '../src/registry/index.js';
import { runCliAsync } from './helpers.js';
import { npmSandbox, packageDir, tmpDir, type NpmSandbox } from './registry-helpers.js';
import { spawnRegistry, storeKinds, type RegistryProcess } from './registry-stores.js';

const postgres = storeKinds().find((k) => k.name === 'postgres');

describe('two gateways on one PostgreSQL, with the npm client', { skip: postgres ? false : 'needs PostgreSQL (PACKSEC_TEST_DATABASE_URL; .ci/with-postgres npm run test:db)' }, () => {
  let data: string;
  let database: string;
  let a: RegistryProcess;
  let b: RegistryProcess;
  let viaA: NpmSandbox;
  let viaB: NpmSandbox;
  let readerB: NpmSandbox;
  let store: RegistryStore;
  before(async () => {
    data = tmpDir('packsec-gateways-');
    database = await postgres!.prepare(data);
    // The URL (with its password) goes in the environment, not on the command line.
    const env = { PACKSEC_REGISTRY_DATABASE: database };
    const started = await Promise.allSettled([spawnRegistry(['--data', data, '--approval', 'required', '--quiet'], env), spawnRegistry(['--data', data, '--approval', 'required', '--quiet'], env)]);
    // One failing to start must not leave the other running (the test process would never end).
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
      throw failed.reason;
    }
    [a, b] = started.map((s) => (s as PromiseFulfilledResult<RegistryProcess>).value) as [RegistryProcess, RegistryProcess];
    const made = await runCliAsync(['registry', 'token', '--data', data, '--user', 'alice', '--json'], data, env);
    assert.equal(made.code, 0, made.stderr);
    const token = JSON.parse(made.stdout).token as string;
    viaA = npmSandbox(a.first.url, token);
    viaB = npmSandbox(b.first.url, token);
    readerB = npmSandbox(b.first.url);
    // A third process on the database, as the approval service of any gateway would be.
    store = await openStore({ dataDir: data, database });
  });
  after(async () => {
    await store?.close();
    for (const g of [a, b]) if (g) assert.equal((await g.stop()).code, 0);
  });

  it('both serve one registry: same store, same signing key, each its own port', () => {
    assert.notEqual(a.first.url, b.first.url);
    assert.equal(a.first.store, 'postgres');
    assert.equal(a.first.keyid, b.first.keyid);
    assert.ok(!a.first.database.includes(new URL(database).password), 'no password in the listening line');
  });

  it('publishes through one gateway and installs through the other, once approved', async () => {
    const lib = packageDir({ name: 'shared-lib', version: '1.0.0', main: 'index.js' }, { 'index.js': "module.exports = 'shared-lib 1.0.0';\n" });
    const pub = await viaA.npm(['publish'], lib);
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stderr, /shared-lib@1\.0\.0 is pending approval/);
    const again = await viaB.npm(['publish'], lib);
    assert.notEqual(again.code, 0, 'the other gateway knows the version exists');
    assert.match(again.stderr, /cannot publish over the previously published versions: 1\.0\.0/);

    const project = packageDir({ name: 'consumer', version: '1.0.0', private: true }, {});
    const early = await readerB.npm(['install', 'shared-lib@1.0.0'], project);
    assert.notEqual(early.code, 0, 'pending on every gateway');
    const staged = JSON.parse((await viaB.npm(['stage', 'list', '--json'], viaB.dir)).stdout) as { packageName: string }[];
    assert.deepEqual(staged.map((s) => s.packageName), ['shared-lib'], 'the request made on A is listed by B');

    await setVersionState(registryOn(store), 'shared-lib', '1.0.0', 'public');
    const install = await readerB.npm(['install', 'shared-lib@1.0.0'], project);
    assert.equal(install.code, 0, install.stderr);
    assert.equal(execFileSync(process.execPath, ['-p', "require('shared-lib')"], { cwd: project, encoding: 'utf8' }).trim(), 'shared-lib 1.0.0');
    const view = JSON.parse((await readerB.npm(['view', 'shared-lib', '--json'], readerB.dir)).stdout) as { dist: { signatures: { keyid: string }[] } };
    assert.equal(view.dist.signatures[0]!.keyid, a.first.keyid, 'signed by the shared key');
  });

  it('concurrent writes through both gateways all land: versions and dist-tags', async () => {
    const versions = ['2.0.0', '2.0.1', '2.0.2', '2.0.3'];
    const results = await Promise.all(versions.map((version, i) => (i % 2 ? viaB : viaA).npm(['publish'], packageDir({ name: 'shared-lib', version }))));
    assert.deepEqual(results.map((r) => r.code), [0, 0, 0, 0], results.map((r) => r.stderr).join('\n'));
    for (const version of versions) await setVersionState(registryOn(store), 'shared-lib', version, 'public');
    assert.equal((await viaA.npm(['dist-tag', 'add', 'shared-lib@2.0.1', 'stable'], viaA.dir)).code, 0);
    const tags = await readerB.npm(['dist-tag', 'ls', 'shared-lib'], readerB.dir);
    assert.match(tags.stdout, /stable: 2\.0\.1/);
    const record = (await store.readPackage('shared-lib'))!;
    assert.deepEqual(Object.keys(record.versions).sort(), ['1.0.0', ...versions]);
  });
});
