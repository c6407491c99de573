// The data folder's marker, registry.json: which store keeps the folder's records (JSON files, the
// embedded database in DATA/db, or PostgreSQL), so a folder is never opened with a store that cannot
// see what it holds. Tarballs and keys are in the folder whatever the store.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redactUrl } from '../approval/db.js';
import { createFileAtomic, writeFileAtomic } from '../util/atomic.js';
import { RegistryError } from './errors.js';

export type StoreKind = 'files' | 'embedded' | 'postgres';

export interface FolderMarker {
  format: 1;
  createdAt?: string;
  /** Absent in folders made before databases: files. */
  store?: StoreKind;
  /** PostgreSQL: the URL without its password, for messages (the URL itself is never stored). */
  database?: string;
}

export const MARKER_FILE = 'registry.json';
const FORMAT = 1;
const KINDS: readonly StoreKind[] = ['files', 'embedded', 'postgres'];

/** A JSON file's value, or null when there is no such file; DATA_DIR or DATA_CORRUPT errors name the file. */
export function readJsonFile<T>(file: string): T | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RegistryError('DATA_DIR', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RegistryError('DATA_CORRUPT', `${file}: not valid JSON`);
  }
}

/** The marker, or null when the folder has none yet. */
export function readMarker(dataDir: string): FolderMarker | null {
  const file = join(resolve(dataDir), MARKER_FILE);
  const meta = readJsonFile<Partial<FolderMarker> | null>(file);
  // null: no file, or a file holding JSON null (corrupt, refused below).
  if (meta === null && !existsSync(file)) return null;
  if (meta?.format !== FORMAT) throw new RegistryError('DATA_CORRUPT', `${file}: expected format ${FORMAT}, got ${JSON.stringify(meta?.format)}`);
  if (meta.store !== undefined && !KINDS.includes(meta.store)) {
    throw new RegistryError('DATA_CORRUPT', `${file}: store: expected one of ${KINDS.join(', ')}, got ${JSON.stringify(meta.store)}`);
  }
  return meta as FolderMarker;
}

/** Where the records of a folder are: what its marker says, or for a folder without one what is in it. */
export function folderStore(dataDir: string): StoreKind | null {
  const marker = readMarker(dataDir);
  if (marker) return marker.store ?? 'files';
  // A database store opened before markers existed left DATA/db behind and no marker.
  return existsSync(join(resolve(dataDir), 'db')) ? 'embedded' : null;
}

/** The kind of store a --database value names. */
export function storeKind(database: string): StoreKind | 'memory' {
  if (database === 'files' || database === 'embedded' || database === 'memory') return database;
  if (/^postgres(ql)?:\/\//.test(database)) return 'postgres';
  throw new RegistryError('BAD_REQUEST', `--database: expected files, embedded or a postgres:// URL, got ${JSON.stringify(redactUrl(database).slice(0, 100))}`);
}

function describe(dataDir: string, kind: StoreKind, marker: FolderMarker | null): string {
  if (kind === 'files') return 'JSON files';
  if (kind === 'embedded') return `the embedded database ${join(resolve(dataDir), 'db')}`;
  return `PostgreSQL${marker?.database ? ` (${marker.database})` : ''}`;
}

/**
 * Refuses to open `dataDir` with a store of another kind than the one that keeps its records (JSON files
 * are never silently left behind for an empty database, nor the reverse).
 */
export function checkFolder(dataDir: string, kind: StoreKind): void {
  const found = folderStore(dataDir);
  if (found === null || found === kind) return;
  const dir = resolve(dataDir);
  const marker = readMarker(dataDir);
  const wanted = kind === 'files' ? 'files' : kind === 'embedded' ? 'embedded' : 'postgres://…';
  const how = found === 'files'
    ? `leave --database out (or give --database files) to go on with them, or move them into the database with \`packsec registry migrate --data ${dir} --database ${wanted}\``
    : found === 'postgres' ? 'give --database with that PostgreSQL URL' : 'leave --database out, or give --database embedded';
  throw new RegistryError('DATA_STORE', `${dir} keeps its records in ${describe(dataDir, found, marker)}, not in ${describe(dataDir, kind, null)}: ${how}`);
}

/** Records in the marker which store the folder uses (once; a folder already marked is only checked). */
export function markFolder(dataDir: string, kind: StoreKind, database?: string): void {
  checkFolder(dataDir, kind);
  if (readMarker(dataDir)) return;
  const marker: FolderMarker = { format: FORMAT, createdAt: new Date().toISOString(), store: kind, ...(kind === 'postgres' && database ? { database: redactUrl(database) } : {}) };
  try {
    // Exclusive: gateways starting together on a shared folder agree on one marker.
    if (!createFileAtomic(join(resolve(dataDir), MARKER_FILE), JSON.stringify(marker, null, 2) + '\n')) checkFolder(dataDir, kind);
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    throw new RegistryError('DATA_DIR', `cannot write ${join(resolve(dataDir), MARKER_FILE)}: ${(err as Error).message}`);
  }
}

/** Points the marker at another store (after its records were moved there); the rest of the marker is kept. */
export function remarkFolder(dataDir: string, kind: StoreKind, database?: string): void {
  const before = readMarker(dataDir);
  const marker: FolderMarker & { movedAt: string } = {
    format: FORMAT, ...(before?.createdAt ? { createdAt: before.createdAt } : {}), store: kind,
    ...(kind === 'postgres' && database ? { database: redactUrl(database) } : {}), movedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(resolve(dataDir), MARKER_FILE), JSON.stringify(marker, null, 2) + '\n');
}
