// The policy model: what each package may reach. Mirrors packsec.policy.json version 1.
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

/** Canonical form: sorted, de-duplicated lists; empty lists and false flags dropped. */
export function normalizeEntry(entry: PackagePolicy): PackagePolicy {
  const out: PackagePolicy = {};
  if (entry.trust === 'full') out.trust = 'full';
  for (const field of LIST_FIELDS) {
    const list = entry[field];
    if (list && list.length > 0) out[field] = [...new Set(list)].sort(compareCapability);
  }
  for (const flag of FLAG_FIELDS) if (entry[flag] === true) out[flag] = true;
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
  for (const flag of FLAG_FIELDS) if (next[flag] && !base?.[flag]) out[flag] = true;
  return out;
}

export function isEmptyEntry(entry: PackagePolicy): boolean {
  return Object.keys(normalizeEntry(entry)).length === 0;
}
