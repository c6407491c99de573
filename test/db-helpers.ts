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

function postgres(base: string): Backend {
  return {
    name: 'postgres',
    async open() {
      const name = `packsec_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(base);
      url.pathname = `/${name}`;
      const db = await openDb({ database: url.href });
      return {
        db,
        url: url.href,
        async drop() {
          await db.close();
          const c = new pg.Client({ connectionString: base });
          await c.connect();
          try {
            await c.query(`drop database if exists ${name} with (force)`);
          } finally {
            await c.end();
          }
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
