// Re-running init: combine fresh inference with the committed policy, keeping hand edits that still
// apply (lines a human added or removed relative to the previous inference) and saying what changed.
import type { FsGrants } from './grants.js';
import { ANY, FLAG_FIELDS, hostScope, LIST_FIELDS, normalizeEntry, pathScope, usesFsWrite, type PackagePolicy, type Policy } from './model.js';

export interface EntryChange {
  name: string;
  gained: PackagePolicy;
  lost: PackagePolicy;
}

export interface MergeResult {
  policy: Policy;
  added: string[];
  removed: string[];
  changed: EntryChange[];
  /** Hand edits carried over: per package, the capabilities kept or kept out by hand. */
  keptEdits: { name: string; added: string[]; removed: string[] }[];
}

/** Shown for a `net` or `fs` grant that is present and empty: it allows nothing. */
const NONE = '(none)';

/** The host lines of an entry: its patterns, ["(none)"] for an empty grant, ["*"] for any host, [] for no network. */
function hostLines(e: PackagePolicy): string[] {
  const scope = hostScope(e);
  if (scope === null) return [];
  if (scope === ANY) return [ANY];
  return scope.length ? scope : [NONE];
}

/** The path lines of an entry, "read:x" and "write:x", likewise. */
function pathLines(e: PackagePolicy): string[] {
  const scope = pathScope(e);
  if (scope === null) return [];
  // Any path is any path, whether the built-ins only read or also write (their own lines say which).
  if (scope === ANY) return [`read:${ANY}`];
  const lines = [...scope.read.map((p) => `read:${p}`), ...scope.write.map((p) => `write:${p}`)];
  return lines.length ? lines : [`read:${NONE}`];
}

function fsOfLines(lines: string[]): FsGrants {
  const out: FsGrants = {};
  for (const l of lines) {
    const [kind, path] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as ['read' | 'write', string];
    (out[kind] ??= []).push(path);
  }
  return out;
}

function diffEntries(a: PackagePolicy, b: PackagePolicy): PackagePolicy {
  const out: PackagePolicy = {};
  for (const f of LIST_FIELDS) {
    const have = new Set(a[f] ?? []);
    const extra = (b[f] ?? []).filter((c) => !have.has(c));
    if (extra.length) out[f] = extra;
  }
  const hosts = new Set(hostLines(a));
  const net = hostLines(b).filter((h) => !hosts.has(h));
  if (net.length) out.net = net;
  const paths = new Set(pathLines(a));
  const fs = pathLines(b).filter((p) => !paths.has(p));
  if (fs.length) out.fs = fsOfLines(fs);
  for (const f of FLAG_FIELDS) if (b[f] && !a[f]) out[f] = true;
  if (b.trust === 'full' && a.trust !== 'full') out.trust = 'full';
  return out;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

/**
 * Three-way merge of a restriction (`net`, or `fs` as "read:x"/"write:x" lines), where absent means
 * "not restricted": the previous inference, the committed policy and the fresh inference. The app's
 * policy may always grant less, so a restriction made or narrowed by hand stays.
 */
export function mergeRestriction(prev: string[] | undefined, cur: string[] | undefined, fresh: string[] | undefined, known: boolean): string[] | undefined {
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
  // Without a record of the last inference, what the policy holds beyond inference counts as a hand edit.
  if (!known) return cur === undefined ? fresh : fresh === undefined ? cur : union(cur, fresh);
  if (sameList(prev, cur)) return fresh;
  if (prev === undefined) return fresh === undefined ? cur : union(cur!, fresh);
  if (cur === undefined) return undefined;
  if (fresh === undefined) return cur;
  const added = cur.filter((x) => !prev.includes(x));
  const removed = new Set(prev.filter((x) => !cur.includes(x)));
  return union(fresh, added).filter((x) => !removed.has(x));
}

function fsLines(fs: FsGrants | undefined): string[] | undefined {
  if (!fs) return undefined;
  return [...(fs.read ?? []).map((p) => `read:${p}`), ...(fs.write ?? []).map((p) => `write:${p}`)];
}

function apply(base: PackagePolicy, add: PackagePolicy, remove: PackagePolicy): PackagePolicy {
  const out: PackagePolicy = {};
  for (const f of LIST_FIELDS) {
    const drop = new Set(remove[f] ?? []);
    out[f] = [...(base[f] ?? []), ...(add[f] ?? [])].filter((c) => !drop.has(c));
  }
  for (const f of FLAG_FIELDS) out[f] = (base[f] || add[f]) && !remove[f] ? true : undefined;
  if ((base.trust === 'full' || add.trust === 'full') && remove.trust !== 'full') out.trust = 'full';
  return normalizeEntry(out);
}

function describe(entry: PackagePolicy): string[] {
  const out: string[] = [];
  if (entry.trust) out.push(`trust:${entry.trust}`);
  for (const f of LIST_FIELDS) for (const c of entry[f] ?? []) out.push(`${f}:${c}`);
  if (entry.net) for (const h of entry.net.length ? entry.net : [NONE]) out.push(`net:${h}`);
  if (entry.fs) {
    const read = entry.fs.read ?? [];
    const write = entry.fs.write ?? [];
    for (const p of read) out.push(`fs.read:${p}`);
    for (const p of write) out.push(`fs.write:${p}`);
    if (!read.length && !write.length) out.push(`fs.read:${NONE}`);
  }
  for (const f of FLAG_FIELDS) if (entry[f]) out.push(f);
  return out;
}

/**
 * describeEntry, plus what an absent `net` or `fs` means for a package that uses the network or files:
 * "net:*" (any host), "fs.read:*" or "fs.write:*" (any path). For showing an entry whole (explain, report).
 */
export function describeReach(entry: PackagePolicy): string[] {
  const out = describe(entry);
  if (!entry.net && hostScope(entry) === ANY) out.push(`net:${ANY}`);
  if (!entry.fs && pathScope(entry) === ANY) out.push(usesFsWrite(entry) ? `fs.write:${ANY}` : `fs.read:${ANY}`);
  return out;
}

export function isEmptyChange(e: PackagePolicy): boolean {
  return describe(e).length === 0;
}

export { describe as describeEntry };

/**
 * @param existing the committed policy (null on first run)
 * @param previous what inference gave at the last init (from the lock), or null when unknown
 * @param next what inference (or declarations) give now, by package name
 */
export function mergePolicy(existing: Policy | null, previous: Record<string, PackagePolicy> | null, next: Record<string, PackagePolicy>): MergeResult {
  const policy: Policy = { version: 1, packages: Object.create(null) as Policy['packages'] };
  const result: MergeResult = { policy, added: [], removed: [], changed: [], keptEdits: [] };
  for (const name of Object.keys(next).sort()) {
    const fresh = normalizeEntry(next[name]!);
    const current = existing?.packages[name];
    if (!current) {
      policy.packages[name] = fresh;
      if (existing) result.added.push(name);
      continue;
    }
    const cur = normalizeEntry(current);
    // Without a record of the last inference, every line not inferred now counts as a hand addition.
    const prev = previous?.[name] ? normalizeEntry(previous[name]!) : null;
    const handAdded = diffEntries(prev ?? fresh, cur);
    const handRemoved = prev ? diffEntries(cur, prev) : {};
    const merged = apply(fresh, handAdded, handRemoved);
    const net = mergeRestriction(prev?.net, cur.net, fresh.net, prev !== null);
    const fs = mergeRestriction(fsLines(prev?.fs), fsLines(cur.fs), fsLines(fresh.fs), prev !== null);
    if (net) merged.net = net;
    if (fs) merged.fs = fsOfLines(fs);
    policy.packages[name] = normalizeEntry(merged);
    const final = policy.packages[name]!;
    const kept = { name, added: describe(diffEntries(fresh, final)), removed: describe(diffEntries(final, fresh)) };
    if (kept.added.length || kept.removed.length) result.keptEdits.push(kept);
    const gained = diffEntries(cur, final);
    const lost = diffEntries(final, cur);
    if (!isEmptyChange(gained) || !isEmptyChange(lost)) result.changed.push({ name, gained, lost });
  }
  if (existing) for (const name of Object.keys(existing.packages).sort()) if (!(name in next)) result.removed.push(name);
  return result;
}
