// packsec.lock.json: machine-written records per installed package copy (version, integrity, file
// hashes, install scripts) and the last inference, which lets `init` tell hand edits from inferred lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { describeValue, type PathSegment } from '../util/jsonpath.js';
import { PolicyError } from './error.js';
import { parseJsonFile } from './io.js';
import { LOCK_FILE, normalizeEntry, type PackagePolicy } from './model.js';
import { checkEntry, problemsToError, type Problem } from './schema.js';

export interface LockRecord {
  name: string;
  version: string;
  /** The registry's integrity value (from npm's lockfile), when known. */
  integrity?: string;
  resolved?: string;
  /** Relative file path → "sha256-<base64>" (or "symlink:<target>"). */
  files: Record<string, string>;
  /** Install-time lifecycle scripts, so a changed script is seen as a change. */
  scripts?: Record<string, string>;
}

export interface Lock {
  lockfileVersion: 1;
  /** Keyed by install path: node_modules/a/node_modules/b. */
  packages: Record<string, LockRecord>;
  /** What inference (or a declaration) gave each package name at the last init. */
  inferred: Record<string, PackagePolicy>;
  /** What the app's own code (outside node_modules) uses, for the permission model's flags. */
  app?: PackagePolicy;
}

export function lockPath(projectDir: string): string {
  return join(projectDir, LOCK_FILE);
}

function sortedObject<T>(obj: Record<string, T>, map: (v: T) => unknown = (v) => v): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = map(obj[k]!);
  return out;
}

export function serializeLock(lock: Lock): string {
  const packages = sortedObject(lock.packages, (r) => {
    const rec: Record<string, unknown> = { name: r.name, version: r.version };
    if (r.integrity) rec.integrity = r.integrity;
    if (r.resolved) rec.resolved = r.resolved;
    if (r.scripts && Object.keys(r.scripts).length) rec.scripts = sortedObject(r.scripts);
    rec.files = sortedObject(r.files);
    return rec;
  });
  const inferred = sortedObject(lock.inferred, (e) => normalizeEntry(e));
  const out: Record<string, unknown> = { lockfileVersion: 1, packages, inferred };
  if (lock.app) out.app = normalizeEntry(lock.app);
  return JSON.stringify(out, null, 2) + '\n';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, path: PathSegment[], problems: Problem[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) {
    problems.push({ path, message: `expected an object of strings, got ${describeValue(v)}` });
    return out;
  }
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') problems.push({ path: [...path, k], message: `expected a string, got ${describeValue(s)}` });
    else out[k] = s;
  }
  return out;
}

export function validateLock(json: unknown, file: string): Lock {
  const problems: Problem[] = [];
  const lock: Lock = { lockfileVersion: 1, packages: Object.create(null) as Lock['packages'], inferred: Object.create(null) as Lock['inferred'] };
  if (!isRecord(json)) throw problemsToError(file, [{ path: [], message: `expected an object, got ${describeValue(json)}` }], 'LOCK_INVALID');
  if (json.lockfileVersion !== 1) problems.push({ path: ['lockfileVersion'], message: `expected 1, got ${describeValue(json.lockfileVersion)}` });
  for (const key of Object.keys(json)) {
    if (!['lockfileVersion', 'packages', 'inferred', 'app'].includes(key)) problems.push({ path: [key], message: 'unknown field' });
  }
  if (!isRecord(json.packages)) problems.push({ path: ['packages'], message: `expected an object, got ${describeValue(json.packages)}` });
  else {
    for (const [path, rec] of Object.entries(json.packages)) {
      const at: PathSegment[] = ['packages', path];
      if (!isRecord(rec)) {
        problems.push({ path: at, message: `expected an object, got ${describeValue(rec)}` });
        continue;
      }
      if (typeof rec.name !== 'string') problems.push({ path: [...at, 'name'], message: `expected a string, got ${describeValue(rec.name)}` });
      if (typeof rec.version !== 'string') problems.push({ path: [...at, 'version'], message: `expected a string, got ${describeValue(rec.version)}` });
      for (const f of ['integrity', 'resolved'] as const) {
        if (rec[f] !== undefined && typeof rec[f] !== 'string') problems.push({ path: [...at, f], message: `expected a string, got ${describeValue(rec[f])}` });
      }
      const record: LockRecord = { name: String(rec.name), version: String(rec.version), files: stringMap(rec.files, [...at, 'files'], problems) };
      if (typeof rec.integrity === 'string') record.integrity = rec.integrity;
      if (typeof rec.resolved === 'string') record.resolved = rec.resolved;
      if (rec.scripts !== undefined) record.scripts = stringMap(rec.scripts, [...at, 'scripts'], problems);
      lock.packages[path] = record;
    }
  }
  if (json.inferred !== undefined) {
    if (!isRecord(json.inferred)) problems.push({ path: ['inferred'], message: `expected an object, got ${describeValue(json.inferred)}` });
    else for (const [name, e] of Object.entries(json.inferred)) {
      const entry = checkEntry(e, ['inferred', name], problems);
      if (entry) lock.inferred[name] = entry;
    }
  }
  if (json.app !== undefined) {
    const app = checkEntry(json.app, ['app'], problems);
    if (app) lock.app = app;
  }
  if (problems.length) throw problemsToError(file, problems, 'LOCK_INVALID');
  return lock;
}

/** Reads and validates the lock; null when there is none. */
export function readLock(projectDir: string): Lock | null {
  let text: string;
  try {
    text = readFileSync(lockPath(projectDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PolicyError('LOCK_PARSE', `${LOCK_FILE}: cannot read: ${(err as Error).message}`, lockPath(projectDir));
  }
  return validateLock(parseJsonFile(text, LOCK_FILE, 'LOCK_PARSE'), LOCK_FILE);
}

export function writeLock(projectDir: string, lock: Lock): void {
  try {
    writeFileAtomic(lockPath(projectDir), serializeLock(lock));
  } catch (err) {
    throw new PolicyError('POLICY_WRITE', `cannot write ${LOCK_FILE}: ${(err as Error).message}`, lockPath(projectDir));
  }
}
