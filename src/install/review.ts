// The capability review of an install: per package name, what it could do before and what it can
// do after, its install scripts and the warnings, and whether that widens anything (an escalation,
// which needs a human's acceptance).
import { createHash } from 'node:crypto';
import { mergeByName, scriptsKey, throughDependencies, union, type CopyAnalysis, type Evidence } from '../analyze/index.js';
import { describeEntry, gained, normalizeEntry, type Lock, type PackagePolicy, type Policy } from '../policy/index.js';
import type { InstallPlan } from './plan.js';
import type { StagedCopy } from './stage.js';

export interface InstallWarning {
  kind: string;
  package: string;
  version: string;
  message: string;
  severity: 'block' | 'warn';
  detail?: Record<string, unknown>;
}

export interface ScriptReview {
  event: string;
  command: string;
  /** reviewed: identical to what the lock recorded for this package; new or changed otherwise. */
  status: 'reviewed' | 'new' | 'changed';
  /** The policy allows this package's scripts. */
  allowed: boolean;
}

export interface PackageReview {
  name: string;
  kind: 'added' | 'updated' | 'removed';
  from: string[];
  to: string[];
  /** Everything it may do after the install (for a new package, what it brings). */
  capabilities: string[];
  gained: { capability: string; where?: string }[];
  lost: string[];
  scripts: ScriptReview[];
  /** Packages it now loads that it did not before. */
  newDependencies: string[];
  warnings: InstallWarning[];
  /** Why this package needs a human's acceptance; empty when it widens nothing. */
  escalations: string[];
}

export interface Review {
  packages: PackageReview[];
  /** The policy entries inference gives the touched names after the install. */
  entries: Record<string, PackagePolicy>;
  /** Names no longer installed anywhere. */
  removed: string[];
  escalations: number;
  /**
   * Names exactly what needs acceptance (each widening package: versions, tarball integrity, what it
   * gains, its scripts and warnings): `npsm --accept=<id>` accepts that and nothing else, so a tree
   * that changed between the review and the acceptance (a version published in between) is refused.
   */
  id: string;
}

export type WarningCheck = (copy: { name: string; packageName: string; version: string; previousVersion?: string }) => InstallWarning[];

/** Where a capability was seen first: "file:line", or the file when there is no line. */
export function evidenceAt(evidence: Record<string, Evidence[]> | undefined, key: string): string | undefined {
  const ev = evidence?.[key]?.[0];
  return ev ? (ev.line > 0 ? `${ev.file}:${ev.line}` : ev.file) : undefined;
}

/** Capabilities, each with where it was seen when known. */
export function located(capabilities: string[], evidence: Record<string, Evidence[]> | undefined): { capability: string; where?: string }[] {
  return capabilities.map((capability) => {
    const where = evidenceAt(evidence, capability);
    return where ? { capability, where } : { capability };
  });
}

export function reviewInstall(input: {
  plan: InstallPlan;
  staged: Map<string, StagedCopy>;
  policy: Policy | null;
  lock: Lock | null;
  warnings?: WarningCheck;
}): Review {
  const { plan, staged, policy, lock } = input;
  const touched = new Set(plan.changes.map((c) => c.name));
  const out: Review = { packages: [], entries: Object.create(null) as Record<string, PackagePolicy>, removed: [], escalations: 0, id: '' };
  const lockRecords = Object.values(lock?.packages ?? {});
  // What each touched name can do after the install, from its fresh analysis; then widened by what
  // it reaches through the packages it loads, as init does for the whole tree (through.ts).
  const fresh = new Map<string, { merged: ReturnType<typeof mergeByName>[number] | undefined; entry: PackagePolicy; analyses: CopyAnalysis[] }>();
  for (const name of touched) {
    const changes = plan.changes.filter((c) => c.name === name);
    const after = [...plan.nodes.values()].filter((n) => n.name === name);
    const analyses: CopyAnalysis[] = changes.map((c) => staged.get(c.location)?.analysis).filter((a): a is CopyAnalysis => a !== undefined);
    const merged = analyses.length ? mergeByName(analyses)[0] : undefined;
    // Copies the install leaves alone keep what was inferred for them before.
    const keepsOld = after.some((n) => !changes.some((c) => c.location === n.location));
    const parts = [merged?.entry, keepsOld ? lock?.inferred[name] : undefined].filter((e): e is PackagePolicy => e !== undefined);
    fresh.set(name, { merged, entry: after.length ? union(parts) : {}, analyses });
  }
  const known: Record<string, PackagePolicy> = { ...(lock?.inferred ?? {}) };
  for (const [name, f] of fresh) known[name] = f.entry;
  const inferredNames = [...fresh].filter(([, f]) => !f.merged || f.merged.source === 'inferred').map(([name]) => name);
  for (const [name, c] of throughDependencies(known, inferredNames)) fresh.get(name)!.entry = normalizeEntry(c.entry);
  for (const name of [...touched].sort()) {
    const changes = plan.changes.filter((c) => c.name === name);
    const after = [...plan.nodes.values()].filter((n) => n.name === name);
    const before = lockRecords.filter((r) => r.name === name);
    const last = lock?.inferred[name];
    const granted = policy?.packages[name];
    const { merged, entry, analyses } = fresh.get(name)!;
    const kind: PackageReview['kind'] = after.length === 0 ? 'removed' : before.length === 0 ? 'added' : 'updated';
    if (after.length) out.entries[name] = entry;
    else out.removed.push(name);

    const base = union([granted ?? {}, last ?? {}]);
    const gainedEntry = after.length ? gained(base, entry) : {};
    const review: PackageReview = {
      name,
      kind,
      from: [...new Set(before.map((r) => r.version))].sort(),
      to: [...new Set(after.map((n) => n.version))].sort(),
      capabilities: describeEntry(entry),
      gained: located(describeEntry(gainedEntry), merged?.evidence),
      lost: last && after.length ? describeEntry(gained(entry, last)) : [],
      scripts: [],
      newDependencies: after.length ? (entry.packages ?? []).filter((p) => !(last?.packages ?? []).includes(p)) : [],
      warnings: [],
      escalations: [],
    };

    // Install scripts: allowed only by the policy, and only as reviewed.
    const allowed = granted?.scripts === true || entry.scripts === true;
    const reviewedScripts = new Set(before.filter((r) => r.scripts && Object.keys(r.scripts).length).map((r) => scriptsKey(r.scripts!)));
    const seen = new Set<string>();
    for (const a of analyses) {
      const key = scriptsKey(a.scripts);
      if (!Object.keys(a.scripts).length || seen.has(key)) continue;
      seen.add(key);
      const status: ScriptReview['status'] = reviewedScripts.has(key) ? 'reviewed' : reviewedScripts.size ? 'changed' : 'new';
      for (const [event, command] of Object.entries(a.scripts)) review.scripts.push({ event, command, status, allowed });
    }

    if (input.warnings) {
      for (const c of changes) {
        if (!c.to) continue;
        review.warnings.push(...input.warnings({ name: c.name, packageName: c.packageName, version: c.to.version, ...(c.from ? { previousVersion: c.from.version } : {}) }));
      }
      review.warnings = dedupeWarnings(review.warnings);
    }

    if (review.gained.length) review.escalations.push(`gains ${review.gained.length === 1 ? 'a capability' : `${review.gained.length} capabilities`}`);
    if (review.scripts.some((s) => s.allowed && s.status !== 'reviewed')) review.escalations.push('its install scripts are allowed and changed since they were reviewed');
    for (const w of review.warnings) if (w.severity === 'block') review.escalations.push(w.message);
    if (review.escalations.length) out.escalations++;
    out.packages.push(review);
  }
  out.id = reviewId(out, plan);
  return out;
}

function reviewId(review: Review, plan: InstallPlan): string {
  const widening = review.packages.filter((p) => p.escalations.length).map((p) => [
    p.name, p.to, plan.changes.filter((c) => c.name === p.name).map((c) => [c.location, c.to?.integrity ?? null]),
    p.gained.map((g) => g.capability), p.scripts.map((s) => [s.event, s.command, s.allowed]), p.escalations,
  ]);
  return createHash('sha256').update(JSON.stringify(widening)).digest('hex').slice(0, 12);
}

function dedupeWarnings(list: InstallWarning[]): InstallWarning[] {
  const seen = new Set<string>();
  return list.filter((w) => {
    const key = `${w.kind}\0${w.package}\0${w.version}\0${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The policy entries after an accepted install: the reviewed entries for touched names, the last inference for the rest. */
export function nextEntries(review: Review, plan: InstallPlan, lock: Lock | null): Record<string, PackagePolicy> {
  const next: Record<string, PackagePolicy> = Object.create(null) as Record<string, PackagePolicy>;
  for (const node of plan.nodes.values()) {
    const name = node.name;
    if (name in next) continue;
    const e = review.entries[name] ?? lock?.inferred[name];
    next[name] = normalizeEntry(e ?? {});
  }
  return next;
}
