// `packsec init`: infer every installed package's capabilities, write the policy and the lock,
// keep hand edits that still apply, and summarise what the tree can do.
import { analyzeProject, CATEGORIES, entryCategories, type Category } from '../../analyze/index.js';
import {
  describeEntry, LOCK_FILE, mergePolicy, POLICY_FILE, readLock, readPolicy, writeLock, writePolicy, type PackagePolicy,
} from '../../policy/index.js';
import { loadNpmConfig } from '../../install/npm.js';
import { buildLock, comparePublisher, fromARegistry, observeRegistry, recordPublishers } from '../../verify/index.js';
import type { Lock } from '../../policy/index.js';
import type { Display } from '../display.js';
import type { Command } from '../command.js';
import { listNames, projectDir, requireNodeModules } from '../project.js';

export interface InitData {
  project: string;
  policyFile: string;
  lockFile: string;
  firstRun: boolean;
  stats: { packages: number; copies: number; files: number; filesAnalysed: number; ms: number };
  /** Publisher identities: how many copies have one recorded, what could not be asked, and changes against the pins. */
  publishers: PublisherSummary;
  needNothing: number;
  categories: Partial<Record<Category, string[]>>;
  declared: string[];
  unanalysable: { file: string; reason: string }[];
  changes: {
    added: string[];
    removed: string[];
    changed: { name: string; gained: string[]; lost: string[] }[];
    keptEdits: { name: string; added: string[]; removed: string[] }[];
  };
}

export const initCommand: Command<InitData> = {
  name: 'init',
  summary: 'infer every installed package\'s capabilities and write packsec.policy.json',
  usage: 'packsec init [--json] [--no-cache] [--offline] [--prefix <dir>]\n\n  --offline  do not ask the registry who published each package (publisher identities are not recorded)',
  options: { 'no-cache': { type: 'boolean' }, 'file-timeout': { type: 'string' }, offline: { type: 'boolean' } },
  async run(values, _positionals, display) {
    const dir = projectDir(values.prefix);
    requireNodeModules(dir);
    // Read both files first: a broken policy or lock stops init before anything is written.
    const existing = readPolicy(dir);
    const lock = readLock(dir);
    const analysis = await analyzeProject(dir, {
      app: true,
      cacheFile: values['no-cache'] ? null : undefined,
      fileTimeoutMs: typeof values['file-timeout'] === 'string' ? Math.max(1, Number(values['file-timeout'])) * 1000 : undefined,
      onProgress: (done, total) => display.progress(`analysing packages ${done}/${total}`),
    });
    display.endProgress();
    const next: Record<string, PackagePolicy> = {};
    for (const p of analysis.packages) next[p.name] = p.entry;
    const merged = mergePolicy(existing, lock?.inferred ?? null, next);
    const newLock = buildLock(dir, analysis, next);
    const publishers = await observePublishers(dir, newLock, lock, values.offline === true, display);
    writePolicy(dir, merged.policy);
    writeLock(dir, newLock);

    const categories: Partial<Record<Category, string[]>> = {};
    let needNothing = 0;
    const unanalysable: InitData['unanalysable'] = [];
    for (const p of analysis.packages) {
      const entry = merged.policy.packages[p.name] ?? p.entry;
      const dynamic = p.warnings.some((w) => ['eval', 'function-constructor', 'with', 'dynamic-require', 'dynamic-import', 'vm'].includes(w.kind));
      // Install scripts show even where the policy does not allow them to run.
      const cats = entryCategories(Object.keys(p.scripts).length ? { ...entry, scripts: true } : entry, dynamic);
      if (describeEntry(entry).length === 0) needNothing++;
      for (const c of cats) (categories[c] ??= []).push(p.name);
      for (const w of p.warnings) if (w.kind === 'unanalysable') unanalysable.push({ file: w.file, reason: w.message.replace(/^unanalysable: /, '') });
    }
    return {
      exit: 0,
      data: {
        project: dir,
        policyFile: POLICY_FILE,
        lockFile: LOCK_FILE,
        firstRun: existing === null,
        stats: analysis.stats,
        publishers,
        needNothing,
        categories,
        declared: analysis.packages.filter((p) => p.source !== 'inferred').map((p) => p.name),
        unanalysable,
        changes: {
          added: merged.added,
          removed: merged.removed,
          changed: merged.changed.map((c) => ({ name: c.name, gained: describeEntry(c.gained), lost: describeEntry(c.lost) })),
          keptEdits: merged.keptEdits,
        },
      },
    };
  },
  print({ data }, d) {
    const c = d.color;
    const s = data.stats;
    d.out(`${c.bold('packsec init')}: analysed ${s.packages} packages (${s.copies} installed copies, ${s.filesAnalysed} of ${s.files} files reached from entry points) in ${(s.ms / 1000).toFixed(1)} s`);
    d.out(`  ${data.needNothing} need no capabilities at all`);
    const width = Math.max(...Object.keys(CATEGORIES).map((k) => k.length));
    for (const cat of Object.keys(CATEGORIES) as Category[]) {
      const names = data.categories[cat];
      if (names?.length) d.out(`  ${cat.padEnd(width)}  ${String(names.length).padStart(3)}  ${listNames(names)}`);
    }
    if (data.declared.length) d.out(`  declared by the package or the community: ${listNames(data.declared)}`);
    if (data.unanalysable.length) {
      d.out(c.yellow(`  ${data.unanalysable.length} file(s) could not be analysed:`));
      for (const u of data.unanalysable.slice(0, 5)) d.out(`    ${u.file}: ${u.reason}`);
    }
    const ch = data.changes;
    if (!data.firstRun) {
      if (!ch.added.length && !ch.removed.length && !ch.changed.length) d.out('  no changes to the policy');
      for (const n of ch.added) d.out(c.green(`  + ${n}`));
      for (const n of ch.removed) d.out(c.red(`  - ${n}`));
      for (const e of ch.changed) {
        d.out(`  ~ ${e.name}`);
        for (const g of e.gained) d.out(c.green(`      + ${g}`));
        for (const l of e.lost) d.out(c.red(`      - ${l}`));
      }
      for (const k of ch.keptEdits) d.info(c.dim(`  kept hand edits for ${k.name}: ${[...k.added.map((a) => '+' + a), ...k.removed.map((r) => '-' + r)].join(' ')}`));
    }
    const pub = data.publishers;
    if (pub.recorded || pub.unavailable) d.out(`  publishers recorded for ${pub.recorded} of ${pub.fromRegistry} copies from a registry${pub.unavailable ? c.yellow(` (${pub.unavailable} could not be asked: ${pub.reason ?? '?'})`) : ''}`);
    for (const ch of pub.changes) d.out(c.yellow(`  publisher changed: ${ch}`));
    d.out(`wrote ${data.policyFile} and ${data.lockFile}; \`packsec explain <package>\` shows the evidence, \`packsec report\` the whole tree`);
  },
};

export interface PublisherSummary {
  fromRegistry: number;
  recorded: number;
  unavailable: number;
  reason?: string;
  /** Installed versions whose publisher differs from the pin made on first use. */
  changes: string[];
}

/**
 * Publisher identities for the new lock: kept from the previous lock for unchanged copies, asked from
 * the registry for the others (unless offline), pinned on first use. Never fails init: what could not
 * be asked is counted and said.
 */
async function observePublishers(dir: string, lock: Lock, previous: Lock | null, offline: boolean, display: Display): Promise<PublisherSummary> {
  const records = Object.values(lock.packages).filter(fromARegistry);
  const carried = (r: (typeof records)[number]) => {
    const was = Object.values(previous?.packages ?? {}).find((p) => p.name === r.name && p.version === r.version && p.publisher);
    return was?.publisher;
  };
  const ask = offline ? [] : records.filter((r) => !carried(r));
  let observed = null;
  let reason: string | undefined;
  if (ask.length) {
    try {
      const config = await loadNpmConfig('view', [], dir);
      observed = await observeRegistry(ask.map((r) => ({ name: r.name, version: r.version })), {
        config, onProgress: (done, total) => display.progress(`asking the registry who published ${done}/${total}`),
      });
      display.endProgress();
    } catch (err) {
      reason = (err as Error).message;
    }
  }
  for (const f of observed?.values() ?? []) if (f.error && !reason) reason = f.error;
  recordPublishers(lock, previous, observed);
  const changes: string[] = [];
  for (const r of Object.values(lock.packages)) {
    for (const c of comparePublisher(r.name, r.version, lock.publishers?.[r.name], r.publisher)) changes.push(c.message);
  }
  const recorded = records.filter((r) => r.publisher).length;
  return { fromRegistry: records.length, recorded, unavailable: offline ? 0 : records.length - recorded, ...(reason ? { reason } : {}), changes: [...new Set(changes)] };
}
