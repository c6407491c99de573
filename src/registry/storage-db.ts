// The registry's records in a database (PGlite in the data folder, or PostgreSQL shared by several
// gateway processes): the same operations as FileStore, with tarballs still on disk. Writers of one
// package take a transaction-scoped advisory lock, so read-modify-write of a record never races.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { iso, openDb, type Db, type Sql } from '../approval/db.js';
import { LOCK } from '../approval/schema.js';
import { RegistryError } from './errors.js';
import { checkFolder, markFolder, storeKind } from './folder.js';
import { validatePackageName, validateUserName } from './names.js';
import { PackageFiles } from './package-files.js';
import { checkStageId, checkTokenKey, type AdvisoryRecord, type PackageRecord, type StageRef, type TokenRecord, type UserRecord } from './storage.js';
import type { RegistryStore } from './store.js';
import type { Severity } from '../util/advisory.js';

interface UserRow {
  name: string;
  email: string | null;
  password: string | null;
  created_at: Date | string;
  [key: string]: unknown;
}

interface TokenRow {
  key: string;
  user_name: string;
  created_at: Date | string;
  readonly: boolean;
  preview: string;
  packages: string[] | null;
  expires_at: Date | string | null;
  [key: string]: unknown;
}

interface AdvisoryRow {
  id: number;
  name: string;
  range: string;
  severity: Severity;
  title: string;
  url: string | null;
  created_at: Date | string;
  [key: string]: unknown;
}

const user = (r: UserRow): UserRecord => ({
  name: r.name, ...(r.email !== null ? { email: r.email } : {}), ...(r.password !== null ? { password: r.password } : {}), createdAt: iso(r.created_at),
});
const token = (r: TokenRow): TokenRecord => ({
  key: r.key, user: r.user_name, createdAt: iso(r.created_at), readonly: r.readonly, preview: r.preview,
  ...(r.packages !== null ? { packages: r.packages } : {}), ...(r.expires_at !== null ? { expiresAt: iso(r.expires_at) } : {}),
});
const advisory = (r: AdvisoryRow): AdvisoryRecord => ({
  id: Number(r.id), name: r.name, range: r.range, severity: r.severity, title: r.title, ...(r.url !== null ? { url: r.url } : {}), createdAt: iso(r.created_at),
});

export class DbStore implements RegistryStore {
  readonly dir: string;
  private readonly files: PackageFiles;

  /**
   * `sql` is the database itself, or inside withLock the transaction that holds the lock; `owned` says
   * whether close() closes the database.
   */
  private constructor(
    dir: string,
    readonly db: Db,
    private readonly sql: Sql,
    private readonly inTransaction: boolean,
    private readonly owned: boolean,
  ) {
    this.dir = resolve(dir);
    this.files = new PackageFiles(this.dir);
  }

  /**
   * Opens (and migrates) the database named by `database` ("embedded", "memory" or a postgres:// URL) for
   * the data folder. A folder whose records are elsewhere (JSON files, another database) is refused; a
   * new one is marked as this database's (registry.json).
   */
  static async open(dataDir: string, database: string): Promise<DbStore> {
    const kind = storeKind(database);
    if (kind === 'files') throw new RegistryError('BAD_REQUEST', 'the file store is not a database: use FileStore');
    if (kind !== 'memory') checkFolder(dataDir, kind);
    try {
      mkdirSync(resolve(dataDir, 'packages'), { recursive: true });
    } catch (err) {
      throw new RegistryError('DATA_DIR', `cannot create the registry data folder ${resolve(dataDir)}: ${(err as Error).message}`);
    }
    const db = await openDb({ dataDir, database });
    try {
      if (kind !== 'memory') markFolder(dataDir, kind, database);
    } catch (err) {
      await db.close();
      throw err;
    }
    return new DbStore(dataDir, db, db, false, true);
  }

  /** A store on a database opened elsewhere (the approval service shares it); close() leaves it open. */
  static on(dataDir: string, db: Db): DbStore {
    mkdirSync(resolve(dataDir, 'packages'), { recursive: true });
    return new DbStore(dataDir, db, db, false, false);
  }

  async readPackage(name: string): Promise<PackageRecord | null> {
    const rows = await this.sql.query<{ record: PackageRecord }>('select record from registry_packages where name = $1', [validatePackageName(name)]);
    return rows[0]?.record ?? null;
  }

  async writePackage(record: PackageRecord): Promise<void> {
    await this.sql.query(
      `insert into registry_packages (name, record, modified_at) values ($1, $2, $3)
       on conflict (name) do update set record = excluded.record, modified_at = excluded.modified_at`,
      [validatePackageName(record.name), JSON.stringify(record), record.modifiedAt],
    );
  }

  async listPackages(): Promise<string[]> {
    const rows = await this.sql.query<{ name: string }>('select name from registry_packages order by name collate "C"');
    return rows.map((r) => r.name);
  }

  writePackageFile(name: string, file: string, data: Uint8Array | string, integrity?: string): void {
    this.files.write(name, file, data, integrity);
  }

  readPackageFile(name: string, file: string, integrity?: string): Promise<Buffer | null> {
    return this.files.read(name, file, integrity);
  }

  deletePackageFile(name: string, file: string): void {
    this.files.delete(name, file);
  }

  async withLock<T>(name: string, fn: (store: RegistryStore) => Promise<T>): Promise<T> {
    const lock = (sql: Sql) => sql.query('select pg_advisory_xact_lock($1, hashtext($2))', [LOCK.package, name]);
    if (this.inTransaction) {
      await lock(this.sql);
      return fn(this);
    }
    return this.db.transaction(async (tx) => {
      await lock(tx);
      return fn(new DbStore(this.dir, this.db, tx, true, false));
    });
  }

  async readUser(name: string): Promise<UserRecord | null> {
    const rows = await this.sql.query<UserRow>('select * from registry_users where name = $1', [validateUserName(name)]);
    return rows[0] ? user(rows[0]) : null;
  }

  async createUser(u: UserRecord): Promise<boolean> {
    const rows = await this.sql.query(
      'insert into registry_users (name, email, password, created_at) values ($1, $2, $3, $4) on conflict (name) do nothing returning name',
      [validateUserName(u.name), u.email ?? null, u.password ?? null, u.createdAt],
    );
    return rows.length === 1;
  }

  async writeUser(u: UserRecord): Promise<void> {
    await this.sql.query(
      `insert into registry_users (name, email, password, created_at) values ($1, $2, $3, $4)
       on conflict (name) do update set email = excluded.email, password = excluded.password, created_at = excluded.created_at`,
      [validateUserName(u.name), u.email ?? null, u.password ?? null, u.createdAt],
    );
  }

  async readToken(key: string): Promise<TokenRecord | null> {
    const rows = await this.sql.query<TokenRow>('select * from registry_tokens where key = $1', [checkTokenKey(key)]);
    return rows[0] ? token(rows[0]) : null;
  }

  async writeToken(t: TokenRecord): Promise<void> {
    await this.sql.query(
      `insert into registry_tokens (key, user_name, created_at, readonly, preview, packages, expires_at) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (key) do update set user_name = excluded.user_name, created_at = excluded.created_at, readonly = excluded.readonly, preview = excluded.preview,
         packages = excluded.packages, expires_at = excluded.expires_at`,
      [checkTokenKey(t.key), t.user, t.createdAt, t.readonly, t.preview, t.packages ? JSON.stringify(t.packages) : null, t.expiresAt ?? null],
    );
  }

  async deleteToken(key: string): Promise<boolean> {
    return (await this.sql.query('delete from registry_tokens where key = $1 returning key', [checkTokenKey(key)])).length === 1;
  }

  async listTokens(userName: string): Promise<TokenRecord[]> {
    return (await this.sql.query<TokenRow>('select * from registry_tokens where user_name = $1 order by created_at, key', [userName])).map(token);
  }

  async readStage(id: string): Promise<StageRef | null> {
    const rows = await this.sql.query<{ id: string; package_name: string; version: string }>('select * from registry_stage where id = $1', [checkStageId(id)]);
    return rows[0] ? { id: rows[0].id, packageName: rows[0].package_name, version: rows[0].version } : null;
  }

  async writeStage(ref: StageRef): Promise<void> {
    await this.sql.query(
      `insert into registry_stage (id, package_name, version) values ($1, $2, $3)
       on conflict (id) do update set package_name = excluded.package_name, version = excluded.version`,
      [checkStageId(ref.id), ref.packageName, ref.version],
    );
  }

  async deleteStage(id: string): Promise<void> {
    await this.sql.query('delete from registry_stage where id = $1', [checkStageId(id)]);
  }

  async listStages(): Promise<StageRef[]> {
    const rows = await this.sql.query<{ id: string; package_name: string; version: string }>('select * from registry_stage order by id');
    return rows.map((r) => ({ id: r.id, packageName: r.package_name, version: r.version }));
  }

  async listAdvisories(): Promise<AdvisoryRecord[]> {
    return (await this.sql.query<AdvisoryRow>('select * from registry_advisories order by id')).map(advisory);
  }

  async createAdvisory(fields: Omit<AdvisoryRecord, 'id'>): Promise<AdvisoryRecord> {
    const rows = await this.sql.query<AdvisoryRow>(
      'insert into registry_advisories (name, range, severity, title, url, created_at) values ($1, $2, $3, $4, $5, $6) returning *',
      [fields.name, fields.range, fields.severity, fields.title, fields.url ?? null, fields.createdAt],
    );
    return advisory(rows[0]!);
  }

  /**
   * The key id of the key this database's versions are signed with: `keyid` if none was recorded yet
   * (the first gateway's), else the recorded one. Gateways sharing a database must share the key.
   */
  async signingKeyId(keyid: string): Promise<string> {
    await this.sql.query(
      "insert into gateway_keys (name, value, created_at) values ('registry-signing-key', $1, $2) on conflict (name) do nothing",
      [JSON.stringify({ keyid }), new Date().toISOString()],
    );
    const rows = await this.sql.query<{ value: { keyid?: unknown } }>("select value from gateway_keys where name = 'registry-signing-key'");
    return String(rows[0]?.value.keyid);
  }

  /** Whether the registry's tables hold no record at all (a migration only fills an empty database). */
  async isEmpty(): Promise<boolean> {
    const rows = await this.sql.query<{ n: string | number }>(
      `select (select count(*) from registry_packages) + (select count(*) from registry_users) + (select count(*) from registry_tokens)
        + (select count(*) from registry_stage) + (select count(*) from registry_advisories) as n`,
    );
    return Number(rows[0]?.n) === 0;
  }

  /** Runs `fn` in one transaction, with a store bound to it: everything it writes commits together. */
  async transaction<T>(fn: (store: DbStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction((tx) => fn(new DbStore(this.dir, this.db, tx, true, false)));
  }

  /** Stores an advisory under its own id (moving records from files); later ids continue after it. */
  async importAdvisory(a: AdvisoryRecord): Promise<void> {
    await this.sql.query(
      'insert into registry_advisories (id, name, range, severity, title, url, created_at) overriding system value values ($1, $2, $3, $4, $5, $6, $7)',
      [a.id, a.name, a.range, a.severity, a.title, a.url ?? null, a.createdAt],
    );
    await this.sql.query("select setval(pg_get_serial_sequence('registry_advisories', 'id'), (select max(id) from registry_advisories))");
  }

  async close(): Promise<void> {
    if (this.owned) await this.db.close();
  }
}
