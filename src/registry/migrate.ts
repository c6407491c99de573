// `packsec registry migrate`: moves a data folder's records from JSON files into a database (the
// embedded one or PostgreSQL), all in one transaction, then points registry.json at it. Tarballs,
// provenance files and keys stay where they are; the JSON records are left in place, no longer read.
import { openDb } from '../approval/db.js';
import { RegistryError } from './errors.js';
import { folderStore, remarkFolder, storeKind } from './folder.js';
import { acquireServerLock } from './lock.js';
import { DbStore } from './storage-db.js';
import { FileStore } from './storage.js';

export interface Migrated {
  /** Where the records are now: a folder, or the URL without its password. */
  database: string;
  packages: number;
  users: number;
  tokens: number;
  /** Tokens of users that no longer exist (they authenticated nobody): not moved. */
  orphanTokens: number;
  stages: number;
  advisories: number;
}

export async function migrateToDatabase(dataDir: string, database: string): Promise<Migrated> {
  const kind = storeKind(database);
  if (kind !== 'embedded' && kind !== 'postgres') throw new RegistryError('BAD_REQUEST', '--database: migrate moves records into a database: expected embedded or a postgres:// URL');
  const found = folderStore(dataDir);
  if (found !== 'files') {
    throw new RegistryError('DATA_STORE', found === null ? `${dataDir} is not a registry data folder` : `${dataDir} keeps its records in a database already (${found})`);
  }
  const files = new FileStore(dataDir);
  files.init();
  // No server may change the files while they are copied.
  const releaseLock = acquireServerLock(files.dir);
  try {
    const db = await openDb({ dataDir: files.dir, database });
    try {
      const target = DbStore.on(files.dir, db);
      if (!(await target.isEmpty())) throw new RegistryError('DATA_STORE', `the registry tables of ${db.location} already hold records: migrate into a database of its own`);
      const counts = await target.transaction(async (tx) => {
        const users = await files.listUsers();
        for (const u of users) await tx.writeUser(u);
        const known = new Set(users.map((u) => u.name));
        const tokens = await files.allTokens();
        const kept = tokens.filter((t) => known.has(t.user));
        for (const t of kept) await tx.writeToken(t);
        const names = files.listPackages();
        for (const name of names) await tx.writePackage((await files.readPackage(name))!);
        const stages = await files.listStages();
        for (const s of stages) await tx.writeStage(s);
        const advisories = files.listAdvisories();
        for (const a of advisories) await tx.importAdvisory(a);
        return { packages: names.length, users: users.length, tokens: kept.length, orphanTokens: tokens.length - kept.length, stages: stages.length, advisories: advisories.length };
      });
      remarkFolder(files.dir, kind, database);
      return { database: db.location, ...counts };
    } finally {
      await db.close();
    }
  } finally {
    releaseLock();
  }
}
