// Analyses a whole installed tree: every package copy under node_modules, in parallel, merged by name.
import { join } from 'node:path';
import { describeEntry, gained, normalizeEntry, unionEntries, type PackagePolicy } from '../policy/index.js';
import { communityDeclarations } from './community.js';
import { FactsCache } from './cache.js';
import { analyzeCopy, simplify, type CopyAnalysis, type CopyContext } from './package.js';
import { AnalysisPool } from './pool.js';
import { nodePowers, type ReadPowers } from './powers.js';
import { throughDependencies } from './through.js';
import { findPackages, type FoundCopy, type TreeProblem } from './tree.js';
import type { Evidence, PackageAnalysis, PackageWarning } from './types.js';

export interface AnalyzeProjectOptions {
  powers?: ReadPowers;
  /** Where the content-hash cache lives; null disables it. Default: node_modules/.cache/packsec. */
  cacheFile?: string | null;
  workers?: number;
  fileTimeoutMs?: number;
  maxFileBytes?: number;
  /** Only these package names (all their copies). */
  only?: ReadonlySet<string>;
  onProgress?: (done: number, total: number) => void;
  /** Also analyse the app's own code (outside node_modules), for the permission model's flags. */
  app?: boolean;
}

export interface ProjectAnalysis {
  packages: PackageAnalysis[];
  /** What the app's own code uses (when asked for): it is never contained, but Node's permission model limits it too. */
  app: PackagePolicy | null;
  copies: CopyAnalysis[];
  problems: TreeProblem[];
  stats: { packages: number; copies: number; files: number; filesAnalysed: number; ms: number };
}

export function defaultCacheFile(projectDir: string): string {
  return join(projectDir, 'node_modules', '.cache', 'packsec', 'analysis.json');
}

/** Analyses package copies one at a time or many at once, sharing one worker pool and one cache. */
export class CopyAnalyzer {
  readonly #pool: AnalysisPool;
  readonly #cache: FactsCache;
  readonly #ctx: CopyContext;

  constructor(options: { powers?: ReadPowers; cacheFile: string | null; workers?: number; fileTimeoutMs?: number; maxFileBytes?: number }) {
    this.#cache = new FactsCache(options.cacheFile);
    this.#pool = new AnalysisPool({ workers: options.workers, fileTimeoutMs: options.fileTimeoutMs });
    this.#ctx = { powers: options.powers ?? nodePowers, pool: this.#pool, cache: this.#cache, maxFileBytes: options.maxFileBytes ?? 32 * 1024 * 1024 };
  }

  analyze(copy: FoundCopy, app = false): Promise<CopyAnalysis> {
    return analyzeCopy(copy, this.#ctx, app);
  }

  /** Stops the workers and saves the cache. */
  async close(): Promise<void> {
    try {
      await this.#pool.close();
    } finally {
      this.#cache.save();
    }
  }
}

export async function analyzeProject(projectDir: string, options: AnalyzeProjectOptions = {}): Promise<ProjectAnalysis> {
  const started = performance.now();
  const powers = options.powers ?? nodePowers;
  const { copies: found, problems } = findPackages(projectDir, powers);
  const selected = options.only ? found.filter((c) => options.only!.has(c.installedAs)) : found;
  const analyzer = new CopyAnalyzer({
    powers,
    cacheFile: options.cacheFile === undefined ? defaultCacheFile(projectDir) : options.cacheFile,
    workers: options.workers,
    fileTimeoutMs: options.fileTimeoutMs,
    maxFileBytes: options.maxFileBytes,
  });
  const results: CopyAnalysis[] = new Array(selected.length);
  let done = 0;
  let next = 0;
  // Enough packages in flight to keep every worker busy while the main thread reads files.
  const lanes = Array.from({ length: Math.min(16, selected.length) }, async () => {
    while (next < selected.length) {
      const i = next++;
      results[i] = await analyzer.analyze(selected[i]!);
      options.onProgress?.(++done, selected.length);
    }
  });
  let app: PackagePolicy | null = null;
  try {
    await Promise.all(lanes);
    if (options.app) app = (await analyzer.analyze({ path: '.', dir: projectDir, installedAs: '(app)' }, true)).inferred;
  } finally {
    await analyzer.close();
  }
  const packages = throughTree(mergeByName(results));
  return {
    packages,
    app,
    copies: results,
    problems,
    stats: {
      packages: packages.length,
      copies: results.length,
      files: results.reduce((n, r) => n + Object.keys(r.files).length, 0),
      filesAnalysed: results.reduce((n, r) => n + r.filesAnalysed, 0),
      ms: Math.round(performance.now() - started),
    },
  };
}

/**
 * Inferred hosts and paths include what a package reaches through the packages it loads (through.ts),
 * with evidence naming the dependency that widened or opened them.
 */
export function throughTree(packages: PackageAnalysis[]): PackageAnalysis[] {
  const entries: Record<string, PackagePolicy> = Object.create(null) as Record<string, PackagePolicy>;
  for (const p of packages) entries[p.name] = p.entry;
  const changed = throughDependencies(entries, packages.filter((p) => p.source === 'inferred').map((p) => p.name));
  for (const p of packages) {
    const c = changed.get(p.name);
    if (!c) continue;
    p.entry = normalizeEntry(c.entry);
    p.inferred = normalizeEntry({ ...p.inferred, net: p.entry.net, fs: p.entry.fs });
    if (!p.entry.net) delete p.inferred.net;
    if (!p.entry.fs) delete p.inferred.fs;
    const at = `${p.copies[0]?.path ?? `node_modules/${p.name}`}/package.json`;
    for (const n of c.notes) {
      const what = n.field === 'net' ? 'hosts' : 'paths';
      if (n.opened) {
        const key = n.field === 'net' ? 'net:*' : 'fs.read:*';
        (p.evidence[key] ??= []).push({ file: at, line: 0, column: 0, text: `${what}: unknown (computed) in package ${n.via}, which it loads` });
        continue;
      }
      for (const a of n.added) {
        const key = n.field === 'net' ? `net:${a}` : `fs.${a}`;
        (p.evidence[key] ??= []).push({ file: at, line: 0, column: 0, text: `${what} of package ${n.via}, which it loads` });
      }
    }
  }
  return packages;
}

/** Joins the copies of each package name into one analysis: the union of what they use, declarations, community additions. */
export function mergeByName(copies: CopyAnalysis[]): PackageAnalysis[] {
  const byName = new Map<string, CopyAnalysis[]>();
  for (const c of copies) {
    const list = byName.get(c.copy.installedAs) ?? [];
    list.push(c);
    byName.set(c.copy.installedAs, list);
  }
  const out: PackageAnalysis[] = [];
  for (const [name, list] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const inferred = union(list.map((c) => c.inferred));
    const evidence: Record<string, Evidence[]> = {};
    const warnings: PackageWarning[] = [];
    const scripts: Record<string, string> = {};
    for (const c of list) {
      for (const [k, evs] of Object.entries(c.evidence)) (evidence[k] ??= []).push(...evs);
      warnings.push(...c.warnings);
      Object.assign(scripts, c.scripts);
      if (c.manifest.name && c.manifest.name !== name) {
        warnings.push({ kind: 'declaration-invalid', file: `${c.copy.path}/package.json`, line: 1, column: 1, text: '',
          message: `installed as "${name}" but its package.json names "${c.manifest.name}"; its policy entry is "${name}"` });
      }
    }
    const declarations = list.map((c) => c.manifest.declaration);
    let entry = inferred;
    let source: PackageAnalysis['source'] = 'inferred';
    if (declarations.every((d): d is PackagePolicy => d !== null)) {
      entry = union(declarations);
      source = 'declared';
      const extra = gained(entry, inferred);
      for (const [field, caps] of Object.entries(extra)) {
        const list2 = Array.isArray(caps) ? caps : [field];
        for (const cap of list2) {
          const key = Array.isArray(caps) ? `${field}:${cap}` : field;
          const ev = evidence[key]?.[0] ?? { file: `${list[0]!.copy.path}/package.json`, line: 1, column: 1, text: '' };
          warnings.push({ kind: 'declaration-mismatch', ...ev, message: `inference found ${key.replace(':', ' ')}, which its "packsec" declaration does not list` });
        }
      }
    }
    // Install scripts are a fact inference reports, never a grant it makes: only the app's policy (or
    // a community declaration) allows a package's scripts to run.
    if (entry.scripts) entry = normalizeEntry({ ...entry, scripts: false });
    const community = communityDeclarations().get(name);
    if (community) {
      entry = union([entry, community.add]);
      if (source === 'inferred') source = 'community';
      for (const key of describeEntry(community.add)) {
        (evidence[key] ??= []).push({ file: `packsec/${community.file}`, line: 0, column: 0, text: `community declaration: ${community.why}` });
      }
    }
    out.push({
      name,
      versions: [...new Set(list.map((c) => c.manifest.version))],
      copies: list.map((c) => ({ name, version: c.manifest.version, path: c.copy.path, dir: c.copy.dir })),
      entry,
      inferred,
      source,
      evidence,
      warnings,
      scripts,
      filesAnalysed: list.reduce((n, c) => n + c.filesAnalysed, 0),
    });
  }
  return out;
}

export function union(entries: PackagePolicy[]): PackagePolicy {
  const out: PackagePolicy = { builtins: [], globals: [], packages: [], files: [] };
  for (const e of entries) {
    if (e.trust === 'full') out.trust = 'full';
    out.builtins!.push(...(e.builtins ?? []));
    out.globals!.push(...(e.globals ?? []));
    out.packages!.push(...(e.packages ?? []));
    out.files!.push(...(e.files ?? []));
    if (e.native) out.native = true;
    if (e.scripts) out.scripts = true;
  }
  out.builtins = simplify(out.builtins!);
  out.globals = simplify(out.globals!);
  // A copy that can reach any host (or path) makes the name unrestricted; one that cannot connect at all adds nothing.
  Object.assign(out, unionEntries(entries));
  return normalizeEntry(out);
}
