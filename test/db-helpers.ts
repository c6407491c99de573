// The databases the database tests run on: PGlite in memory always, and PostgreSQL when
// PACKSEC_TEST_DATABASE_URL names a server (.ci/run starts one) — each test file in a database of its own.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../src/approval/db.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** A new migrated database for one test file; `drop` closes and removes it. */
  open(): Promise<{ db: Db; url: string; drop(): Promise<void> }>;
}

const pglite: Backend = {
  name: 'pglite',
  async open() {
    const db = await openDb({ database: 'memory' });
    return { db, url: 'memory', drop: () => db.close() };
  },
};

/** A new, empty PostgreSQL database on the server at `base`, for one test file; `drop` removes it. */
export async function createTestDatabase(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const name = `packsec_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(`drop database if exists ${name} with (force)`) };
}

function postgres(base: string): Backend {
  return {
    name: 'postgres',
    async open() {
      const created = await createTestDatabase(base);
      const db = await openDb({ database: created.url });
      return {
        db,
        url: created.url,
        async drop() {
          await db.close();
          await created.drop();
        },
      };
    },
  };
}

/** PGlite, and PostgreSQL when PACKSEC_TEST_DATABASE_URL is set. */
export function backends(): Backend[] {
  const url = process.env.PACKSEC_TEST_DATABASE_URL;
  return url ? [pglite, postgres(url)] : [pglite];
}

/** Empties every table (not the migrations), so each test starts from a new database at a fraction of the cost. */
export async function resetDb(db: Db): Promise<void> {
  const rows = await db.query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = current_schema() and tablename <> 'schema_migrations'",
  );
  if (rows.length) await db.exec(`truncate ${rows.map((r) => `"${r.tablename}"`).join(', ')} restart identity cascade`);
}
