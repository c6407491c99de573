// The registry's data folder as JSON files: one record per package (every version with its state),
// tarballs next to it, users, hashed tokens and the index of pending requests. All writes are atomic;
// writes to one package are serialised in this process. DbStore (storage-db.ts) keeps the same in a database.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { createFileAtomic, writeFileAtomic } from '../util/atomic.js';
import { isSeverity, type Severity } from '../util/advisory.js';
import { RegistryError } from './errors.js';
import { checkFolder, markFolder, readJsonFile } from './folder.js';
import { validateUserName } from './names.js';
import { PackageFiles, removeIfPresent } from './package-files.js';
import type { Signature } from './signing.js';
import type { RegistryStore } from './store.js';

/** public: in packuments and downloadable; pending: waiting for approval; rejected: discarded, its number burned. */
export type VersionState = 'public' | 'pending' | 'rejected';

export interface Person {
  name: string;
  email?: string;
}

export interface Attestation {
  predicateType: string;
  bundle: unknown;
}

export interface VersionRecord {
  state: VersionState;
  /** The manifest as published (package.json plus the npm fields kept), without `dist`. */
  manifest: Record<string, unknown>;
  /** File name of the tarball in the package's folder. */
  tarball: string;
  /** sha512 SRI of the tarball. */
  integrity: string;
  /** sha1 hex of the tarball (npm's legacy `shasum`). */
  shasum: string;
  size: number;
  fileCount: number;
  unpackedSize: number;
  /** When the tarball was uploaded. */
  uploadedAt: string;
  /** When the version became public: the packument's `time[version]`. */
  publishedAt?: string;
  npmUser: Person;
  /** The dist-tag the publisher asked for; applied when the version becomes public. */
  tag?: string;
  signatures: Signature[];
  /** File name of the attestation bundles (`{ attestations: [...] }`), when the publish carried any. */
  attestations?: string;
  predicateTypes?: string[];
  /** The id of its approval request while (or since) it was pending. */
  stageId?: string;
  rejectedAt?: string;
}

export interface PackageRecord {
  format: 1;
  name: string;
  createdAt: string;
  modifiedAt: string;
  /** Revision counter, exposed as CouchDB's `_rev` for clients that send it back. */
  rev: number;
  distTags: Record<string, string>;
  maintainers: Person[];
  versions: Record<string, VersionRecord>;
}

export interface UserRecord {
  name: string;
  email?: string;
  /** scrypt hash (see auth.ts); absent for users who only have tokens. */
  password?: string;
  createdAt: string;
}

export interface TokenRecord {
  /** SHA-256 hex of the token; the token itself is never stored. */
  key: string;
  user: string;
  createdAt: string;
  readonly: boolean;
  /** The first characters of the token, to recognise it in `npm token list`. */
  preview: string;
  /**
   * A granular token writes only these packages and scopes ("name", "@scope"); absent: every package its
   * user may write. Reading is never limited.
   */
  packages?: string[];
  /** When it stops working (ISO time); absent: never. */
  expiresAt?: string;
}

export interface StageRef {
  id: string;
  packageName: string;
  version: string;
}

/** A security advisory about a package name (hosted here or not), served by the bulk advisory endpoint. */
export interface AdvisoryRecord {
  id: number;
  /** The package name it is about. */
  name: string;
  /** The vulnerable versions, a semver range as npm writes them (`<1.0.3`, `>=2.0.0 <2.1.1`). */
  range: string;
  severity: Severity;
  title: string;
  url?: string;
  createdAt: string;
}

/** A token's key as stored: the SHA-256 hex of the token. */
export function checkTokenKey(key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new RegistryError('BAD_REQUEST', 'invalid token key');
  return key;
}

/** A stage id (a UUID); anything else names no staged version. */
export function checkStageId(id: string): string {
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new RegistryError('NOT_FOUND', 'no such staged version');
  return id;
}

// Its methods answer synchronously where they can (the server and the CLI call some of them so);
// code written against RegistryStore awaits every answer.
export class FileStore implements RegistryStore {
  readonly dir: string;
  private readonly files: PackageFiles;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Advisory files never change once written, so each is read once per process. */
  private readonly advisoryCache = new Map<string, AdvisoryRecord>();

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.files = new PackageFiles(this.dir);
  }

  /** Creates the folder layout, or checks that an existing folder is a registry data folder whose records are files. */
  init(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new RegistryError('DATA_DIR', `cannot create the registry data folder ${this.dir}: ${(err as Error).message}`);
    }
    checkFolder(this.dir, 'files');
    try {
      for (const sub of ['packages', 'users', 'tokens', 'stage', 'advisories']) mkdirSync(join(this.dir, sub), { recursive: true });
    } catch (err) {
      throw new RegistryError('DATA_DIR', `cannot create the registry data folder ${this.dir}: ${(err as Error).message}`);
    }
    markFolder(this.dir, 'files');
  }

  private async readJson<T>(file: string): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
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

  private writeJson(file: string, value: unknown): void {
    writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
  }

  /** packages/<name>/ ("@scope/name" is two folders, as in node_modules). */
  packageDir(name: string): string {
    return this.files.dir(name);
  }

  async readPackage(name: string): Promise<PackageRecord | null> {
    return this.readJson<PackageRecord>(join(this.packageDir(name), 'record.json'));
  }

  writePackage(record: PackageRecord): void {
    const dir = this.packageDir(record.name);
    mkdirSync(dir, { recursive: true });
    this.writeJson(join(dir, 'record.json'), record);
  }

  /** Names of every package with a record. */
  listPackages(): string[] {
    const root = join(this.dir, 'packages');
    const names: string[] = [];
    const visit = (dir: string, scope: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (!scope && e.name.startsWith('@')) visit(join(dir, e.name), e.name);
        else if (existsSync(join(dir, e.name, 'record.json'))) names.push(scope ? `${scope}/${e.name}` : e.name);
      }
    };
    visit(root, '');
    return names.sort();
  }

  writePackageFile(name: string, file: string, data: Uint8Array | string, integrity?: string): void {
    this.files.write(name, file, data, integrity);
  }

  async readPackageFile(name: string, file: string, integrity?: string): Promise<Buffer | null> {
    return this.files.read(name, file, integrity);
  }

  deletePackageFile(name: string, file: string): void {
    this.files.delete(name, file);
  }

  /** Runs `fn` after every earlier call for the same key has finished (one writer per package). */
  async withLock<T>(key: string, fn: (store: FileStore) => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const locked = () => fn(this);
    const run = before.then(locked, locked);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  // Users and tokens are written by the server and by `packsec registry token` in another process:
  // each lives in its own file, created exclusively or replaced atomically, so neither loses the other's writes.

  async readUser(name: string): Promise<UserRecord | null> {
    return this.readJson<UserRecord>(join(this.dir, 'users', `${validateUserName(name)}.json`));
  }

  /** Creates a user; false if one by that name already exists. */
  createUser(user: UserRecord): boolean {
    const file = join(this.dir, 'users', `${validateUserName(user.name)}.json`);
    try {
      writeFileSync(file, JSON.stringify(user, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  writeUser(user: UserRecord): void {
    this.writeJson(join(this.dir, 'users', `${validateUserName(user.name)}.json`), user);
  }

  private tokenFile(key: string): string {
    return join(this.dir, 'tokens', `${checkTokenKey(key)}.json`);
  }

  async readToken(key: string): Promise<TokenRecord | null> {
    return this.readJson<TokenRecord>(this.tokenFile(key));
  }

  writeToken(token: TokenRecord): void {
    this.writeJson(this.tokenFile(token.key), token);
  }

  deleteToken(key: string): boolean {
    return removeIfPresent(this.tokenFile(key));
  }

  async listTokens(user: string): Promise<TokenRecord[]> {
    return (await this.allTokens()).filter((t) => t.user === user);
  }

  /** Every token of every user, oldest first (moving the records into a database). */
  async allTokens(): Promise<TokenRecord[]> {
    const out: TokenRecord[] = [];
    for (const f of readdirSync(join(this.dir, 'tokens'))) {
      if (!/^[0-9a-f]{64}\.json$/.test(f)) continue;
      const t = await this.readToken(f.slice(0, 64));
      if (t) out.push(t);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Every user (moving the records into a database). */
  async listUsers(): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    for (const f of readdirSync(join(this.dir, 'users')).sort()) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const u = await this.readJson<UserRecord>(join(this.dir, 'users', f));
      if (u) out.push(u);
    }
    return out;
  }

  private stageFile(id: string): string {
    return join(this.dir, 'stage', `${checkStageId(id)}.json`);
  }

  async readStage(id: string): Promise<StageRef | null> {
    return this.readJson<StageRef>(this.stageFile(id));
  }

  writeStage(ref: StageRef): void {
    this.writeJson(this.stageFile(ref.id), ref);
  }

  deleteStage(id: string): void {
    removeIfPresent(this.stageFile(id));
  }

  // Advisories are one file each (advisories/<id>.json), created exclusively, so `packsec registry
  // advisory add` can run beside the server and two adds never take the same id.

  /** Every stored advisory, by id. */
  listAdvisories(): AdvisoryRecord[] {
    const dir = join(this.dir, 'advisories');
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => /^[1-9]\d{0,15}\.json$/.test(f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RegistryError('DATA_DIR', `cannot read ${dir}: ${(err as Error).message}`);
    }
    const present = new Set(files);
    for (const f of this.advisoryCache.keys()) if (!present.has(f)) this.advisoryCache.delete(f);
    for (const f of files) {
      if (!this.advisoryCache.has(f)) this.advisoryCache.set(f, checkAdvisory(readJsonFile(join(dir, f)), join(dir, f)));
    }
    return [...this.advisoryCache.values()].sort((a, b) => a.id - b.id);
  }

  /** Stores a new advisory under the next free id. */
  createAdvisory(fields: Omit<AdvisoryRecord, 'id'>): AdvisoryRecord {
    const dir = join(this.dir, 'advisories');
    mkdirSync(dir, { recursive: true });
    let id = this.listAdvisories().reduce((max, a) => Math.max(max, a.id), 0) + 1;
    for (;;) {
      const record: AdvisoryRecord = { id, ...fields };
      if (createFileAtomic(join(dir, `${id}.json`), JSON.stringify(record, null, 2) + '\n')) return record;
      id++;
    }
  }

  async listStages(): Promise<StageRef[]> {
    const out: StageRef[] = [];
    for (const f of readdirSync(join(this.dir, 'stage'))) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const ref = await this.readStage(f.slice(0, -5)).catch(() => null);
      if (ref) out.push(ref);
    }
    return out;
  }

  /** Nothing to release: every write is finished when its call returns. */
  async close(): Promise<void> {}
}

function checkAdvisory(value: unknown, file: string): AdvisoryRecord {
  const a = value as Partial<AdvisoryRecord> | null;
  const ok = typeof a === 'object' && a !== null && Number.isSafeInteger(a.id) && `${a.id}.json` === file.slice(file.lastIndexOf(sep) + 1)
    && typeof a.name === 'string' && typeof a.range === 'string' && isSeverity(a.severity) && typeof a.title === 'string'
    && (a.url === undefined || typeof a.url === 'string') && typeof a.createdAt === 'string';
  if (!ok) throw new RegistryError('DATA_CORRUPT', `${file}: not an advisory record ({ id, name, range, severity, title, url?, createdAt })`);
  return a as AdvisoryRecord;
}
