// The policy model: what each package may reach. Mirrors packsec.policy.json version 1.
import {
  hostPatternCovers, parseHostPattern, parsePathGrant, pathGrantCovers, usesFs, usesNetwork, type FsGrants, type HostPattern, type PathGrant,
} from './grants.js';

export const POLICY_FILE = 'packsec.policy.json';
export const LOCK_FILE = 'packsec.lock.json';
export const POLICY_VERSION = 1;

export interface PackagePolicy {
  /** "full": the package runs uncontained (the explicit escape hatch). */
  trust?: 'full';
  builtins?: string[];
  globals?: string[];
  packages?: string[];
  /** Files of the app (relative to the project root, `*` and `**` globs) it may load: tool config files. */
  files?: string[];
  /**
   * Hosts it may connect to (host patterns). Absent: whatever its network built-ins and globals reach;
   * present (even empty): only these.
   */
  net?: string[];
  /** Paths it may read, and read and write. Absent: whatever its fs built-ins reach; present: only these. */
  fs?: FsGrants;
  native?: boolean;
  scripts?: boolean;
}

export interface Policy {
  version: 1;
  packages: Record<string, PackagePolicy>;
}

export const LIST_FIELDS = ['builtins', 'globals', 'packages', 'files'] as const;
export type ListField = (typeof LIST_FIELDS)[number];
export const FLAG_FIELDS = ['native', 'scripts'] as const;
export type FlagField = (typeof FLAG_FIELDS)[number];

export function emptyPolicy(): Policy {
  return { version: POLICY_VERSION, packages: Object.create(null) as Policy['packages'] };
}

/**
 * Canonical form: sorted, de-duplicated lists; empty lists and false flags dropped. `net` and `fs` are
 * kept even when empty (an empty grant restricts; an absent one does not); a read path that a write
 * path already covers is dropped.
 */
export function normalizeEntry(entry: PackagePolicy): PackagePolicy {
  const out: PackagePolicy = {};
  if (entry.trust === 'full') out.trust = 'full';
  for (const field of LIST_FIELDS) {
    const list = entry[field];
    if (list && list.length > 0) out[field] = [...new Set(list)].sort(compareCapability);
  }
  // A lone "*" (any host) says no more than an absent `net`.
  if (entry.net && !(entry.net.length === 1 && entry.net[0] === ANY)) out.net = [...new Set(entry.net)].sort(compareCapability);
  if (entry.fs) out.fs = normalizeFs(entry.fs);
  for (const flag of FLAG_FIELDS) if (entry[flag] === true) out[flag] = true;
  return out;
}

function normalizeFs(fs: FsGrants): FsGrants {
  const write = [...new Set(fs.write ?? [])].sort(compareCapability);
  const writes = write.map(parsePathGrant).filter((g): g is PathGrant => typeof g !== 'string');
  const read = [...new Set(fs.read ?? [])].filter((r) => {
    const g = parsePathGrant(r);
    return typeof g === 'string' || !writes.some((w) => pathGrantCovers(w, g));
  }).sort(compareCapability);
  const out: FsGrants = {};
  if (read.length) out.read = read;
  if (write.length) out.write = write;
  return out;
}

/** Plain code-point order, so the file reads the same on every machine and locale. */
export function compareCapability(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `cap` is covered by one of `granted` (a module or path grant covers its sub-paths). */
export function covers(granted: readonly string[], cap: string): boolean {
  for (const g of granted) if (g === cap || cap.startsWith(g + '.')) return true;
  return false;
}

/** Capabilities in `next` not covered by `base`: what a package gained. */
export function gained(base: PackagePolicy | undefined, next: PackagePolicy): PackagePolicy {
  const out: PackagePolicy = {};
  if (base?.trust === 'full') return out;
  if (next.trust === 'full') out.trust = 'full';
  for (const field of LIST_FIELDS) {
    const have = base?.[field] ?? [];
    const extra = (next[field] ?? []).filter((c) => (field === 'packages' || field === 'files' ? !have.includes(c) : !covers(have, c)));
    if (extra.length) out[field] = extra;
  }
  const net = gainedHosts(base ?? {}, next);
  if (net.length) out.net = net;
  const fs = gainedPaths(base ?? {}, next);
  if (fs.read?.length || fs.write?.length) out.fs = fs;
  for (const flag of FLAG_FIELDS) if (next[flag] && !base?.[flag]) out[flag] = true;
  return out;
}

/** The word for "every host" or "every path" in a capability diff (`net:*`, `fs.write:*`). */
export const ANY = '*';

/**
 * What an entry lets a package reach over the network: null when it cannot connect at all, ANY when
 * it can connect anywhere (its network built-ins without a `net` field), else its host patterns.
 */
export function hostScope(entry: PackagePolicy): typeof ANY | string[] | null {
  if (entry.net) return entry.net;
  return usesNetwork(entry) ? ANY : null;
}

/** Likewise for files: null (no fs), ANY (fs without an `fs` field), or its read and write paths. */
export function pathScope(entry: PackagePolicy): typeof ANY | { read: string[]; write: string[] } | null {
  if (entry.fs) return { read: entry.fs.read ?? [], write: entry.fs.write ?? [] };
  return usesFs(entry) ? ANY : null;
}

function parsedHosts(list: readonly string[]): HostPattern[] {
  return list.map(parseHostPattern).filter((p): p is HostPattern => typeof p !== 'string');
}

function parsedPaths(list: readonly string[]): PathGrant[] {
  return list.map(parsePathGrant).filter((p): p is PathGrant => typeof p !== 'string');
}

/**
 * Hosts `next` names that `base` does not, and ["*"] when next may reach any host and base could not.
 * A named host counts even where "*" (or no `net` at all) already allowed it: a package that starts
 * naming a new host is news for its reviewer, whatever else it may reach.
 */
export function gainedHosts(base: PackagePolicy, next: PackagePolicy): string[] {
  const after = hostScope(next);
  if (after === null) return [];
  const before = hostScope(base);
  const anyBefore = before === ANY || (Array.isArray(before) && before.includes(ANY));
  const anyAfter = after === ANY || after.includes(ANY);
  const have = parsedHosts(Array.isArray(before) ? before.filter((h) => h !== ANY) : []);
  const named = (after === ANY ? [] : after.filter((h) => h !== ANY)).filter((h) => {
    const p = parseHostPattern(h);
    return typeof p === 'string' || !have.some((b) => hostPatternCovers(b, p));
  });
  return anyAfter && !anyBefore ? [ANY, ...named] : named;
}

/** Paths `next` may read or write that `base` may not; ["*"] when next reaches any path and base did not. */
export function gainedPaths(base: PackagePolicy, next: PackagePolicy): FsGrants {
  const after = pathScope(next);
  const before = pathScope(base);
  if (after === null || before === ANY) return {};
  if (after === ANY) return usesFsWrite(next) ? { write: [ANY] } : { read: [ANY] };
  const writable = parsedPaths(before?.write ?? []);
  const readable = [...writable, ...parsedPaths(before?.read ?? [])];
  const notIn = (have: PathGrant[]) => (p: string) => {
    const g = parsePathGrant(p);
    return typeof g === 'string' || !have.some((h) => pathGrantCovers(h, g));
  };
  const out: FsGrants = {};
  const write = after.write.filter(notIn(writable));
  const read = after.read.filter(notIn(readable));
  if (read.length) out.read = read;
  if (write.length) out.write = write;
  return out;
}

// Exports of fs that only read: a package granted only these cannot gain a write path by losing its `fs` field.
const FS_READ_ONLY = /^(promises\.)?(read|stat|lstat|fstat|access|exists|realpath|opendir|watch|unwatchFile|createReadStream|statfs|openAsBlob|glob|constants|Stats|Dirent)/;

export function usesFsWrite(entry: PackagePolicy): boolean {
  if (entry.trust === 'full') return true;
  return (entry.builtins ?? []).some((b) => {
    const text = b.startsWith('node:') ? b.slice(5) : b;
    if (text === 'fs' || text === 'fs/promises') return true;
    const m = /^fs(?:\/promises)?\.(.+)$/.exec(text);
    return m !== null && !FS_READ_ONLY.test(m[1]!);
  });
}

/**
 * The `net` and `fs` of several entries for one name (installed copies, a declaration and community
 * additions): unrestricted as soon as one of them may reach any host or path, else every grant of those
 * that restrict. Lists and flags are joined by the caller.
 */
export function unionEntries(entries: readonly PackagePolicy[]): Pick<PackagePolicy, 'net' | 'fs'> {
  const out: Pick<PackagePolicy, 'net' | 'fs'> = {};
  const hosts = entries.map(hostScope);
  const named = [...new Set(hosts.flatMap((h) => (h === null || h === ANY ? [] : h)))];
  // One that may reach any host makes the name unrestricted; the hosts the others name stay on record beside "*".
  if (hosts.includes(ANY)) {
    if (named.some((h) => h !== ANY)) out.net = [ANY, ...named.filter((h) => h !== ANY)];
  } else if (hosts.some((h) => h !== null)) out.net = named;
  const paths = entries.map(pathScope);
  if (!paths.includes(ANY) && paths.some((p) => p !== null)) {
    out.fs = {
      read: [...new Set(paths.flatMap((p) => (p === null || p === ANY ? [] : p.read)))],
      write: [...new Set(paths.flatMap((p) => (p === null || p === ANY ? [] : p.write)))],
    };
  }
  return out;
}

export function isEmptyEntry(entry: PackagePolicy): boolean {
  return Object.keys(normalizeEntry(entry)).length === 0;
}
