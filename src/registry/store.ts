// What the registry keeps, whatever keeps it: package records (with every version's state), users,
// hashed tokens, the index of pending requests and advisories; tarballs always on disk. FileStore keeps
// JSON files in the data folder; DbStore keeps the same in PGlite or PostgreSQL (openStore picks).
import { FileStore, type AdvisoryRecord, type PackageRecord, type StageRef, type TokenRecord, type UserRecord } from './storage.js';
import { DbStore } from './storage-db.js';

/** A file store answers at once, a database later: callers await every answer. */
export type Answer<T> = T | Promise<T>;

/** Applies `fn` to an answer: at once to a value, on settling to a promise. */
export function then<T, R>(answer: Answer<T>, fn: (value: T) => Answer<R>): Answer<R> {
  return answer instanceof Promise ? answer.then(fn) : fn(answer);
}

export interface RegistryStore {
  /** The data folder (tarballs, keys). */
  readonly dir: string;
  readPackage(name: string): Promise<PackageRecord | null>;
  writePackage(record: PackageRecord): Answer<void>;
  /** Names of every package with a record, in code-unit order. */
  listPackages(): Answer<string[]>;
  /** With `integrity`, data that does not match is refused, and the written file is read back and checked. */
  writePackageFile(name: string, file: string, data: Uint8Array | string, integrity?: string): Answer<void>;
  /** With `integrity`, a stored file that does not match is an error (DATA_CORRUPT), never returned. */
  readPackageFile(name: string, file: string, integrity?: string): Promise<Buffer | null>;
  deletePackageFile(name: string, file: string): Answer<void>;
  /**
   * Runs `fn` while no other writer of the same package runs (in this process for files; in every
   * process sharing the database for a database). `fn` must use the store it is given: for a database
   * it is bound to the transaction that holds the lock, and everything it writes commits together.
   */
  withLock<T>(name: string, fn: (store: RegistryStore) => Promise<T>): Promise<T>;
  readUser(name: string): Promise<UserRecord | null>;
  /** Creates a user; false if one by that name already exists. */
  createUser(user: UserRecord): Answer<boolean>;
  writeUser(user: UserRecord): Answer<void>;
  readToken(key: string): Promise<TokenRecord | null>;
  writeToken(token: TokenRecord): Answer<void>;
  /** False when there was no such token. */
  deleteToken(key: string): Answer<boolean>;
  /** The user's tokens, oldest first. */
  listTokens(user: string): Promise<TokenRecord[]>;
  readStage(id: string): Promise<StageRef | null>;
  writeStage(ref: StageRef): Answer<void>;
  deleteStage(id: string): Answer<void>;
  listStages(): Promise<StageRef[]>;
  /** Every advisory, by id. */
  listAdvisories(): Answer<AdvisoryRecord[]>;
  /** Stores a new advisory under the next free id. */
  createAdvisory(fields: Omit<AdvisoryRecord, 'id'>): Answer<AdvisoryRecord>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The data folder: tarballs and keys always, records too for the file store. */
  dataDir: string;
  /**
   * Absent or "files": JSON files in the data folder (FileStore). "embedded": PGlite in DATA/db.
   * "memory": PGlite in memory (tests). postgres://…: that PostgreSQL database, shareable by several gateways.
   */
  database?: string;
}

/** The store the options name, ready to use (the folder laid out, the database migrated). */
export async function openStore(options: StoreOptions): Promise<FileStore | DbStore> {
  if (options.database === undefined || options.database === 'files') {
    const store = new FileStore(options.dataDir);
    store.init();
    return store;
  }
  return DbStore.open(options.dataDir, options.database);
}
