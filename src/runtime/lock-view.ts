// packsec.lock.json as verified loading reads it: the recorded files of each installed copy, found by
// the copy's real folder. Read once per thread, when the first copy is looked up, or handed over by
// `packsec run` when the app runs in its own process (which has just read and validated the file).
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

let handedOver: Lock | null = null;

/** `packsec run` in the app's own process: the lock it validated, so the runtime need not parse it again. */
export function handOverLock(lock: Lock): void {
  handedOver = lock;
}

/** Why the lock cannot be used; verified loading denies every load from node_modules then. */
export class LockUnavailable extends Error {}

export class LockView {
  private packages: Record<string, unknown> | null = null;
  private readonly records = new Map<string, CopyRecord | null>();
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

  private load(): Record<string, unknown> {
    if (this.packages) return this.packages;
    let json: unknown = handedOver;
    handedOver = null;
    if (!json) {
      let text: string;
      try {
        text = readFileSync(join(this.projectDir, LOCK_FILE), 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new LockUnavailable(code === 'ENOENT' ? `there is no ${LOCK_FILE} in ${this.projectDir}` : `${LOCK_FILE} cannot be read (${code ?? (err as Error).message})`);
      }
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new LockUnavailable(`${LOCK_FILE} is not valid JSON (${(err as Error).message})`);
      }
    }
    const packages = (json as { packages?: unknown } | null)?.packages;
    if (!isRecord(packages)) throw new LockUnavailable(`${LOCK_FILE}: packages: expected an object`);
    this.packages = packages;
    return packages;
  }

  /** The lock's record of the copy installed at `key`, or null when the lock has none. */
  record(key: string): CopyRecord | null {
    const known = this.records.get(key);
    if (known !== undefined) return known;
    const packages = this.load();
    const rec = Object.hasOwn(packages, key) ? packages[key] : undefined;
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
    this.records.set(key, out);
    return out;
  }

  /** Whether the lock records a copy at this project-relative install path. */
  has(key: string): boolean {
    return Object.hasOwn(this.load(), key);
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
      for (const key of Object.keys(this.load())) {
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
