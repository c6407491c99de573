// One set of cases for every registry store: FileStore (JSON files), DbStore on PGlite, and DbStore on
// PostgreSQL when PACKSEC_TEST_DATABASE_URL is set. The package operations (publish, pending, reject,
// dist-tags, owners) and token authentication run on each, plus the database's own promises:
// transactions that roll back, and no lost update between two gateways sharing one PostgreSQL.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/approval/db.js';
import {
  addAdvisory, addVersion, authenticate, chooseDatabase, createTarball, createUserToken, DbStore, FileStore, migrateToDatabase, openStore, registryOn, RegistryError,
  seedAdvisory, seedPackage, setDistTag, setVersionState, updateMetadata, type PackageRecord, type RegistryStore,
} from '../src/registry/index.js';
import { sriOf } from '../src/registry/package-files.js';
import { backends, resetDb } from './db-helpers.js';
import { tmpDir } from './registry-helpers.js';
import { copyEmbedded } from './registry-stores.js';

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

    it('lets one of two first publishes in one new scope claim it, however they interleave', async () => {
      store = await kind.fresh();
      await createUserToken(store, 'alice');
      await createUserToken(store, 'bob');
      // Every listing of the packages takes a while: without the scope's lock both publishes would
      // find the scope empty and both land.
      const slow = (s: RegistryStore): RegistryStore => new Proxy(s, {
        get(target, key) {
          if (key === 'listPackages') return async () => { const names = await target.listPackages(); await new Promise((r) => setTimeout(r, 50)); return names; };
          if (key === 'withLock') return (k: string, fn: (inner: RegistryStore) => Promise<unknown>) => target.withLock(k, (inner) => fn(slow(inner)));
          const value = Reflect.get(target, key) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const reg = registryOn(slow(store));
      const publish = (user: string, name: string) => addVersion(reg, { name, version: '1.0.0', manifest: { name, version: '1.0.0' }, tarball: tarballOf(name, '1.0.0'), tag: 'latest', npmUser: { name: user } });
      const results = await Promise.allSettled([publish('alice', '@race/a'), publish('bob', '@race/b')]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.match((refused.reason as Error).message, /may not publish in @race/);
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

describe('registry store: which store a data folder uses', () => {
  it('opens the file store by default and the embedded database on request, in the data folder', async () => {
    const dir = tmpDir('packsec-store-');
    const files = await openStore({ dataDir: dir });
    assert.ok(files instanceof FileStore);
    assert.deepEqual(pick(JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')), ['format', 'store']), { format: 1, store: 'files' });
    const other = tmpDir('packsec-store-');
    const embedded = await openStore({ dataDir: other, database: 'embedded' });
    try {
      assert.ok(embedded instanceof DbStore);
      assert.equal(embedded.db.kind, 'embedded');
      assert.ok(existsSync(join(other, 'db', 'PG_VERSION')), 'PGlite keeps its files in DATA/db');
      assert.equal(JSON.parse(readFileSync(join(other, 'registry.json'), 'utf8')).store, 'embedded');
      await assert.rejects(openStore({ dataDir: other, database: 'embedded' }), /already open in this process/);
    } finally {
      await embedded.close();
    }
    await assert.rejects(openStore({ dataDir: dir, database: 'mysql://root:hunter2@localhost/x' }), (err: Error) => !err.message.includes('hunter2') && /postgres:\/\//.test(err.message));
  });

  it('never opens a folder with a store that cannot see its records', async () => {
    const files = tmpDir('packsec-store-');
    await seedPackage(files, { name: 'kept', version: '1.0.0' });
    const embedded = tmpDir('packsec-store-');
    await copyEmbedded(embedded);
    await (await openStore({ dataDir: embedded, database: 'embedded' })).close();
    const refused = (pattern: RegExp) => (err: unknown) => err instanceof RegistryError && err.code === 'DATA_STORE' && pattern.test(err.message);
    await assert.rejects(openStore({ dataDir: files, database: 'embedded' }), refused(/keeps its records in JSON files, not in the embedded database.*packsec registry migrate --data .* --database embedded/));
    await assert.rejects(openStore({ dataDir: files, database: 'postgres://u:secret@127.0.0.1:1/x' }), refused(/JSON files, not in PostgreSQL/));
    await assert.rejects(openStore({ dataDir: embedded }), refused(/keeps its records in the embedded database .*, not in JSON files/));
    await assert.rejects(openStore({ dataDir: embedded, database: 'postgres://u:secret@127.0.0.1:1/x' }), refused(/embedded database/));
    assert.throws(() => seedAdvisory(embedded, { name: 'a', range: '*', severity: 'low', title: 'x' }), refused(/not in JSON files/));
    assert.ok(!existsSync(join(embedded, 'users')), 'a refused file store leaves nothing behind');

    // What `packsec registry` picks when --database is left out.
    assert.equal(chooseDatabase(tmpDir('packsec-store-')), 'embedded', 'a new folder: the embedded database');
    assert.equal(chooseDatabase(join(tmpDir('packsec-store-'), 'not-yet')), 'embedded');
    assert.equal(chooseDatabase(files), 'files', 'a folder of JSON records goes on with them');
    assert.equal(chooseDatabase(embedded), 'embedded');
    assert.equal(chooseDatabase(files, 'embedded'), 'embedded', 'what was asked for (openStore then refuses it)');
    const shared = tmpDir('packsec-store-');
    writeFileSync(join(shared, 'registry.json'), JSON.stringify({ format: 1, store: 'postgres', database: 'postgres://gw:***@db/registry' }));
    assert.throws(() => chooseDatabase(shared), refused(/keeps its records in PostgreSQL \(postgres:\/\/gw:\*\*\*@db\/registry\): give --database/));
    assert.throws(() => chooseDatabase(shared, 'sqlite'), /--database: expected files, embedded or a postgres:\/\/ URL/);
  });
});

describe('registry store: migrate from files to a database', () => {
  // Into an embedded database made ready in DATA/db (packsec registry migrate making a new one: registry-npm.test.ts).
  const targets: { name: string; url(dir: string): Promise<string> }[] = [{ name: 'embedded', url: async (dir) => (await copyEmbedded(dir), 'embedded') }];
  for (const backend of backends()) {
    if (backend.name !== 'postgres') continue;
    targets.push({
      name: 'postgres',
      async url() {
        const opened = await backend.open();
        after(() => opened.drop());
        return opened.url;
      },
    });
  }
  for (const target of targets) {
    it(`moves every record into ${target.name}, keeps the tarballs, and points registry.json there`, async () => {
      const dir = tmpDir('packsec-store-');
      const files = await openStore({ dataDir: dir }) as FileStore;
      const alice = await createUserToken(files, 'alice', { email: 'alice@example.com' });
      await files.writeUser({ ...(await files.readUser('alice'))!, password: 'scrypt$x' });
      const orphan = await createUserToken(files, 'gone');
      rmSync(join(dir, 'users', 'gone.json'));
      const reg = registryOn(files, { approval: 'required' });
      const pending = await seedPackage(reg, { name: '@s/pending', version: '1.0.0', state: 'pending' });
      await seedPackage(reg, { name: 'left-pad', version: '1.0.0' });
      addAdvisory(files, { name: 'left-pad', range: '<2', severity: 'high', title: 'first' });
      addAdvisory(files, { name: 'left-pad', range: '<3', severity: 'low', title: 'second' });
      const before = { packages: await Promise.all(files.listPackages().map((n) => files.readPackage(n))), stages: await files.listStages(), advisories: files.listAdvisories() };

      const url = await target.url(dir);
      const moved = await migrateToDatabase(dir, url);
      assert.deepEqual(pick(moved, ['packages', 'users', 'tokens', 'orphanTokens', 'stages', 'advisories']), { packages: 2, users: 1, tokens: 1, orphanTokens: 1, stages: 1, advisories: 2 });
      if (url.startsWith('postgres')) assert.ok(!moved.database.includes(new URL(url).password), 'no password in the summary');
      assert.equal(JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')).store, target.name);
      await assert.rejects(openStore({ dataDir: dir }), (err: Error) => err instanceof RegistryError && err.code === 'DATA_STORE');
      await assert.rejects(migrateToDatabase(dir, url), /in a database already/);

      const db = await openStore({ dataDir: dir, database: url });
      try {
        assert.deepEqual({ packages: await Promise.all((await db.listPackages()).map((n) => db.readPackage(n))), stages: await db.listStages(), advisories: await db.listAdvisories() }, before);
        assert.equal((await authenticate(db, `Bearer ${alice.token}`))?.user.email, 'alice@example.com');
        assert.equal((await db.readUser('alice'))?.password, 'scrypt$x');
        assert.equal(await db.readToken(orphan.record.key), null);
        assert.equal((await addAdvisory(db, { name: 'x', range: '*', severity: 'low', title: 'third' })).id, 3, 'ids go on after the moved ones');
        assert.equal(sriOf((await db.readPackageFile('@s/pending', '@s/pending'.slice(3) + '-1.0.0.tgz'))!), pending.integrity, 'the tarball stayed where it was');
      } finally {
        await db.close();
      }
    });
  }

  it('refuses a database that already holds records, and leaves the files as they were', async () => {
    const dir = tmpDir('packsec-store-');
    await seedPackage(dir, { name: 'kept', version: '1.0.0' });
    await copyEmbedded(dir);
    const embedded = await openDb({ dataDir: dir, database: 'embedded' });
    await DbStore.on(dir, embedded).createUser({ name: 'someone', createdAt: '2024-01-01T00:00:00.000Z' });
    await embedded.close();
    await assert.rejects(migrateToDatabase(dir, 'embedded'), /already hold records: migrate into a database of its own/);
    assert.equal(chooseDatabase(dir), 'files');
    assert.equal((await (await openStore({ dataDir: dir })).readPackage('kept'))?.name, 'kept');
  });
});

function pick<T extends object>(value: T, keys: string[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, (value as Record<string, unknown>)[k]])) as Partial<T>;
}
