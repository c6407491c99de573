// `packsec verify`: four checks on what is installed.
//  1. files: every installed copy is exactly the files the lock recorded, nothing added or removed,
//     and the lock's integrity value is the registry's (and npm's lockfile agrees);
//  2. signatures: the registry's signature over name@version:integrity verifies against its keys;
//  3. provenance: the Sigstore attestation verifies against the pinned trust root;
//  4. publisher: who published it (npm user, repository, workflow) matches the pin made on first use.
// What could not be checked (no signature, no provenance, registry unreachable) is reported as such.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodePowers } from '../analyze/index.js';
import { findPackages } from '../analyze/tree.js';
import type { NpmConfig } from '../install/npm.js';
import type { Lock, LockRecord, PublisherRecord } from '../policy/index.js';
import { diffFiles } from './files.js';
import { hashCopies } from './hash-pool.js';
import { readNpmLockEntries } from './npm-lockfile.js';
import { comparePublisher, type PublisherChange } from './publisher.js';
import { observeRegistry, type RegistryFacts } from './registry.js';

export type FileProblemKind = 'files-changed' | 'not-in-lock' | 'missing' | 'version-changed' | 'integrity-mismatch';

export interface FileProblem {
  kind: FileProblemKind;
  path: string;
  message: string;
  details: string[];
}

export type SignatureState = 'verified' | 'unsigned' | 'no-keys' | 'failed' | 'unavailable' | 'not-checked';
export type ProvenanceState = 'verified' | 'absent' | 'failed' | 'unavailable' | 'not-checked';

export interface CopyVerdict {
  path: string;
  name: string;
  version: string;
  /** 'match': lock and registry agree; 'mismatch': they don't; 'unknown': not checked or not listed. */
  integrity: 'match' | 'mismatch' | 'unknown';
  signature: { state: SignatureState; keyid?: string; reason?: string };
  provenance: { state: ProvenanceState; repository?: string; workflow?: string; commit?: string; reason?: string };
  publisher?: PublisherRecord;
  publisherChanges: PublisherChange[];
}

export interface VerifyOptions {
  config?: NpmConfig;
  /** Only the local checks (files): no registry requests. */
  offline?: boolean;
  /** A copy without a registry signature is a failure. */
  requireSignatures?: boolean;
  /** A copy without verified provenance is a failure. */
  requireProvenance?: boolean;
  onProgress?: (message: string) => void;
}

export interface VerifyReport {
  ok: boolean;
  files: FileProblem[];
  copies: CopyVerdict[];
  /** Problems from the registry checks, one line each (signature or provenance failures, publisher changes, unreachable). */
  problems: string[];
  summary: {
    copies: number;
    signatures: Record<SignatureState, number>;
    provenance: Record<ProvenanceState, number>;
    /** Copies whose publishing npm user the registry names, and copies whose publisher differs from the pin. */
    publishers: { named: number; changed: number };
  };
  hashing: { bytes: number; ms: number; mbPerSecond: number };
}

const MAX_DETAILS = 20;

export async function verifyProject(projectDir: string, lock: Lock, options: VerifyOptions = {}): Promise<VerifyReport> {
  options.onProgress?.('hashing installed files');
  const { problems: files, hashing } = await verifyFiles(projectDir, lock);
  const records = Object.entries(lock.packages);
  const copies: CopyVerdict[] = records.map(([path, rec]) => ({
    path, name: rec.name, version: rec.version, integrity: 'unknown',
    signature: { state: 'not-checked' }, provenance: { state: 'not-checked' }, publisherChanges: [],
    ...(rec.publisher ? { publisher: rec.publisher } : {}),
  }));
  const problems: string[] = [];
  if (!options.offline && options.config) {
    const fromRegistry = records.filter(([, rec]) => fromARegistry(rec));
    const facts = await observeRegistry(fromRegistry.map(([, r]) => ({ name: r.name, version: r.version })), {
      config: options.config,
      onProgress: (done, total) => options.onProgress?.(`asking the registry ${done}/${total}`),
    });
    for (const verdict of copies) {
      const rec = lock.packages[verdict.path]!;
      const f = facts.get(`${rec.name}@${rec.version}`);
      if (!f) {
        verdict.signature = { state: 'not-checked', reason: 'not installed from a registry' };
        verdict.provenance = { state: 'not-checked', reason: 'not installed from a registry' };
        continue;
      }
      judge(verdict, rec, f, lock, problems, options);
    }
  }
  const summary = {
    copies: copies.length,
    signatures: countBy(copies, (c) => c.signature.state, ['verified', 'unsigned', 'no-keys', 'failed', 'unavailable', 'not-checked']),
    provenance: countBy(copies, (c) => c.provenance.state, ['verified', 'absent', 'failed', 'unavailable', 'not-checked']),
    publishers: { named: copies.filter((c) => c.publisher?.npmUser).length, changed: copies.filter((c) => c.publisherChanges.length).length },
  };
  return { ok: files.length === 0 && problems.length === 0, files, copies, problems, summary, hashing };
}

/** Does the lock say this copy came from a registry (not git, a folder or a link)? */
export function fromARegistry(rec: LockRecord): boolean {
  if (rec.resolved) return /^https?:\/\/.+\.tgz(\?|$)/.test(rec.resolved);
  return Boolean(rec.integrity);
}

function judge(verdict: CopyVerdict, rec: LockRecord, f: RegistryFacts, lock: Lock, problems: string[], options: VerifyOptions): void {
  const id = `${verdict.path} (${rec.name}@${rec.version})`;
  if (f.error) {
    problems.push(`${id}: the registry ${f.registry} could not be asked: ${f.error}`);
  } else if (!f.versionListed) {
    problems.push(`${id}: the registry ${f.registry} does not list this version`);
  }
  if (f.integrity && rec.integrity) {
    verdict.integrity = sameIntegrity(rec.integrity, f.integrity) ? 'match' : 'mismatch';
    if (verdict.integrity === 'mismatch') problems.push(`${id}: packsec.lock.json has integrity ${rec.integrity}, the registry ${f.integrity}`);
  }
  const s = f.signature;
  verdict.signature = s.status === 'verified' ? { state: 'verified', keyid: s.keyid }
    : s.status === 'failed' || s.status === 'unavailable' ? { state: s.status, reason: s.reason }
    : { state: s.status };
  if (s.status === 'failed') problems.push(`${id}: registry signature does not verify: ${s.reason}`);
  if (options.requireSignatures && s.status !== 'verified' && s.status !== 'failed') problems.push(`${id}: no verified registry signature (${s.status === 'unavailable' ? s.reason : s.status}) and --require-signatures is set`);
  const p = f.provenance;
  if (p.status === 'verified') {
    verdict.provenance = { state: 'verified', repository: p.identity.repository, workflow: p.identity.workflow, ...(p.identity.commit ? { commit: p.identity.commit } : {}) };
  } else verdict.provenance = p.status === 'absent' ? { state: 'absent' } : { state: p.status, reason: p.reason };
  if (p.status === 'failed') problems.push(`${id}: provenance attestation does not verify: ${p.reason}`);
  if (options.requireProvenance && p.status !== 'verified' && p.status !== 'failed') problems.push(`${id}: no verified provenance (${p.status === 'absent' ? 'none published' : p.reason}) and --require-provenance is set`);
  if (f.publisher) {
    verdict.publisher = f.publisher;
    verdict.publisherChanges = comparePublisher(rec.name, rec.version, lock.publishers?.[rec.name], f.publisher);
    for (const c of verdict.publisherChanges) problems.push(`${verdict.path}: ${c.message}`);
    // What the lock recorded at install must still be what the registry says.
    const was = rec.publisher;
    if (was?.npmUser && f.publisher.npmUser && was.npmUser !== f.publisher.npmUser) {
      problems.push(`${id}: recorded as published by "${was.npmUser}", the registry now says "${f.publisher.npmUser}"`);
    }
    if (was?.provenance === 'verified' && f.publisher.provenance === 'none') problems.push(`${id}: had verified provenance when installed; the registry now lists none`);
  }
}

/** Two integrity strings (SRI, maybe several hashes each) agree when they share an algorithm and agree on it. */
export function sameIntegrity(a: string, b: string): boolean {
  const parse = (s: string) => new Map(s.trim().split(/\s+/).map((h) => {
    const i = h.indexOf('-');
    return [h.slice(0, i), h.slice(i + 1).replace(/\?.*$/, '')] as const;
  }));
  const x = parse(a);
  const y = parse(b);
  let shared = false;
  for (const [alg, v] of x) {
    if (!y.has(alg)) continue;
    shared = true;
    if (y.get(alg) !== v) return false;
  }
  return shared;
}

/** Check 1: the installed files against the lock, and npm's lockfile against the lock. */
export async function verifyFiles(projectDir: string, lock: Lock): Promise<{ problems: FileProblem[]; hashing: VerifyReport['hashing'] }> {
  const problems: FileProblem[] = [];
  const { copies } = findPackages(projectDir, nodePowers);
  const onDisk = new Map(copies.map((c) => [c.path, c]));
  for (const [path, rec] of Object.entries(lock.packages)) {
    if (!onDisk.has(path)) problems.push({ kind: 'missing', path, message: `${path} (${rec.name}@${rec.version}) is in packsec.lock.json but not installed`, details: [] });
  }
  const known = copies.filter((c) => {
    if (lock.packages[c.path]) return true;
    problems.push({ kind: 'not-in-lock', path: c.path, message: `${c.path} (${c.installedAs}@${versionAt(c.dir) ?? '?'}) is installed but not in packsec.lock.json`, details: [] });
    return false;
  });
  const hashed = await hashCopies(known.map((c) => c.dir));
  const npm = readNpmLockEntries(projectDir);
  known.forEach((c, i) => {
    const rec = lock.packages[c.path]!;
    const version = versionAt(c.dir);
    if (c.installedAs !== rec.name || version !== rec.version) {
      problems.push({ kind: 'version-changed', path: c.path, message: `${c.path}: ${rec.name}@${rec.version} was installed and recorded, ${c.installedAs}@${version ?? '?'} is there now`, details: [] });
    }
    const d = diffFiles(rec.files, hashed.files[i]!);
    const details = [...d.added.map((f) => `added ${f}`), ...d.removed.map((f) => `removed ${f}`), ...d.modified.map((f) => `modified ${f}  (expected ${rec.files[f]}, found ${hashed.files[i]![f]})`)];
    if (details.length) {
      problems.push({
        kind: 'files-changed', path: c.path,
        message: `${c.path}: ${details.length} file${details.length === 1 ? ' differs' : 's differ'} from packsec.lock.json`,
        details: details.length > MAX_DETAILS ? [...details.slice(0, MAX_DETAILS), `… and ${details.length - MAX_DETAILS} more`] : details,
      });
    }
    const fromNpm = npm.get(c.path);
    if (rec.integrity && fromNpm?.integrity && fromNpm.version === rec.version && !sameIntegrity(fromNpm.integrity, rec.integrity)) {
      problems.push({ kind: 'integrity-mismatch', path: c.path, message: `${c.path}: npm's lockfile and packsec.lock.json disagree on the tarball's integrity`, details: [`npm: ${fromNpm.integrity}`, `packsec: ${rec.integrity}`] });
    }
  });
  const mbPerSecond = hashed.ms > 0 ? Math.round(hashed.bytes / 1e6 / (hashed.ms / 1000)) : 0;
  return { problems, hashing: { bytes: hashed.bytes, ms: hashed.ms, mbPerSecond } };
}

function versionAt(dir: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function countBy<T, K extends string>(items: T[], key: (t: T) => K, keys: K[]): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const i of items) out[key(i)]++;
  return out;
}
