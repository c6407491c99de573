// packsec.lock.json as verified loading reads it: the recorded files of each installed copy, found by
// the copy's real folder. Read once per thread, when the first copy is looked up, or handed over by
// `packsec run` when the app runs in its own process (which has just read and validated the file).
// A thread that reads the file itself parses only the records of the copies it loads from.
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ReadPowers } from '../analyze/powers.js';
import type { Lock } from '../policy/index.js';

const LOCK_FILE = 'packsec.lock.json';

export interface CopyRecord {
  /** The install path the lock knows it by: node_modules/a/node_modules/b. */
  key: string;
  version: string;
  /** Relative path → "sha256-<base64>" or "symlink:<target>". */
  files: Record<string, string>;
}

/** The lock's `packages`: which install paths it records, and each one's raw record. */
interface Records {
  keys(): Iterable<string>;
  has(key: string): boolean;
  get(key: string): unknown;
}

let handedOver: Lock | null = null;

/** `packsec run` in the app's own process: the lock it validated, so the runtime need not parse it again. */
export function handOverLock(lock: Lock): void {
  handedOver = lock;
}

/** Why the lock cannot be used; verified loading denies every load from node_modules then. */
export class LockUnavailable extends Error {}

export class LockView {
  private records: Records | null = null;
  private readonly copies = new Map<string, CopyRecord | null>();
  private byRealFolder: Map<string, string> | null = null;
  private readonly prefix: string;

  constructor(
    /** The project folder, as a real path. */
    readonly projectDir: string,
    private readonly powers: ReadPowers,
  ) {
    this.prefix = projectDir.endsWith(sep) ? projectDir : projectDir + sep;
  }

  /** The project-relative path of `file`, with forward slashes (how the lock and messages name files). */
  rel(file: string): string {
    // Every resolution asks: a slice where path.relative would take its time.
    const inside = file.startsWith(this.prefix) ? file.slice(this.prefix.length) : relative(this.projectDir, file);
    return sep === '/' ? inside : inside.split(sep).join('/');
  }

  private load(): Records {
    if (this.records) return this.records;
    const lock = handedOver;
    handedOver = null;
    this.records = lock ? objectRecords(lock.packages) : readRecords(join(this.projectDir, LOCK_FILE));
    return this.records;
  }

  /** The lock's record of the copy installed at `key`, or null when the lock has none. */
  record(key: string): CopyRecord | null {
    const known = this.copies.get(key);
    if (known !== undefined) return known;
    const rec = this.load().get(key);
    let out: CopyRecord | null = null;
    if (rec !== undefined) {
      // Validated by `packsec run` before the app started; checked again here because this thread may
      // have read the file itself, later.
      const files = isRecord(rec) ? rec.files : undefined;
      if (!isRecord(files) || Object.values(files).some((v) => typeof v !== 'string')) {
        throw new LockUnavailable(`${LOCK_FILE}: packages[${JSON.stringify(key)}].files: expected an object of strings`);
      }
      out = { key, version: String((rec as { version?: unknown }).version), files: files as Record<string, string> };
    }
    this.copies.set(key, out);
    return out;
  }

  /** Whether the lock records a copy at this project-relative install path. */
  has(key: string): boolean {
    return this.load().has(key);
  }

  /**
   * The install path of the copy in `folder` (an install path or a real folder). Usually the folder
   * itself; a copy reached through links (pnpm's layout) is found by the real folders of every install
   * path.
   */
  keyOf(folder: string): string | null {
    const direct = this.rel(folder);
    if (this.has(direct)) return direct;
    if (!this.byRealFolder) {
      this.byRealFolder = new Map();
      for (const key of this.load().keys()) {
        const real = this.realpath(join(this.projectDir, key));
        if (real && !this.byRealFolder.has(real)) this.byRealFolder.set(real, key);
      }
    }
    return this.byRealFolder.get(folder) ?? null;
  }

  private realpath(path: string): string | null {
    try {
      return this.powers.realpath(path);
    } catch {
      return null;
    }
  }
}

function objectRecords(packages: Record<string, unknown>): Records {
  return { keys: () => Object.keys(packages), has: (key) => Object.hasOwn(packages, key), get: (key) => (Object.hasOwn(packages, key) ? packages[key] : undefined) };
}

function readRecords(file: string): Records {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LockUnavailable(code === 'ENOENT' ? `there is no ${LOCK_FILE} in ${file.slice(0, -LOCK_FILE.length - 1)}` : `${LOCK_FILE} cannot be read (${code ?? (err as Error).message})`);
  }
  const index = indexRecords(text);
  if (index) {
    return {
      keys: () => index.keys(),
      has: (key) => index.has(key),
      get: (key) => {
        const at = index.get(key);
        return at ? parse(text.slice(at[0], at[1])) : undefined;
      },
    };
  }
  const packages = (parse(text) as { packages?: unknown } | null)?.packages;
  if (!isRecord(packages)) throw new LockUnavailable(`${LOCK_FILE}: packages: expected an object`);
  return objectRecords(packages);
}

const OPENING = '{\n  "lockfileVersion": 1,\n  "packages": {\n';
const KEY_END = '": {\n';
const RECORD_END = '\n    }';

/**
 * Where each copy's record lies in a lock written as `packsec init` writes it (two-space JSON, one
 * record per install path, first in the file), found without parsing the whole file: in a big tree
 * that takes tens of milliseconds, in every thread and child process. Null when the text is laid out
 * any other way (the whole file is parsed then), or names an install path twice.
 */
function indexRecords(text: string): Map<string, [number, number]> | null {
  if (!text.startsWith(OPENING)) return null;
  const index = new Map<string, [number, number]>();
  let at = OPENING.length;
  while (text.startsWith('    "', at)) {
    // JSON strings hold no raw line breaks, so neither this nor the record's end can occur inside one.
    const keyEnd = text.indexOf(KEY_END, at);
    const end = keyEnd < 0 ? -1 : text.indexOf(RECORD_END, keyEnd);
    if (end < 0) return null;
    const key = keyAt(text.slice(at + 4, keyEnd + 1));
    if (key === null || index.has(key)) return null;
    index.set(key, [keyEnd + KEY_END.length - 2, end + RECORD_END.length]);
    at = end + RECORD_END.length;
    if (!text.startsWith(',\n', at)) break;
    at += 2;
  }
  // A second "packages" further on is the one JSON.parse (and so `packsec check`) would take.
  return text.startsWith('\n  }', at) && !text.includes('\n  "packages"', at) ? index : null;
}

/** The install path a record's opening line names, or null when that line is not just `"key": {`. */
function keyAt(quoted: string): string | null {
  if (quoted.includes('\n')) return null;
  try {
    const key: unknown = JSON.parse(quoted);
    return typeof key === 'string' ? key : null;
  } catch {
    return null;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LockUnavailable(`${LOCK_FILE} is not valid JSON (${(err as Error).message})`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
