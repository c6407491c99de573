// Re-running init: combine fresh inference with the committed policy, keeping hand edits that still
// apply (lines a human added or removed relative to the previous inference) and saying what changed.
import { FLAG_FIELDS, LIST_FIELDS, normalizeEntry, type PackagePolicy, type Policy } from './model.js';

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

function diffEntries(a: PackagePolicy, b: PackagePolicy): PackagePolicy {
  const out: PackagePolicy = {};
  for (const f of LIST_FIELDS) {
    const have = new Set(a[f] ?? []);
    const extra = (b[f] ?? []).filter((c) => !have.has(c));
    if (extra.length) out[f] = extra;
  }
  for (const f of FLAG_FIELDS) if (b[f] && !a[f]) out[f] = true;
  if (b.trust === 'full' && a.trust !== 'full') out.trust = 'full';
  return out;
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
  for (const f of FLAG_FIELDS) if (entry[f]) out.push(f);
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
    policy.packages[name] = merged;
    const kept = { name, added: describe(diffEntries(fresh, merged)), removed: describe(diffEntries(merged, fresh)) };
    if (kept.added.length || kept.removed.length) result.keptEdits.push(kept);
    const gained = diffEntries(cur, merged);
    const lost = diffEntries(merged, cur);
    if (!isEmptyChange(gained) || !isEmptyChange(lost)) result.changed.push({ name, gained, lost });
  }
  if (existing) for (const name of Object.keys(existing.packages).sort()) if (!(name in next)) result.removed.push(name);
  return result;
}
