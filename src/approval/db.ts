// The gateway's database: PGlite (PostgreSQL compiled to WASM, kept in the data folder, no server) by
// default, or a PostgreSQL server given a postgres:// URL, which several gateway processes can share.
// Both run the same SQL; the schema's migrations are applied on open.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import { acquirePidLock } from '../registry/lock.js';
import { ApprovalError } from './errors.js';
import { migrate } from './schema.js';

export type Row = Record<string, unknown>;

/** Something that runs SQL: the database, or one transaction on it. */
export interface Sql {
  /** One statement with $1… parameters; the rows it returns. Pass JSON values as JSON text. */
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Db extends Sql {
  readonly kind: 'embedded' | 'postgres';
  /** Where it is, for messages: a folder, or the URL without its password. */
  readonly location: string;
  /** Runs `fn` between BEGIN and COMMIT, and rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** The registry data folder; the embedded database lives in DATA/db. */
  dataDir?: string;
  /** Absent or 'embedded': PGlite in the data folder; 'memory': PGlite in memory (tests); postgres://…: that server. */
  database?: string;
}

/** Opens the database and brings its schema up to date. */
export async function openDb(options: DbOptions): Promise<Db> {
  const db = await connect(options);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

async function connect(options: DbOptions): Promise<Db> {
  const spec = options.database ?? 'embedded';
  if (/^postgres(ql)?:\/\//.test(spec)) return openPostgres(spec);
  if (spec === 'memory') return openPglite(undefined);
  if (spec !== 'embedded') throw new ApprovalError('BAD_REQUEST', `--database: expected "embedded" or a postgres:// URL, got ${JSON.stringify(redactUrl(spec).slice(0, 100))}`);
  if (!options.dataDir) throw new ApprovalError('BAD_REQUEST', 'the embedded database needs the data folder');
  return openPglite(join(resolve(options.dataDir), 'db'));
}

/** The URL without its password, for messages and logs. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

// PGlite is one PostgreSQL backend inside this process: it runs one statement at a time and keeps other
// queries waiting while a transaction is open, so transactions are serialised. Its folder must not be
// opened by two processes at once, hence the pid file.
async function openPglite(dir: string | undefined): Promise<Db> {
  let release = () => {};
  if (dir) {
    mkdirSync(dir, { recursive: true });
    release = acquirePidLock(`${dir}.pid`, {
      here: `the embedded database ${dir} is already open in this process`,
      other: (pid) => `the embedded database ${dir} is in use by process ${pid}; stop it first, or use PostgreSQL (--database postgres://…) to share one database`,
      starting: `cannot claim the embedded database ${dir} (another process is opening it?)`,
    });
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dir ? { dataDir: dir } : {});
  } catch (err) {
    release();
    throw new ApprovalError('DATABASE', `cannot open the embedded database ${dir ?? '(in memory)'}: ${(err as Error).message}`);
  }
  const on = (target: PGlite | Transaction): Sql => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return (await target.query<T>(text, [...params])).rows;
    },
    async exec(text: string) {
      await target.exec(text);
    },
  });
  return {
    kind: 'embedded',
    location: dir ?? 'memory',
    ...on(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(on(tx))),
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        release();
      }
    },
  };
}

/** Serialization failures and deadlocks: PostgreSQL asks for the transaction to be run again. */
const RETRY_CODES = new Set(['40001', '40P01']);

async function openPostgres(url: string): Promise<Db> {
  const location = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 10, idleTimeoutMillis: 10_000 });
  // An idle connection dropped by the server emits here; the next query reports the problem.
  pool.on('error', () => {});
  const on = (client: pg.Pool | pg.PoolClient): Sql => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return (await client.query<T>(text, [...params])).rows;
    },
    async exec(text: string) {
      await client.query(text);
    },
  });
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end();
    throw new ApprovalError('DATABASE', `cannot connect to ${location}: ${(err as Error).message}`);
  }
  return {
    kind: 'postgres',
    location,
    ...on(pool),
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn(on(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          if (attempt < 4 && RETRY_CODES.has((err as { code?: string }).code ?? '')) continue;
          throw err;
        } finally {
          client.release(broken);
        }
      }
    },
    close: () => pool.end(),
  };
}

/** Both drivers read timestamptz as a Date; records keep ISO strings. */
export function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

/** SQLSTATE 23505: a unique constraint refused the row (someone else made it first). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === '23505';
}
