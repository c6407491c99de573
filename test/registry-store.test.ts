// One set of cases for every registry store: FileStore (JSON files), DbStore on PGlite, and DbStore on
// PostgreSQL when PACKSEC_TEST_DATABASE_URL is set. The package operations (publish, pending, reject,
// dist-tags, owners) and token authentication run on each, plus the database's own promises:
// transactions that roll back, and no lost update between two gateways sharing one PostgreSQL.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/approval/db.js';
import {
  addAdvisory, addVersion, authenticate, createTarball, createUserToken, DbStore, FileStore, openStore, registryOn, RegistryError,
  seedPackage, setDistTag, setVersionState, updateMetadata, type PackageRecord, type RegistryStore,
} from '../src/registry/index.js';
import { backends, resetDb } from './db-helpers.js';
import { tmpDir } from './registry-helpers.js';

interface Kind {
  name: string;
  /** A new empty store in a new data folder. */
  fresh(): Promise<RegistryStore>;
  db?: () => Db;
  /** PostgreSQL: a store of a second gateway (its own connections) on the same database and data folder. */
  second?: (first: RegistryStore) => Promise<RegistryStore>;
}

const kinds: Kind[] = [{
  name: 'files',
  async fresh() {
    return openStore({ dataDir: tmpDir('packsec-store-') });
  },
}];
for (const backend of backends()) {
  let opened: Awaited<ReturnType<typeof backend.open>> | undefined;
  kinds.push({
    name: backend.name,
    async fresh() {
      opened ??= await backend.open();
      await resetDb(opened.db);
      return DbStore.on(tmpDir('packsec-store-'), opened.db);
    },
    db: () => opened!.db,
    ...(backend.name === 'postgres' ? {
      async second(first: RegistryStore) {
        const db = await openDb({ database: opened!.url });
        seconds.push(db);
        return DbStore.on(first.dir, db);
      },
    } : {}),
  });
  after(() => opened?.drop());
}
const seconds: Db[] = [];
after(() => Promise.all(seconds.map((db) => db.close())));

function record(name: string, rev = 0): PackageRecord {
  return { format: 1, name, createdAt: '2024-01-01T00:00:00.000Z', modifiedAt: '2024-01-01T00:00:00.000Z', rev, distTags: {}, maintainers: [{ name: 'alice' }], versions: {} };
}

const tarballOf = (name: string, version: string) => createTarball({ 'package.json': JSON.stringify({ name, version }), 'index.js': `module.exports = '${version}';\n` });

async function rejects(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(async () => (typeof promise === 'function' ? promise() : promise), (err: unknown) => err instanceof RegistryError && err.code === code);
}

for (const kind of kinds) {
  describe(`registry store: ${kind.name}`, () => {
    let store: RegistryStore;
    before(async () => {
      store = await kind.fresh();
    });

    it('keeps package records and lists their names in code-unit order', async () => {
      store = await kind.fresh();
      assert.equal(await store.readPackage('left-pad'), null);
      const r = { ...record('left-pad'), distTags: { latest: '1.0.0' } };
      await store.writePackage(r);
      await store.writePackage(record('@scope/b'));
      await store.writePackage(record('a-b'));
      assert.deepEqual(await store.readPackage('left-pad'), r);
      await store.writePackage({ ...r, rev: 2 });
      assert.equal((await store.readPackage('left-pad'))?.rev, 2);
      assert.deepEqual(await store.listPackages(), ['@scope/b', 'a-b', 'left-pad']);
      await rejects(() => store.readPackage('../etc'), 'BAD_NAME');
    });

    it('writes tarballs whole, checks them against their integrity on write and on read', async () => {
      store = await kind.fresh();
      const data = tarballOf('left-pad', '1.0.0');
      const { sriOf } = await import('../src/registry/package-files.js');
      await store.writePackageFile('left-pad', 'left-pad-1.0.0.tgz', data, sriOf(data));
      assert.deepEqual(await store.readPackageFile('left-pad', 'left-pad-1.0.0.tgz', sriOf(data)), data);
      await rejects(async () => store.writePackageFile('left-pad', 'left-pad-1.0.1.tgz', data, sriOf('other')), 'INTEGRITY');
      assert.equal(await store.readPackageFile('left-pad', 'left-pad-1.0.1.tgz'), null, 'nothing was written');
      const file = join(store.dir, 'packages', 'left-pad', 'left-pad-1.0.0.tgz');
      writeFileSync(file, Buffer.concat([data, Buffer.from('x')]));
      await rejects(store.readPackageFile('left-pad', 'left-pad-1.0.0.tgz', sriOf(data)), 'DATA_CORRUPT');
      await store.deletePackageFile('left-pad', 'left-pad-1.0.0.tgz');
      assert.equal(existsSync(file), false);
      await rejects(async () => store.writePackageFile('left-pad', '../x.tgz', data), 'BAD_NAME');
      await rejects(async () => store.writePackageFile('left-pad', 'record.json', data), 'BAD_NAME');
    });

    it('creates a user once, updates it, and keeps tokens by their hash', async () => {
      store = await kind.fresh();
      const alice = { name: 'alice', email: 'alice@example.com', createdAt: '2024-01-01T00:00:00.000Z' };
      assert.equal(await store.createUser(alice), true);
      assert.equal(await store.createUser({ ...alice, email: 'mallory@example.com' }), false);
      assert.deepEqual(await store.readUser('alice'), alice);
      await store.writeUser({ ...alice, password: 'scrypt$x' });
      assert.equal((await store.readUser('alice'))?.password, 'scrypt$x');
      assert.equal(await store.readUser('bob'), null);
      await rejects(() => store.readUser('../x'), 'BAD_NAME');

      await store.createUser({ name: 'bob', createdAt: '2024-01-01T00:00:00.000Z' });
      const t = (n: number, user: string) => ({ key: String(n).repeat(64), user, createdAt: `2024-01-0${n}T00:00:00.000Z`, readonly: n === 2, preview: `npsec_${n}` });
      await store.writeToken(t(2, 'alice'));
      await store.writeToken(t(1, 'alice'));
      await store.writeToken(t(3, 'bob'));
      assert.deepEqual(await store.readToken('2'.repeat(64)), t(2, 'alice'));
      assert.deepEqual(await store.listTokens('alice'), [t(1, 'alice'), t(2, 'alice')]);
      assert.equal(await store.deleteToken('1'.repeat(64)), true);
      assert.equal(await store.deleteToken('1'.repeat(64)), false);
      assert.equal(await store.readToken('1'.repeat(64)), null);
      await rejects(() => store.readToken('nope'), 'BAD_REQUEST');
    });

    it('keeps the index of staged versions', async () => {
      store = await kind.fresh();
      const ref = { id: '0b6f3a4e-5c6d-4e7f-8a9b-0c1d2e3f4a5b', packageName: 'left-pad', version: '1.1.0' };
      await store.writeStage(ref);
      assert.deepEqual(await store.readStage(ref.id), ref);
      assert.deepEqual(await store.listStages(), [ref]);
      await store.deleteStage(ref.id);
      assert.equal(await store.readStage(ref.id), null);
      assert.deepEqual(await store.listStages(), []);
      await rejects(() => store.readStage('../../x'), 'NOT_FOUND');
    });

    it('numbers advisories 1, 2, 3 … even when added at the same moment', async () => {
      store = await kind.fresh();
      const input = (i: number) => ({ name: 'left-pad', range: '<1.0.3', severity: 'high', title: `bug ${i}` });
      const made = await Promise.all([1, 2, 3, 4, 5].map(async (i) => addAdvisory(store, input(i), new Date('2024-02-01T00:00:00Z'))));
      assert.deepEqual(made.map((a) => a.id).sort(), [1, 2, 3, 4, 5]);
      const list = await store.listAdvisories();
      assert.deepEqual(list.map((a) => a.id), [1, 2, 3, 4, 5]);
      assert.deepEqual(list[0], { ...made.find((a) => a.id === 1)! });
      assert.equal(list[0]!.createdAt, '2024-02-01T00:00:00.000Z');
    });

    it('serialises writers of one package: no update is lost', async () => {
      store = await kind.fresh();
      await store.writePackage(record('counter'));
      await Promise.all(Array.from({ length: 20 }, () => store.withLock('counter', async (s) => {
        const r = (await s.readPackage('counter'))!;
        await new Promise((done) => setTimeout(done, 1));
        await s.writePackage({ ...r, rev: r.rev + 1 });
      })));
      assert.equal((await store.readPackage('counter'))?.rev, 20);
    });

    it('publishes, stages, approves, rejects (burning the number) and tags through the package operations', async () => {
      store = await kind.fresh();
      const reg = registryOn(store, { approval: 'required' });
      const alice = { name: 'alice', email: 'alice@example.com' };
      await store.createUser({ ...alice, createdAt: '2024-01-01T00:00:00.000Z' });
      const first = await addVersion(reg, { name: 'left-pad', version: '1.0.0', manifest: { name: 'left-pad', version: '1.0.0' }, tarball: tarballOf('left-pad', '1.0.0'), tag: 'latest', npmUser: alice });
      assert.equal(first.state, 'pending');
      assert.deepEqual(await store.readStage(first.stageId!), { id: first.stageId, packageName: 'left-pad', version: '1.0.0' });
      await setVersionState(reg, 'left-pad', '1.0.0', 'public');
      let r = (await store.readPackage('left-pad'))!;
      assert.equal(r.versions['1.0.0']?.state, 'public');
      assert.deepEqual(r.distTags, { latest: '1.0.0' });
      assert.equal(await store.readStage(first.stageId!), null);

      const second = await addVersion(reg, { name: 'left-pad', version: '1.0.1', manifest: { name: 'left-pad', version: '1.0.1' }, tarball: tarballOf('left-pad', '1.0.1'), tag: 'latest', npmUser: alice });
      await setVersionState(reg, 'left-pad', '1.0.1', 'rejected');
      r = (await store.readPackage('left-pad'))!;
      assert.equal(r.versions['1.0.1']?.state, 'rejected');
      assert.equal(await store.readPackageFile('left-pad', r.versions['1.0.1']!.tarball), null, 'the rejected tarball is gone');
      assert.equal(await store.readStage(second.stageId!), null);
      await rejects(addVersion(reg, { name: 'left-pad', version: '1.0.1', manifest: { name: 'left-pad', version: '1.0.1' }, tarball: tarballOf('left-pad', '1.0.1'), tag: 'latest', npmUser: alice }), 'VERSION_EXISTS');
      await rejects(setVersionState(reg, 'left-pad', '1.0.1', 'public'), 'CONFLICT');

      await seedPackage(reg, { name: 'left-pad', version: '1.1.0', npmUser: alice, tag: 'next' });
      assert.deepEqual(await setDistTag(reg, 'left-pad', 'beta', '1.1.0', 'alice'), { latest: '1.0.0', next: '1.1.0', beta: '1.1.0' });
      await rejects(setDistTag(reg, 'left-pad', 'beta', '1.0.1', 'alice'), 'NOT_FOUND');
      await rejects(setDistTag(reg, 'left-pad', 'beta', '1.1.0', 'mallory'), 'FORBIDDEN');
      await store.createUser({ name: 'bob', createdAt: '2024-01-01T00:00:00.000Z' });
      await updateMetadata(reg, 'left-pad', { maintainers: [{ name: 'alice' }, { name: 'bob' }] }, 'alice');
      assert.deepEqual((await store.readPackage('left-pad'))?.maintainers.map((m) => m.name), ['alice', 'bob']);
    });

    it('authenticates a token made by createUserToken, and refuses it once deleted', async () => {
      store = await kind.fresh();
      const made = await createUserToken(store, 'carol', { email: 'carol@example.com' });
      assert.equal(made.created, true);
      const caller = await authenticate(store, `Bearer ${made.token}`);
      assert.equal(caller?.user.name, 'carol');
      assert.equal(caller?.token?.key, made.record.key);
      assert.equal((await createUserToken(store, 'carol')).created, false);
      await store.deleteToken(made.record.key);
      await rejects(authenticate(store, `Bearer ${made.token}`), 'UNAUTHORIZED');
    });

    if (kind.db) {
      it('rolls back everything a failed writer wrote under the lock', async () => {
        store = await kind.fresh();
        await store.writePackage(record('left-pad'));
        await assert.rejects(store.withLock('left-pad', async (s) => {
          await s.writePackage(record('left-pad', 7));
          await s.writeStage({ id: '0b6f3a4e-5c6d-4e7f-8a9b-0c1d2e3f4a5b', packageName: 'left-pad', version: '9.9.9' });
          throw new Error('crash in the middle');
        }), /crash in the middle/);
        assert.equal((await store.readPackage('left-pad'))?.rev, 0);
        assert.deepEqual(await store.listStages(), []);
      });
    }

    if (kind.second) {
      it('two gateways on one PostgreSQL: concurrent publishes of one package all land, one user is created once', async () => {
        store = await kind.fresh();
        const other = await kind.second!(store);
        const alice = { name: 'alice' };
        const regs = [registryOn(store), registryOn(other)];
        const versions = Array.from({ length: 12 }, (_, i) => `1.0.${i}`);
        const added = await Promise.all(versions.map((version, i) => addVersion(regs[i % 2]!, {
          name: 'left-pad', version, manifest: { name: 'left-pad', version }, tarball: tarballOf('left-pad', version), tag: 'latest', npmUser: alice,
        })));
        assert.ok(added.every((a) => a.state === 'public'));
        const r = (await other.readPackage('left-pad'))!;
        assert.deepEqual(Object.keys(r.versions).sort(), [...versions].sort());
        assert.equal(r.rev, versions.length, 'every publish saw the one before it');
        const made = await Promise.all([store, other, store, other].map((s) => s.createUser({ name: 'dave', createdAt: '2024-01-01T00:00:00.000Z' })));
        assert.equal(made.filter(Boolean).length, 1);
      });
    }
  });
}

describe('registry store: openStore', () => {
  it('opens the file store by default and the embedded database on request, in the data folder', async () => {
    const dir = tmpDir('packsec-store-');
    const files = await openStore({ dataDir: dir });
    assert.ok(files instanceof FileStore);
    assert.equal(JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')).format, 1);
    const embedded = await openStore({ dataDir: dir, database: 'embedded' });
    try {
      assert.ok(embedded instanceof DbStore);
      assert.equal(embedded.db.kind, 'embedded');
      assert.ok(existsSync(join(dir, 'db', 'PG_VERSION')), 'PGlite keeps its files in DATA/db');
      await assert.rejects(openStore({ dataDir: dir, database: 'embedded' }), /already open in this process/);
    } finally {
      await embedded.close();
    }
    await assert.rejects(openStore({ dataDir: dir, database: 'mysql://root:hunter2@localhost/x' }), (err: Error) => !err.message.includes('hunter2') && /postgres:\/\//.test(err.message));
  });
});
