// `packsec check`: what is installed now against what was reviewed. Re-infers from node_modules and
// compares with the committed policy and lock: gained capabilities, new or changed install
// scripts, packages missing from the policy or the lock, and installed files that changed.
import type { ProjectAnalysis } from '../analyze/index.js';
import { scriptsKey, union } from '../analyze/index.js';
import { describeEntry, gained, type Lock, type Policy } from '../policy/index.js';
import { readNpmLockEntries } from '../verify/index.js';
import { evidenceAt } from './review.js';

export type CheckProblemKind =
  | 'gained' | 'not-in-policy' | 'not-in-lock' | 'version-changed' | 'files-changed' | 'script-changed' | 'integrity-mismatch';

export interface CheckProblem {
  kind: CheckProblemKind;
  package: string;
  /** Install location, for problems about one copy. */
  path?: string;
  message: string;
  /** Capabilities gained, files added/removed/modified, scripts … */
  details: string[];
}

export interface CheckResult {
  ok: boolean;
  problems: CheckProblem[];
  /** Not failures: things that shrank or went away. */
  notes: string[];
  stats: { packages: number; copies: number; ms: number };
}

const MAX_DETAILS = 20;

export function checkTree(analysis: ProjectAnalysis, policy: Policy, lock: Lock | null, projectDir: string): CheckResult {
  const problems: CheckProblem[] = [];
  const notes: string[] = [];
  for (const p of analysis.packages) {
    const granted = policy.packages[p.name];
    if (!granted) {
      problems.push({ kind: 'not-in-policy', package: p.name, message: `${p.name} is installed but has no entry in packsec.policy.json`, details: describeEntry(p.entry) });
      continue;
    }
    const extra = gained(union([granted, lock?.inferred[p.name] ?? {}]), p.entry);
    const caps = describeEntry(extra);
    if (caps.length) {
      problems.push({
        kind: 'gained',
        package: p.name,
        message: `${p.name}@${p.versions.join(', ')} gained ${caps.length === 1 ? 'a capability' : `${caps.length} capabilities`}`,
        details: caps.map((c) => {
          const where = evidenceAt(p.evidence, c);
          return where ? `${c}  (${where})` : c;
        }),
      });
    }
  }
  const npm = readNpmLockEntries(projectDir);
  const installed = new Set<string>();
  for (const c of analysis.copies) {
    const path = c.copy.path;
    installed.add(path);
    const name = c.copy.installedAs;
    const rec = lock?.packages[path];
    if (!rec) {
      problems.push({ kind: 'not-in-lock', package: name, path, message: `${path} (${name}@${c.manifest.version}) is not in packsec.lock.json`, details: [] });
      continue;
    }
    if (rec.name !== name || rec.version !== c.manifest.version) {
      problems.push({ kind: 'version-changed', package: name, path, message: `${path}: ${rec.name}@${rec.version} was reviewed, ${name}@${c.manifest.version} is installed`, details: [] });
    }
    const fileDetails: string[] = [];
    for (const [f, h] of Object.entries(c.files)) {
      if (!(f in rec.files)) fileDetails.push(`added ${f}`);
      else if (rec.files[f] !== h) fileDetails.push(`modified ${f}`);
    }
    for (const f of Object.keys(rec.files)) if (!(f in c.files)) fileDetails.push(`removed ${f}`);
    if (fileDetails.length) {
      problems.push({
        kind: 'files-changed', package: name, path,
        message: `${path}: ${fileDetails.length} file${fileDetails.length === 1 ? ' differs' : 's differ'} from what was installed and reviewed`,
        details: fileDetails.length > MAX_DETAILS ? [...fileDetails.slice(0, MAX_DETAILS), `… and ${fileDetails.length - MAX_DETAILS} more`] : fileDetails,
      });
    }
    if (scriptsKey(rec.scripts ?? {}) !== scriptsKey(c.scripts)) {
      problems.push({
        kind: 'script-changed', package: name, path,
        message: `${path}: install scripts changed since review`,
        details: [
          ...Object.entries(c.scripts).filter(([k, v]) => rec.scripts?.[k] !== v).map(([k, v]) => `now ${k}: ${JSON.stringify(v)}`),
          ...Object.entries(rec.scripts ?? {}).filter(([k, v]) => c.scripts[k] !== v).map(([k, v]) => `was ${k}: ${JSON.stringify(v)}`),
        ],
      });
    }
    const fromNpm = npm.get(path);
    if (rec.integrity && fromNpm?.integrity && fromNpm.version === rec.version && fromNpm.integrity !== rec.integrity) {
      problems.push({ kind: 'integrity-mismatch', package: name, path, message: `${path}: npm's lockfile and packsec.lock.json disagree on the tarball's integrity`, details: [`npm: ${fromNpm.integrity}`, `packsec: ${rec.integrity}`] });
    }
  }
  for (const path of Object.keys(lock?.packages ?? {})) if (!installed.has(path)) notes.push(`${path} is in packsec.lock.json but not installed`);
  const names = new Set(analysis.packages.map((p) => p.name));
  for (const name of Object.keys(policy.packages)) if (!names.has(name)) notes.push(`${name} has a policy entry but is not installed`);
  return { ok: problems.length === 0, problems, notes, stats: { packages: analysis.packages.length, copies: analysis.copies.length, ms: analysis.stats.ms } };
}
