// The capability comparison of two analysed versions of one package, with no I/O: `packsec diff` feeds it
// versions fetched from a registry, the approval page the tarballs the gateway stores.
import type { Evidence } from '../analyze/index.js';
import { describeEntry, gained, type PackagePolicy } from '../policy/index.js';
import { located } from './review.js';

export interface VersionSide {
  spec: string;
  name: string;
  version: string;
  integrity: string;
  entry: PackagePolicy;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}

export interface SideComparison {
  gained: { capability: string; where?: string }[];
  lost: string[];
  scripts: { event: string; before?: string; after?: string }[];
  dependencies: { added: Record<string, string>; removed: string[]; changed: Record<string, [string, string]> };
}

export function depsOf(manifest: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ['dependencies', 'optionalDependencies']) {
    const deps = manifest[field];
    if (deps && typeof deps === 'object') for (const [k, v] of Object.entries(deps)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** What `b` can do that `a` could not; `evidence` (of b) says where each gained capability is used. */
export function compareSides(a: VersionSide, b: VersionSide, evidence: Record<string, Evidence[]> | undefined): SideComparison {
  const scripts: SideComparison['scripts'] = [];
  for (const event of [...new Set([...Object.keys(a.scripts), ...Object.keys(b.scripts)])].sort()) {
    if (a.scripts[event] !== b.scripts[event]) scripts.push({ event, ...(a.scripts[event] !== undefined ? { before: a.scripts[event] } : {}), ...(b.scripts[event] !== undefined ? { after: b.scripts[event] } : {}) });
  }
  const deps: SideComparison['dependencies'] = { added: {}, removed: [], changed: {} };
  for (const [k, v] of Object.entries(b.dependencies)) {
    if (!(k in a.dependencies)) deps.added[k] = v;
    else if (a.dependencies[k] !== v) deps.changed[k] = [a.dependencies[k]!, v];
  }
  for (const k of Object.keys(a.dependencies)) if (!(k in b.dependencies)) deps.removed.push(k);
  // Scripts are reported from the manifests, not as a capability (inference never grants them).
  const withScripts = (e: PackagePolicy, s: Record<string, string>): PackagePolicy => (Object.keys(s).length ? { ...e, scripts: true } : e);
  return {
    gained: located(describeEntry(gained(withScripts(a.entry, a.scripts), withScripts(b.entry, b.scripts))), evidence),
    lost: describeEntry(gained(withScripts(b.entry, b.scripts), withScripts(a.entry, a.scripts))),
    scripts,
    dependencies: deps,
  };
}
