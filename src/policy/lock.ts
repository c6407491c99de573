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
  /** Who published this version, as observed from the registry; absent when it was never looked up. */
  publisher?: PublisherRecord;
}

/** Where a version was built, from its verified SLSA provenance attestation. */
export interface ProvenanceIdentity {
  /** Source repository URL, e.g. https://github.com/owner/repo. */
  repository: string;
  /** Workflow file path in that repository, e.g. .github/workflows/publish.yml. */
  workflow: string;
  /** Source commit (git SHA-1), when the attestation names one. */
  commit?: string;
  /** Git ref the workflow ran on, e.g. refs/tags/v1.2.3. */
  ref?: string;
  /** OIDC issuer of the signing certificate, e.g. https://token.actions.githubusercontent.com. */
  issuer?: string;
}

/** The publisher identity observed for one version. */
export interface PublisherRecord {
  /** The npm account that published it (the registry's `_npmUser.name`), when the registry says. */
  npmUser?: string;
  /**
   * 'verified': an attestation verified and names `identity`; 'none': the registry lists no provenance;
   * 'unverified': the registry lists provenance that could not be fetched or verified here.
   */
  provenance: 'verified' | 'none' | 'unverified';
  identity?: ProvenanceIdentity;
}

/** Publisher identity pinned on first use for one package name; later versions are compared with it. */
export interface PublisherPin {
  /** npm accounts trusted to publish this name (the first seen, plus any accepted since). */
  npmUsers: string[];
  /** Once a version with verified provenance was seen: the repository and workflow it came from. */
  repository?: string;
  workflow?: string;
  /** The version the pin was first made from. */
  since: string;
}

export interface Lock {
  lockfileVersion: 1;
  /** Keyed by install path: node_modules/a/node_modules/b. */
  packages: Record<string, LockRecord>;
  /** What inference (or a declaration) gave each package name at the last init. */
  inferred: Record<string, PackagePolicy>;
  /** What the app's own code (outside node_modules) uses, for the permission model's flags. */
  app?: PackagePolicy;
  /** Publisher identities pinned on first use, by package name. */
  publishers?: Record<string, PublisherPin>;
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
    if (r.publisher) rec.publisher = serializePublisher(r.publisher);
    rec.files = sortedObject(r.files);
    return rec;
  });
  const inferred = sortedObject(lock.inferred, (e) => normalizeEntry(e));
  const out: Record<string, unknown> = { lockfileVersion: 1, packages, inferred };
  if (lock.app) out.app = normalizeEntry(lock.app);
  if (lock.publishers && Object.keys(lock.publishers).length) {
    out.publishers = sortedObject(lock.publishers, (p) => {
      const pin: Record<string, unknown> = { npmUsers: [...new Set(p.npmUsers)].sort() };
      if (p.repository) pin.repository = p.repository;
      if (p.workflow) pin.workflow = p.workflow;
      pin.since = p.since;
      return pin;
    });
  }
  return JSON.stringify(out, null, 2) + '\n';
}

function serializePublisher(p: PublisherRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.npmUser) out.npmUser = p.npmUser;
  out.provenance = p.provenance;
  if (p.identity) {
    const { repository, workflow, commit, ref, issuer } = p.identity;
    out.identity = { repository, workflow, ...(commit ? { commit } : {}), ...(ref ? { ref } : {}), ...(issuer ? { issuer } : {}) };
  }
  return out;
}

const PROVENANCE_STATES = ['verified', 'none', 'unverified'] as const;

function readPublisher(v: unknown, at: PathSegment[], problems: Problem[]): PublisherRecord | undefined {
  if (!isRecord(v)) {
    problems.push({ path: at, message: `expected an object, got ${describeValue(v)}` });
    return undefined;
  }
  for (const key of Object.keys(v)) {
    if (!['npmUser', 'provenance', 'identity'].includes(key)) problems.push({ path: [...at, key], message: 'unknown field' });
  }
  if (v.npmUser !== undefined && typeof v.npmUser !== 'string') problems.push({ path: [...at, 'npmUser'], message: `expected a string, got ${describeValue(v.npmUser)}` });
  if (!PROVENANCE_STATES.includes(v.provenance as never)) {
    problems.push({ path: [...at, 'provenance'], message: `expected one of ${PROVENANCE_STATES.map((s) => `"${s}"`).join(', ')}, got ${describeValue(v.provenance)}` });
    return undefined;
  }
  const rec: PublisherRecord = { provenance: v.provenance as PublisherRecord['provenance'] };
  if (typeof v.npmUser === 'string') rec.npmUser = v.npmUser;
  if (v.identity !== undefined) {
    const id = stringMap(v.identity, [...at, 'identity'], problems);
    for (const key of Object.keys(id)) {
      if (!['repository', 'workflow', 'commit', 'ref', 'issuer'].includes(key)) problems.push({ path: [...at, 'identity', key], message: 'unknown field' });
    }
    if (typeof id.repository !== 'string' || typeof id.workflow !== 'string') {
      problems.push({ path: [...at, 'identity'], message: 'expected repository and workflow strings' });
    } else rec.identity = { repository: id.repository, workflow: id.workflow, ...(id.commit ? { commit: id.commit } : {}), ...(id.ref ? { ref: id.ref } : {}), ...(id.issuer ? { issuer: id.issuer } : {}) };
  }
  if (rec.provenance === 'verified' && !rec.identity) problems.push({ path: [...at, 'identity'], message: 'a verified provenance needs its identity' });
  return rec;
}

function readPin(v: unknown, at: PathSegment[], problems: Problem[]): PublisherPin | undefined {
  if (!isRecord(v)) {
    problems.push({ path: at, message: `expected an object, got ${describeValue(v)}` });
    return undefined;
  }
  for (const key of Object.keys(v)) {
    if (!['npmUsers', 'repository', 'workflow', 'since'].includes(key)) problems.push({ path: [...at, key], message: 'unknown field' });
  }
  if (!Array.isArray(v.npmUsers) || v.npmUsers.some((u) => typeof u !== 'string')) {
    problems.push({ path: [...at, 'npmUsers'], message: `expected a list of strings, got ${describeValue(v.npmUsers)}` });
    return undefined;
  }
  if (typeof v.since !== 'string') {
    problems.push({ path: [...at, 'since'], message: `expected a version string, got ${describeValue(v.since)}` });
    return undefined;
  }
  const pin: PublisherPin = { npmUsers: v.npmUsers as string[], since: v.since };
  for (const f of ['repository', 'workflow'] as const) {
    if (v[f] === undefined) continue;
    if (typeof v[f] !== 'string') problems.push({ path: [...at, f], message: `expected a string, got ${describeValue(v[f])}` });
    else pin[f] = v[f];
  }
  return pin;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An object whose values are all strings, as parsed (a lock records thousands of files: no copy). The
 * parsed object holds even a key such as "__proto__" as its own, which a copy made by assignment would drop.
 */
function stringMap(v: unknown, path: PathSegment[], problems: Problem[]): Record<string, string> {
  if (!isRecord(v)) {
    problems.push({ path, message: `expected an object of strings, got ${describeValue(v)}` });
    return {};
  }
  for (const k of Object.keys(v)) {
    const s = v[k];
    if (typeof s !== 'string') problems.push({ path: [...path, k], message: `expected a string, got ${describeValue(s)}` });
  }
  return v as Record<string, string>;
}

export function validateLock(json: unknown, file: string): Lock {
  const problems: Problem[] = [];
  const lock: Lock = { lockfileVersion: 1, packages: Object.create(null) as Lock['packages'], inferred: Object.create(null) as Lock['inferred'] };
  if (!isRecord(json)) throw problemsToError(file, [{ path: [], message: `expected an object, got ${describeValue(json)}` }], 'LOCK_INVALID');
  if (json.lockfileVersion !== 1) problems.push({ path: ['lockfileVersion'], message: `expected 1, got ${describeValue(json.lockfileVersion)}` });
  for (const key of Object.keys(json)) {
    if (!['lockfileVersion', 'packages', 'inferred', 'app', 'publishers'].includes(key)) problems.push({ path: [key], message: 'unknown field' });
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
      if (rec.publisher !== undefined) {
        const publisher = readPublisher(rec.publisher, [...at, 'publisher'], problems);
        if (publisher) record.publisher = publisher;
      }
      for (const key of Object.keys(rec)) {
        if (!['name', 'version', 'integrity', 'resolved', 'files', 'scripts', 'publisher'].includes(key)) problems.push({ path: [...at, key], message: 'unknown field' });
      }
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
  if (json.publishers !== undefined) {
    if (!isRecord(json.publishers)) problems.push({ path: ['publishers'], message: `expected an object, got ${describeValue(json.publishers)}` });
    else {
      const pins: Record<string, PublisherPin> = Object.create(null) as Record<string, PublisherPin>;
      for (const [name, p] of Object.entries(json.publishers)) {
        const pin = readPin(p, ['publishers', name], problems);
        if (pin) pins[name] = pin;
      }
      lock.publishers = pins;
    }
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
