// The install gate: resolve with npm, fetch and analyse what changes before anything lands, show
// the review, and only then let npm write node_modules (with every install script off), run the
// scripts the policy allows, contained, and record the new policy and lock.
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheFile } from '../analyze/index.js';
import { comparePublisher, hashPackageFiles, observeRegistry, recordPublishers, sameFiles, type RegistryFacts } from '../verify/index.js';
import { mergePolicy, readLock, readPolicy, writeLock, writePolicy, type Lock, type LockRecord, type MergeResult, type Policy } from '../policy/index.js';
import type { NpmConfig } from './npm.js';
import { planInstall, type CopyChange, type InstallPlan, type NpmCommand } from './plan.js';
import { nextEntries, reviewInstall, type InstallWarning, type Review, type WarningCheck } from './review.js';
import { runInstallScripts, type ScriptResult } from './scripts.js';
import { stageChanges } from './stage.js';

export interface GateOptions {
  command: NpmCommand;
  config: NpmConfig;
  /**
   * Accept escalations without asking: true accepts whatever the review shows; a review id accepts
   * only a review with that id (what a human saw), refusing any other.
   */
  accept: boolean | string;
  /** Asked when there are escalations and `accept` is false; resolves to the human's answer. Null: nobody to ask. */
  confirm: ((review: Review) => Promise<boolean>) | null;
  warnings?: (plan: InstallPlan, packuments: Map<string, Record<string, unknown>>) => WarningCheck;
  /** Package names whose install scripts the user allows now (`--allow-scripts`): recorded in the policy. */
  allowScripts?: string[];
  /** Run the install scripts the policy allows (default true). */
  runScripts?: boolean;
  onProgress?: (text: string) => void;
}

export interface GateResult {
  projectDir: string;
  command: NpmCommand;
  /** No packsec.policy.json before this install. */
  firstRun: boolean;
  changes: CopyChange[];
  unchanged: number;
  review: Review;
  outcome: 'installed' | 'refused' | 'declined' | 'nothing-to-do' | 'script-failed';
  /** Why nothing was written, when refused. */
  reason?: string;
  scripts: ScriptResult[];
  /** Scripts present but not run, because the policy does not allow them. */
  scriptsSkipped: { name: string; events: string[] }[];
  policyChanges?: Pick<MergeResult, 'added' | 'removed' | 'changed'>;
  timings: { resolveMs: number; stageMs: number; reifyMs: number; totalMs: number };
}

export async function runGate(options: GateOptions): Promise<GateResult> {
  const started = performance.now();
  const dir = options.config.localPrefix;
  // A broken policy or lock stops the install before npm touches anything.
  const policy = readPolicy(dir);
  const lock = readLock(dir);
  options.onProgress?.('resolving with npm');
  const plan = await planInstall(options.command, options.config, lock);
  const resolveMs = Math.round(performance.now() - started);
  const stage = await stageChanges(plan.changes, options.config, {
    stageParent: join(tmpdir(), 'packsec-stage'),
    cacheFile: defaultCacheFile(dir),
    onProgress: (done, total) => options.onProgress?.(`fetching and analysing ${done}/${total}`),
  });
  try {
    // Who published each new version, its signature and provenance: checked before anything lands.
    options.onProgress?.('checking signatures and provenance');
    const landingVersions = plan.changes.filter((c) => c.kind !== 'removed').map((c) => ({ name: c.packageName, version: c.to!.version }));
    const observed = await observeRegistry(landingVersions, { config: options.config, packuments: stage.packuments });
    const warningCheck = withRegistryWarnings(options.warnings?.(plan, stage.packuments), observed, lock);
    const review = reviewInstall({ plan, staged: stage.copies, policy, lock, warnings: warningCheck });
    const result: GateResult = {
      projectDir: dir,
      command: options.command,
      firstRun: policy === null,
      changes: plan.changes,
      unchanged: plan.unchanged,
      review,
      outcome: 'installed',
      scripts: [],
      scriptsSkipped: [],
      timings: { resolveMs, stageMs: stage.ms, reifyMs: 0, totalMs: 0 },
    };
    if (review.escalations > 0 && typeof options.accept === 'string' && options.accept !== review.id) {
      result.outcome = 'refused';
      result.reason = `what would be installed is not what review ${options.accept} showed (it is review ${review.id} now); nothing was installed`;
      result.timings.totalMs = Math.round(performance.now() - started);
      return result;
    }
    if (review.escalations > 0 && !options.accept) {
      const answer = options.confirm ? await options.confirm(review) : null;
      if (answer !== true) {
        result.outcome = answer === false ? 'declined' : 'refused';
        result.reason = answer === false
          ? 'declined at the prompt'
          : `${review.escalations} package${review.escalations === 1 ? '' : 's'} would widen what dependencies can do; nothing was installed`;
        result.timings.totalMs = Math.round(performance.now() - started);
        return result;
      }
    }

    // Accepted (or nothing widened): npm writes node_modules, package.json and its lockfile, scripts off.
    options.onProgress?.('installing');
    const reifyStarted = performance.now();
    const save = options.command !== 'ci' && options.config.flat.save !== false;
    // Like `npm ci`: start from an empty node_modules, so what is there afterwards is exactly the lockfile.
    if (options.command === 'ci') emptyNodeModules(dir);
    await plan.arb.reify({
      ...options.config.flat,
      ...(options.command === 'install' ? { add: options.config.positionals } : {}),
      ...(options.command === 'uninstall' ? { rm: options.config.positionals } : {}),
      ignoreScripts: true,
      save,
      audit: false,
      fund: false,
    });
    result.timings.reifyMs = Math.round(performance.now() - reifyStarted);

    // What landed must be what was analysed.
    const records: Record<string, LockRecord> = Object.create(null) as Record<string, LockRecord>;
    for (const [loc, node] of plan.nodes) {
      const staged = stage.copies.get(loc);
      if (!staged) {
        const old = lock?.packages[loc];
        if (!old) continue;
        // Reviewed before and written again now (a fresh `npsm ci`): it must be the reviewed bytes.
        if (plan.landing.has(loc) && Object.keys(old.files).length) {
          const landed = hashPackageFiles(join(dir, loc));
          if (!sameFiles(old.files, landed)) {
            throw Object.assign(new Error(`${loc}: the files npm installed differ from the ones recorded in packsec.lock.json for ${old.name}@${old.version}`), { code: 'INSTALL_MISMATCH' });
          }
        }
        records[loc] = old;
        continue;
      }
      const landed = hashPackageFiles(join(dir, loc));
      const expected = staged.analysis.files;
      if (!sameFiles(expected, landed)) {
        throw Object.assign(new Error(`${loc}: the files npm installed differ from the ones packsec fetched and analysed (tarball ${node.integrity ?? node.resolved ?? '?'})`), { code: 'INSTALL_MISMATCH' });
      }
      const rec: LockRecord = { name: node.name, version: node.version, files: expected };
      if (node.integrity) rec.integrity = node.integrity;
      if (node.resolved) rec.resolved = node.resolved;
      if (Object.keys(staged.analysis.scripts).length) rec.scripts = staged.analysis.scripts;
      records[loc] = rec;
    }

    // Install scripts: only for packages the policy allows, only as reviewed (the review just happened).
    const next = nextEntries(review, plan, lock);
    const merged = mergePolicy(policy, lock?.inferred ?? null, next);
    for (const name of options.allowScripts ?? []) {
      const entry = merged.policy.packages[name];
      if (entry) merged.policy.packages[name] = { ...entry, scripts: true };
    }
    // Scripts of the copies npm just wrote; a copy that was already there ran its scripts before.
    const withScripts = [...plan.nodes.entries()]
      .map(([location, node]) => ({ location, name: node.name, scripts: stage.copies.get(location)?.analysis.scripts ?? records[location]?.scripts ?? {} }))
      .filter((c) => Object.keys(c.scripts).length > 0 && (plan.landing.has(c.location) || stage.copies.has(c.location)));
    const toRun = withScripts.filter((c) => merged.policy.packages[c.name]?.scripts === true);
    for (const c of withScripts) if (!toRun.includes(c)) result.scriptsSkipped.push({ name: c.name, events: Object.keys(c.scripts) });

    // The reviewed state is recorded before any script runs: scripts run under the new policy.
    const newLock: Lock = { lockfileVersion: 1, packages: records, inferred: next };
    if (lock?.app) newLock.app = lock.app;
    // Installing past a publisher warning (accepted, or confirmed at the prompt) widens its pin.
    const accepted = new Set(review.escalations > 0 ? landingVersions.map((v) => `${v.name}@${v.version}`) : []);
    recordPublishers(newLock, lock, observed, accepted);
    writePolicy(dir, merged.policy);
    writeLock(dir, newLock);
    if (toRun.length && options.runScripts !== false) {
      result.scripts = await runInstallScripts(toRun, dir, merged.policy, { onStart: (name, event) => options.onProgress?.(`running ${name} ${event}`) });
    }
    result.policyChanges = { added: merged.added, removed: merged.removed, changed: merged.changed };
    if (plan.changes.length === 0) result.outcome = 'nothing-to-do';
    if (result.scripts.some((r) => r.exit !== 0)) result.outcome = 'script-failed';
    result.timings.totalMs = Math.round(performance.now() - started);
    return result;
  } finally {
    stage.dispose();
  }
}

function emptyNodeModules(dir: string): void {
  const nm = join(dir, 'node_modules');
  let entries: string[];
  try {
    entries = readdirSync(nm);
  } catch {
    return;
  }
  for (const e of entries) rmSync(join(nm, e), { recursive: true, force: true });
}

/**
 * The install warnings plus what the registry checks found: a signature or provenance that does not
 * verify, and a publisher that differs from the pin made on first use. All of them block.
 */
function withRegistryWarnings(base: WarningCheck | undefined, observed: Map<string, RegistryFacts>, lock: Lock | null): WarningCheck {
  return (copy) => {
    const out: InstallWarning[] = [...(base?.(copy) ?? [])];
    const f = observed.get(`${copy.packageName}@${copy.version}`);
    if (!f) return out;
    const id = `${copy.packageName}@${copy.version}`;
    const block = (kind: string, message: string, detail: Record<string, unknown> = {}) =>
      out.push({ kind, package: copy.packageName, version: copy.version, message, severity: 'block', detail });
    if (f.signature.status === 'failed') block('signature-invalid', `${id}: the registry signature does not verify: ${f.signature.reason}`);
    if (f.provenance.status === 'failed') block('provenance-invalid', `${id}: the provenance attestation does not verify: ${f.provenance.reason}`);
    for (const c of comparePublisher(copy.packageName, copy.version, lock?.publishers?.[copy.packageName], f.publisher)) {
      block(c.kind, c.message, { pinned: c.pinned, observed: c.observed });
    }
    return out;
  };
}
