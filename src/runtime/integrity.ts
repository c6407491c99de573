// Verified loading: a file the runtime loads from node_modules must be the one packsec.lock.json
// records, hashed from the very text or bytes that are then compiled; the first load from a copy
// compares the copy's listing with the lock (names, kinds, link targets, package.json); and a request
// that names a package folder must load a file inside it, not one that a link leads elsewhere.
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadPowers } from '../analyze/powers.js';
import { fileRecord } from '../analyze/tree.js';
import { packageNameOf } from '../policy/index.js';
// verify/files.js, not verify's index: the runtime loads only what it needs, at every start.
import { compareListing, sha256 } from '../verify/files.js';
import type { Violation } from './denial.js';
import { LockUnavailable, type CopyRecord, type LockView } from './lock-view.js';
import { isInside, packageAt, packageOfPath, PRESERVE_SYMLINKS } from './packages.js';

type Problem = Omit<Violation, 'count'>;

interface CopyState {
  record: CopyRecord | null;
  /** How the copy differs from the lock: denied again at every load from it. */
  problem: Problem | null;
}

const SHOWN = 5;
const NODE_MODULES = `${sep}node_modules`;

export class Integrity {
  private readonly copies = new Map<string, CopyState>();

  constructor(
    private readonly lock: LockView,
    private readonly powers: ReadPowers,
    /** Throws unless in warn mode. */
    private readonly deny: (v: Problem) => void,
  ) {}

  /**
   * Checks `data`, the text or bytes about to be compiled as `file`, against the lock when the file is
   * inside node_modules. Returns its SHA-256 digest (the compiled-module cache is keyed by it too).
   */
  verifySource(file: string, data: string | Uint8Array): Buffer {
    const digest = sha256(data);
    const real = PRESERVE_SYMLINKS ? this.realpath(file) ?? file : file;
    const loc = packageOfPath(real);
    if (!loc) return digest;
    const record = this.copy(loc.name, loc.root).record;
    if (!record) return digest;
    const rel = real.slice(loc.root.length + 1).split(sep).join('/');
    const expected = own(record.files, rel);
    const actual = fileRecord(digest);
    if (expected === actual || (expected && typeof data === 'string' && this.decodesTo(real, data, expected))) return digest;
    const path = this.lock.rel(real);
    this.deny({
      package: loc.name,
      kind: 'integrity',
      capability: path,
      detail: expected === undefined
        ? `${path} is not among the files packsec.lock.json records for ${record.key}`
        : `${path} does not match packsec.lock.json: expected ${expected}, got ${actual}`,
    });
    return digest;
  }

  /** Checks a file that Node reads itself (a native addon, before dlopen). */
  verifyFile(file: string): void {
    if (!packageOfPath(file)) return;
    let bytes: Buffer;
    try {
      bytes = this.powers.readFile(file);
    } catch {
      return; // Node reports the missing file itself
    }
    this.verifySource(file, bytes);
  }

  /**
   * After Node resolved `request` from `parentFile` to `resolved`: when the request names a folder in
   * node_modules (a package, or a path into one), the file must lie inside that folder's real location.
   * Otherwise a link in node_modules would lead to code the lock never saw.
   */
  checkResolved(request: string, parentFile: string | null, resolved: string): void {
    // A built-in; or a path that is already real (the loader asking again for what it resolved).
    if (!isAbsolute(resolved) || request === resolved) return;
    const file = PRESERVE_SYMLINKS ? this.realpath(resolved) ?? resolved : resolved;
    if (request.startsWith('#')) {
      // A package's imports map (in its verified package.json) may name other packages, not the app.
      const own = parentFile ? packageOfPath(parentFile) : null;
      if (own && !packageOfPath(file)) {
        this.deny({ package: own.name, kind: 'integrity', capability: this.lock.rel(file), detail: `${JSON.stringify(request)} leads to ${this.lock.rel(file)}, outside node_modules` });
      }
      return;
    }
    const named = this.namedFolder(request, parentFile, file);
    // Inside it by path, so no link on the way: the load checks the rest.
    if (!named || isInside(file, named)) return;
    const where = this.lock.rel(named);
    const name = packageAt(named)?.name ?? where;
    const real = this.realpath(named);
    const locked = this.has(where);
    if (real === null) {
      if (locked) this.deny({ package: name, kind: 'integrity', capability: where, detail: `${where} is in packsec.lock.json but not installed` });
      return;
    }
    // A locked copy always lies in a node_modules folder; outside one its files would never be verified.
    const isCopy = packageAt(real)?.root === real;
    if (locked && !isCopy) {
      this.deny({ package: name, kind: 'integrity', capability: where, detail: `${where} is a link to ${this.lock.rel(real)}, which is not an installed package's folder` });
    }
    if (isInside(file, real)) return;
    // A copy whose listing changed says what changed (a file swapped for a link, say).
    if (isCopy) this.copy(name, real);
    this.deny({
      package: name,
      kind: 'integrity',
      capability: this.lock.rel(file),
      detail: `${JSON.stringify(request)} names ${where}, but leads to ${this.lock.rel(file)}, outside that package's folder`,
    });
  }

  /** An entry point named by path (a child process's main, a Worker's file). */
  checkEntry(file: string): void {
    const loc = packageOfPath(file);
    if (!loc) return;
    // Its copy is checked first: a file swapped for a link shows there, whatever the entry's name.
    const real = this.realpath(loc.root);
    if (real && packageAt(real)?.root === real) this.copy(loc.name, real);
    this.checkResolved(file, null, this.realpath(file) ?? file);
  }

  /** The folder in node_modules that `request` names, when it names one. */
  private namedFolder(request: string, parentFile: string | null, file: string): string | null {
    const parentDir = parentFile ? dirname(parentFile) : process.cwd();
    const name = packageNameOf(request);
    if (name === null) {
      const target = request.startsWith('file:') ? fileURLToPath(request) : resolve(parentDir, request);
      return packageAt(target)?.root ?? null;
    }
    const own = parentFile ? packageOfPath(parentFile) : null;
    if (own?.name === name && isInside(file, own.root)) return null; // a package importing itself by name
    // Node takes the first node_modules folder upwards that holds the name. Found in one by path, there
    // was no link on the way (npm's layout), unless a locked copy before it was passed over.
    let passedOver: string | null = null;
    for (const dir of lookupDirs(parentDir)) {
      const candidate = join(dir, name);
      if (isInside(file, candidate)) return passedOver ?? candidate;
      if (passedOver === null && this.has(this.lock.rel(candidate))) passedOver = candidate;
    }
    // Found through a link (pnpm's layout, a workspace): Node took the first candidate there is.
    for (const dir of lookupDirs(parentDir)) {
      const candidate = join(dir, name);
      if (this.has(this.lock.rel(candidate)) || this.powers.lstat(candidate)) return candidate;
    }
    return null;
  }

  /** The copy in `folder` (a real path), checked against the lock on first use. */
  private copy(name: string, folder: string): CopyState {
    let state = this.copies.get(folder);
    if (!state) {
      state = this.checkCopy(name, folder);
      this.copies.set(folder, state);
    }
    if (state.problem) this.deny(state.problem);
    return state;
  }

  private checkCopy(name: string, folder: string): CopyState {
    const where = this.lock.rel(folder);
    const problem = (detail: string): Problem => ({ package: name, kind: 'integrity', capability: where, detail });
    let record: CopyRecord | null;
    try {
      const key = this.lock.keyOf(folder);
      record = key === null ? null : this.lock.record(key);
    } catch (err) {
      if (!(err instanceof LockUnavailable)) throw err;
      return { record: null, problem: problem(`${where} cannot be verified: ${err.message}`) };
    }
    if (!record) return { record: null, problem: problem(`${where} is not in packsec.lock.json: it was installed after the lock was written`) };
    // Names, kinds and link targets only: a file is hashed when it loads. Node reads package.json
    // itself (main, exports, type), so it is hashed now.
    const diff = compareListing(folder, record.files, this.powers, (rel) => rel === 'package.json');
    const changes = [
      ...diff.problems,
      ...shown('added', diff.added),
      ...shown('removed', diff.removed),
      ...diff.changed.slice(0, SHOWN).map((c) => `changed ${c.file} (expected ${c.expected}, got ${c.actual})`),
      ...(diff.changed.length > SHOWN ? [`${diff.changed.length - SHOWN} more changed`] : []),
    ];
    if (!changes.length) return { record, problem: null };
    return { record, problem: problem(`${where} differs from the ${record.version} that packsec.lock.json records: ${changes.join('; ')}`) };
  }

  /**
   * Node hands CommonJS code over as text, and a file that is not valid UTF-8 does not encode back to
   * its own bytes. It passes when its bytes match the lock and decode to exactly the text compiled.
   */
  private decodesTo(file: string, text: string, expected: string): boolean {
    try {
      const bytes = this.powers.readFile(file);
      return fileRecord(sha256(bytes)) === expected && bytes.toString('utf8') === text;
    } catch {
      return false;
    }
  }

  private has(key: string): boolean {
    try {
      return this.lock.has(key);
    } catch (err) {
      if (err instanceof LockUnavailable) return false; // the load itself is denied, with the reason
      throw err;
    }
  }

  private realpath(path: string): string | null {
    try {
      return this.powers.realpath(path);
    } catch {
      return null;
    }
  }
}

function own(files: Record<string, string>, rel: string): string | undefined {
  return Object.hasOwn(files, rel) ? files[rel] : undefined;
}

function shown(what: string, files: string[]): string[] {
  if (!files.length) return [];
  const more = files.length > SHOWN ? ` and ${files.length - SHOWN} more` : '';
  return [`${what} ${files.slice(0, SHOWN).join(', ')}${more}`];
}

/** The node_modules folders Node looks in for a package, from `dir` upwards (Module._nodeModulePaths). */
function* lookupDirs(dir: string): Generator<string> {
  // Lazily: every resolution asks, and most stop at the first or second folder.
  for (let d = dir, up = dirname(d); ; d = up, up = dirname(d)) {
    if (!d.endsWith(NODE_MODULES)) yield join(d, 'node_modules');
    if (up === d) return;
  }
}
