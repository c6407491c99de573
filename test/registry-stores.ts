// The stores the registry's HTTP suites run on: JSON files and the embedded database (PGlite in DATA/db)
// always, PostgreSQL when PACKSEC_TEST_DATABASE_URL names a server (.ci/with-postgres). The suites are
// written once and run on each; PACKSEC_TEST_STORES=embedded,postgres keeps the database ones (npm run test:db).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { MIGRATIONS } from '../src/approval/index.js';
import { DbStore, openStore, startRegistry, type RegistryOptions, type RegistryStore, type RunningRegistry } from '../src/registry/index.js';
import { createTestDatabase } from './db-helpers.js';
import { cliPath } from './helpers.js';
import { tree } from './registry-client.js';
import { tmpDir } from './registry-helpers.js';

export interface StoreKind {
  name: 'files' | 'embedded' | 'postgres';
  /** The `database` option for a new data folder, made ready: a copy of a migrated PGlite, or a new PostgreSQL database. */
  prepare(dataDir: string): Promise<string>;
}

export type StartOptions = Omit<RegistryOptions, 'dataDir' | 'database'> & { dataDir?: string };

export interface Started extends RunningRegistry {
  /** The `database` it runs on: for a restart on the same folder, and as --database for CLI commands. */
  databaseArg: string;
}

/** Starts a registry on a new data folder (or `dataDir`, made ready first) with this kind of store. */
export async function startOn(kind: StoreKind, options: StartOptions = {}): Promise<Started> {
  const dataDir = options.dataDir ?? tmpDir(`packsec-reg-${kind.name}-`);
  const database = await kind.prepare(dataDir);
  return Object.assign(await startRegistry({ ...options, dataDir, database }), { databaseArg: database });
}

// PGlite's first start makes a cluster (seconds); a copy of a migrated one opens in a fraction of that.
// The template is kept in the temp folder for the next test processes, keyed by PGlite's version and the
// migrations, and made under another name first so that a process never copies half of one.
let template: Promise<string> | undefined;
function embeddedTemplate(): Promise<string> {
  template ??= (async () => {
    const pglite = readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8');
    const key = createHash('sha256').update(JSON.stringify([JSON.parse(pglite).version, MIGRATIONS])).digest('hex').slice(0, 16);
    const kept = join(tmpdir(), `packsec-test-pglite-${key}`);
    if (existsSync(join(kept, 'db', 'PG_VERSION'))) return join(kept, 'db');
    const dir = tmpDir('packsec-pglite-template-');
    await (await openStore({ dataDir: dir, database: 'embedded' })).close();
    try {
      renameSync(dir, kept);
    } catch {
      // Another test process kept one first.
      rmSync(dir, { recursive: true, force: true });
    }
    return join(kept, 'db');
  })();
  return template;
}

const cleanup: (() => Promise<void> | void)[] = [];
let registered = false;

function registerCleanup(): void {
  if (registered) return;
  registered = true;
  after(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
}

const files: StoreKind = { name: 'files', prepare: async () => 'files' };

/** Puts a new, migrated embedded database into DATA/db, as if the folder had been started with it once. */
export async function copyEmbedded(dataDir: string): Promise<void> {
  const db = join(dataDir, 'db');
  mkdirSync(dataDir, { recursive: true });
  cpSync(await embeddedTemplate(), db, { recursive: true });
  // 40 MB each: do not leave them in the temp folder.
  registerCleanup();
  cleanup.push(() => rmSync(db, { recursive: true, force: true }));
}

const embedded: StoreKind = {
  name: 'embedded',
  async prepare(dataDir) {
    await copyEmbedded(dataDir);
    return 'embedded';
  },
};

function postgres(base: string): StoreKind {
  return {
    name: 'postgres',
    async prepare() {
      const created = await createTestDatabase(base);
      cleanup.push(created.drop);
      return created.url;
    },
  };
}

/**
 * The kinds to run on: PACKSEC_TEST_STORES (comma-separated), else `usual` (files and embedded), plus
 * PostgreSQL when configured.
 */
export function storeKinds(usual: StoreKind['name'][] = ['files', 'embedded']): StoreKind[] {
  registerCleanup();
  const url = process.env.PACKSEC_TEST_DATABASE_URL;
  const all: StoreKind[] = [files, embedded, ...(url ? [postgres(url)] : [])];
  const wanted = process.env.PACKSEC_TEST_STORES?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...usual, 'postgres'];
  return all.filter((k) => wanted.includes(k.name));
}

/**
 * What a data folder holds, to show that a refused request changed nothing: every file (the database's
 * own files aside) and, for a database, every registry record.
 */
export async function snapshot(reg: RunningRegistry): Promise<unknown> {
  const onDisk = tree(reg.dataDir);
  const store: RegistryStore = reg.registry.store;
  if (!(store instanceof DbStore)) return onDisk;
  const records: Record<string, unknown> = {};
  for (const table of ['registry_packages', 'registry_users', 'registry_tokens', 'registry_stage', 'registry_advisories']) {
    records[table] = await store.db.query(`select * from ${table} order by 1`);
  }
  return { onDisk, records };
}

export interface RegistryProcess {
  /** The first JSON line: `{ event: 'listening', url, port, data, store, database, keyid, … }`. */
  first: { url: string; port: number; store: string; database: string; keyid: string; [key: string]: unknown };
  /** SIGTERM, then the `stopped` line, the exit code and everything it wrote to stderr. */
  stop(): Promise<{ stopped: unknown; code: number | null; stderr: string }>;
}

/** `packsec registry --port 0 --json …` as its own process, as an operator runs it. */
export async function spawnRegistry(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RegistryProcess> {
  const child = spawn(process.execPath, [cliPath, 'registry', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  const iterator = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = await iterator.next();
  if (line.done) throw new Error(`packsec registry exited with ${await exited}: ${stderr}`);
  let first: RegistryProcess['first'];
  try {
    first = JSON.parse(line.value as string) as RegistryProcess['first'];
  } catch {
    // Not the listening line (an error document, for one): stop it and say what it printed.
    child.kill('SIGTERM');
    let rest = '';
    for await (const more of iterator) rest += `${more as string}\n`;
    throw new Error(`packsec registry did not start (exit ${await exited}): ${line.value as string}\n${rest}${stderr}`);
  }
  return {
    first,
    async stop() {
      child.kill('SIGTERM');
      const next = await iterator.next();
      return { stopped: next.done ? null : JSON.parse(next.value as string), code: await exited, stderr };
    },
  };
}
