// Analyses one installed package copy: finds its entry points, follows its own files from there
// (static requires and imports), and turns the facts of those files into a policy entry with evidence.
import { createHash } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { builtinModuleOf, normalizeEntry, packageNameOf, type PackagePolicy } from '../policy/index.js';
import type { FactsCache } from './cache.js';
import type { SourceKind } from './file.js';
import { installScripts, readManifest, type Manifest } from './manifest.js';
import type { AnalysisPool } from './pool.js';
import type { ReadPowers } from './powers.js';
import { allTargets, mapTargets, resolveFile } from './resolve.js';
import { fileRecord, listPackageFiles, symlinkRecord, type FoundCopy } from './tree.js';
import { ANALYZER_VERSION } from './cache.js';
import { normalizeRest } from './literals.js';
import type { Evidence, FileFacts, PackageWarning, PathFact, WarningKind } from './types.js';

const JS_FILE = /\.(c|m)?js$/;
const NOT_JS = /\.(json|node)$/;
const NATIVE_HELPERS = new Set(['bindings', 'node-gyp-build', 'prebuild-install', 'node-pre-gyp', '@mapbox/node-pre-gyp', 'node-addon-api', 'nan', 'prebuildify', 'cmake-js']);
const MAX_EVIDENCE = 12;

export interface CopyAnalysis {
  copy: FoundCopy;
  manifest: Manifest;
  /** sha256 (base64, SRI style) of every file, relative path → hash; symlinks map to "symlink:<target>". */
  files: Record<string, string>;
  inferred: PackagePolicy;
  evidence: Record<string, Evidence[]>;
  warnings: PackageWarning[];
  scripts: Record<string, string>;
  filesAnalysed: number;
}

export interface CopyContext {
  powers: ReadPowers;
  pool: AnalysisPool;
  cache: FactsCache;
  maxFileBytes: number;
}

class EvidenceSink {
  readonly evidence: Record<string, Evidence[]> = {};
  readonly warnings: PackageWarning[] = [];
  readonly caps = { builtins: new Set<string>(), globals: new Set<string>(), packages: new Set<string>() };
  native = false;
  /** Host patterns named by literal calls; whether some call's host is computed. */
  readonly hosts = new Set<string>();
  unknownHost = false;
  /** Path grants named by literal calls, by access; whether some path is computed. */
  readonly paths = { read: new Set<string>(), write: new Set<string>() };
  unknownPath = false;

  add(key: string, ev: Evidence): void {
    const list = (this.evidence[key] ??= []);
    if (list.length < MAX_EVIDENCE && !list.some((e) => e.file === ev.file && e.line === ev.line)) list.push(ev);
  }

  warn(kind: WarningKind, ev: Evidence, message: string): void {
    if (this.warnings.length < 200) this.warnings.push({ kind, message, ...ev });
  }
}

/**
 * Analyses one package copy. With `app`, the folder is the app's own code: every JavaScript file in
 * it is an entry (any of them may be run), and its hidden folders and node_modules are left out.
 */
export async function analyzeCopy(copy: FoundCopy, ctx: CopyContext, app = false): Promise<CopyAnalysis> {
  const { powers } = ctx;
  const dir = copy.dir;
  const sink = new EvidenceSink();
  const where = (rel: string) => `${copy.path}/${rel}`;
  let manifestBytes: Buffer | null = null;
  try {
    manifestBytes = powers.readFile(join(dir, 'package.json'));
  } catch {
    manifestBytes = null;
  }
  const manifest = readManifest(manifestBytes);
  for (const p of manifest.problems) sink.warn('declaration-invalid', { file: where('package.json'), line: 1, column: 1, text: '' }, p);

  const listing = listPackageFiles(dir, powers, app);
  for (const p of listing.problems) sink.warn('unanalysable', { file: where('.'), line: 0, column: 0, text: '' }, p);
  const present = new Set(listing.files.map((f) => f.rel));
  const files: Record<string, string> = {};
  const contents = new Map<string, string>();
  for (const f of listing.files) {
    if (f.kind === 'symlink') {
      files[f.rel] = symlinkRecord(dir, f.rel, powers);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = powers.readFile(join(dir, f.rel));
    } catch {
      continue;
    }
    const digest = createHash('sha256').update(bytes).digest();
    files[f.rel] = fileRecord(digest);
    if (JS_FILE.test(f.rel)) contents.set(f.rel, sourceOf(bytes, digest, ctx.maxFileBytes));
  }
  // Node runs a required file as JavaScript unless it ends in .json or .node, so an explicit load of
  // `./lib/thing` or `./data.txt` (or an extensionless bin) is analysed like any .js file.
  const loadable = (rel: string): boolean => {
    if (contents.has(rel)) return true;
    if (NOT_JS.test(rel) || !files[rel]?.startsWith('sha256-')) return false;
    let bytes: Buffer;
    try {
      bytes = powers.readFile(join(dir, rel));
    } catch {
      return false;
    }
    contents.set(rel, sourceOf(bytes, createHash('sha256').update(bytes).digest(), ctx.maxFileBytes));
    return true;
  };

  // Native code and install scripts are facts about the package folder, not its source.
  const hasGyp = present.has('binding.gyp');
  const scripts = installScripts(manifest, hasGyp);
  for (const [k, v] of Object.entries(scripts)) sink.add('scripts', { file: where('package.json'), line: 1, column: 1, text: `"${k}": ${JSON.stringify(v)}` });
  if (hasGyp) {
    sink.native = true;
    sink.add('native', { file: where('binding.gyp'), line: 1, column: 1, text: 'binding.gyp (builds a native addon)' });
  }
  for (const f of listing.files) {
    if (f.rel.endsWith('.node')) {
      sink.native = true;
      sink.add('native', { file: where(f.rel), line: 0, column: 0, text: 'compiled native addon' });
    }
  }
  for (const dep of manifest.dependencies) {
    if (NATIVE_HELPERS.has(dep)) {
      sink.native = true;
      sink.add('native', { file: where('package.json'), line: 1, column: 1, text: `depends on ${dep}` });
    }
  }

  // Follow the package's own files from its entry points.
  const ownNames = new Set([copy.installedAs, ...(manifest.name ? [manifest.name] : [])]);
  const mainOf = (d: string): string | null => {
    if (d === dir) return manifest.main;
    const rel = relative(dir, d).split(sep).join('/');
    try {
      return readManifest(powers.readFile(join(dir, rel, 'package.json'))).main;
    } catch {
      return null;
    }
  };
  const inPackage = (abs: string): string | null => {
    const rel = relative(dir, abs);
    if (rel.startsWith('..') || rel === '' || rel.split(sep).includes('node_modules')) return null;
    return rel.split(sep).join('/');
  };
  const resolveIn = (abs: string): string | null => {
    const hit = resolveFile(abs, powers, mainOf);
    return hit ? inPackage(hit) : null;
  };
  const binFiles = new Set(manifest.bin.map((b) => posixNormalize(b)));
  // A bin with a shell (or python…) shebang is not JavaScript; one without a shebang or with node's is.
  const isNodeScript = (rel: string): boolean => {
    if (JS_FILE.test(rel)) return true;
    let head: string;
    try {
      head = powers.readFile(join(dir, rel)).subarray(0, 256).toString('utf8');
    } catch {
      return false;
    }
    return !head.startsWith('#!') || /\bnode\b/.test(head.split('\n', 1)[0]!);
  };
  const entries = new Set<string>();
  const addEntry = (target: string) => {
    if (!target.startsWith('./') && target !== '.') return;
    if (target.includes('*')) {
      const [before = '', after = ''] = target.slice(2).split('*');
      for (const rel of present) if (rel.startsWith(before) && rel.endsWith(after) && JS_FILE.test(rel)) entries.add(rel);
      return;
    }
    // A bin that is also exported (marked exports "./bin/marked") stays out: granting a library its
    // CLI's capabilities for the rare importer of the CLI would widen every app's policy.
    const rel = resolveIn(join(dir, target));
    if (rel && !binFiles.has(rel)) entries.add(rel);
  };
  if (manifest.exports !== undefined) for (const t of allTargets(manifest.exports)) addEntry(t);
  // With "exports", Node never loads "main" (or index.js) for the package name: it is not an entry
  // unless the exports map names no file at all.
  const main = entries.size === 0 ? resolveIn(join(dir, manifest.main ?? 'index')) : null;
  if (main) entries.add(main);
  if (entries.size === 0) for (const b of binFiles) if (present.has(b) && isNodeScript(b)) entries.add(b);
  // Install scripts that run a file with node (`node install.js`) run as the package too, and they
  // commonly check the package's own command (esbuild runs its bin), so its bins are entries as well.
  if (Object.keys(scripts).length) for (const b of binFiles) if (present.has(b) && isNodeScript(b)) entries.add(b);
  for (const command of Object.values(scripts)) {
    for (const m of command.matchAll(/(?:^|[\s;&|(])node\s+(?:--?[\w-]+(?:=\S+)?\s+)*((?:\.\/)?[\w@+.\/-]+)/g)) {
      const file = m[1]!.replace(/^\.\//, '');
      if (!file.startsWith('/') && !file.split('/').includes('..')) addEntry(`./${file}`);
    }
  }
  if (app) for (const rel of contents.keys()) entries.add(rel);

  const queued = new Set<string>();
  let wave: string[] = [];
  const enqueue = (rel: string) => {
    if (!queued.has(rel) && loadable(rel)) {
      queued.add(rel);
      wave.push(rel);
    }
  };
  const enqueueAll = (prefix: string) => {
    for (const rel of contents.keys()) if (rel.startsWith(prefix)) enqueue(rel);
  };
  for (const e of entries) enqueue(e);

  const typeCache = new Map<string, SourceKind>();
  const kindOf = (rel: string): SourceKind => {
    if (rel.endsWith('.mjs')) return 'module';
    if (rel.endsWith('.cjs')) return 'commonjs';
    return nearestType(dirname(rel), dir, powers, manifest, typeCache);
  };

  let filesAnalysed = 0;
  while (wave.length) {
    const current = wave;
    wave = [];
    const results = await Promise.all(current.map(async (rel) => [rel, await factsFor(rel, contents.get(rel)!, kindOf(rel), ctx)] as const));
    for (const [rel, facts] of results) {
      filesAnalysed++;
      const file = where(rel);
      const ev = (l: { line: number; column: number; text: string }): Evidence => ({ file, line: l.line, column: l.column, text: l.text });
      if (facts.unanalysable) sink.warn('unanalysable', { file, line: 0, column: 0, text: '' }, `unanalysable: ${facts.unanalysable}`);
      for (const b of facts.builtins) {
        sink.caps.builtins.add(b.cap);
        sink.add(`builtins:${b.cap}`, ev(b));
      }
      for (const g of facts.globals) {
        sink.caps.globals.add(g.cap);
        sink.add(`globals:${g.cap}`, ev(g));
      }
      for (const n of facts.native) {
        sink.native = true;
        sink.add('native', ev({ ...n, text: `${n.cap}: ${n.text}` }));
      }
      for (const w of facts.warnings) sink.warn(w.kind, ev(w), w.message);
      for (const h of facts.hosts ?? []) {
        if (h.host === null) {
          sink.unknownHost = true;
          sink.add('net:*', ev({ ...h, text: `hosts: unknown (computed) in ${h.via}(…): ${h.text}` }));
          continue;
        }
        const pattern = h.port === null ? h.host : `${h.host.includes(':') && !h.host.startsWith('[') && !h.host.startsWith('unix:') ? `[${h.host}]` : h.host}:${h.port}`;
        sink.hosts.add(pattern);
        sink.add(`net:${pattern}`, ev(h));
      }
      for (const f of facts.paths ?? []) {
        const grant = pathGrantOf(f, rel);
        if (grant === null) {
          sink.unknownPath = true;
          sink.add(`fs.${f.access}:*`, ev({ ...f, text: `paths: unknown (computed) in ${f.via}(…): ${f.text}` }));
          continue;
        }
        sink.paths[f.access].add(grant);
        sink.add(`fs.${f.access}:${grant}`, ev(f));
      }
      const fromDir = join(dir, dirname(rel));
      for (const imp of facts.imports) {
        const spec = imp.specifier;
        if (builtinModuleOf(spec)) continue;
        if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..' || spec.startsWith('/')) {
          const abs = spec.startsWith('/') ? spec : join(fromDir, spec);
          const target = resolveIn(abs);
          if (target) enqueue(target);
          else if (!inPackage(abs) && resolveFile(abs, powers, () => null) !== null) sink.warn('dynamic-require', ev(imp), `loads ${spec}, outside its own folder`);
          continue;
        }
        if (spec.startsWith('#')) {
          for (const t of mapTargets(manifest.imports, spec)) {
            const name = packageNameOf(t);
            if (t.startsWith('./')) {
              const target = resolveIn(join(dir, t));
              if (target) enqueue(target);
            } else if (name && !ownNames.has(name)) {
              sink.caps.packages.add(name);
              sink.add(`packages:${name}`, ev(imp));
            }
          }
          continue;
        }
        const name = packageNameOf(spec);
        if (!name) continue;
        if (ownNames.has(name) && powers.stat(join(dir, 'node_modules', name)) === null) {
          // Self-reference: the package importing itself by name, through its exports.
          const sub = spec === name ? '.' : `.${spec.slice(name.length)}`;
          const targets = manifest.exports !== undefined ? mapTargets(manifest.exports, sub) : [sub === '.' ? manifest.main ?? 'index' : sub];
          for (const t of targets) {
            const target = resolveIn(join(dir, t));
            if (target) enqueue(target);
          }
          continue;
        }
        sink.caps.packages.add(name);
        sink.add(`packages:${name}`, ev(imp));
      }
      for (const d of facts.dynamic) {
        // A computed require may load any of the package's own files under its literal prefix.
        const p = d.prefix;
        if (p !== null && (p.startsWith('./') || p.startsWith('../'))) {
          const base = inPackage(join(fromDir, p));
          enqueueAll(base === null ? '\0' : p.endsWith('/') ? `${base}/` : base);
        } else if (p === null || p === '') enqueueAll('');
      }
    }
  }

  const inferred = normalizeEntry({
    builtins: simplify([...sink.caps.builtins]),
    globals: simplify([...sink.caps.globals]),
    packages: [...sink.caps.packages],
    // Hosts: only when calls name some literally; "*" joins them when others are computed (any host,
    // and still a record of the named ones, so a new one shows as gained). None named: left open.
    ...(sink.hosts.size ? { net: sink.unknownHost ? ['*', ...sink.hosts] : [...sink.hosts] } : {}),
    // Paths: only when every path the package uses is known.
    ...((sink.paths.read.size || sink.paths.write.size) && !sink.unknownPath ? { fs: { read: [...sink.paths.read], write: [...sink.paths.write] } } : {}),
    native: sink.native,
    scripts: Object.keys(scripts).length > 0,
  });
  return { copy, manifest, files, inferred, evidence: sink.evidence, warnings: sink.warnings, scripts, filesAnalysed };
}

/**
 * The grant a path fact needs, from the file it was found in: "$package" for anything inside the package
 * (however it is spelled), "$tmp/…", "$home/…" or an absolute path; null when it is computed, climbs out
 * of its base, or is a whole root.
 */
export function pathGrantOf(f: PathFact, fileRel: string): string | null {
  if (f.base === null) return null;
  if (f.base === 'dir' || f.base === 'file') {
    const start = f.base === 'dir' ? (dirname(fileRel) === '.' ? '' : dirname(fileRel)) : fileRel;
    const n = normalizeRest(start + f.rest, !f.partial);
    return n === null ? null : '$package';
  }
  const n = normalizeRest(f.rest, !f.partial);
  if (n === null) return null;
  if (f.base === '/') return n.rest === '' ? null : `/${n.rest}`;
  return n.rest === '' ? f.base : `${f.base}/${n.rest}`;
}

/** A file's analysable text: its hex digest (the cache key), a NUL, then the source; or a size marker. */
function sourceOf(bytes: Buffer, digest: Buffer, maxFileBytes: number): string {
  if (bytes.length > maxFileBytes) return `\0too-large:${bytes.length}`;
  return `${digest.toString('hex')}\0${bytes.toString('utf8')}`;
}

async function factsFor(rel: string, content: string, kind: SourceKind, ctx: CopyContext): Promise<FileFacts> {
  if (content.startsWith('\0too-large:')) {
    const size = Number(content.slice('\0too-large:'.length));
    return { imports: [], dynamic: [], builtins: [], globals: [], native: [], warnings: [], hosts: [], paths: [], unanalysable: `${formatSize(size)} is over the limit of ${formatSize(ctx.maxFileBytes)} per file` };
  }
  void rel;
  const sep0 = content.indexOf('\0');
  const key = `${ANALYZER_VERSION}:${kind}:${content.slice(0, sep0)}`;
  const hit = ctx.cache.get(key);
  if (hit) return hit;
  const facts = await ctx.pool.analyze(content.slice(sep0 + 1), kind);
  ctx.cache.set(key, facts);
  return facts;
}

/** "module" or "commonjs" from the nearest package.json inside the package (folders may override). */
function nearestType(relDir: string, dir: string, powers: ReadPowers, manifest: Manifest, cache: Map<string, SourceKind>): SourceKind {
  if (relDir === '.' || relDir === '') return manifest.type;
  const hit = cache.get(relDir);
  if (hit) return hit;
  let kind: SourceKind;
  const pj = join(dir, relDir, 'package.json');
  if (powers.stat(pj)?.kind === 'file') {
    let type: unknown;
    try {
      type = (JSON.parse(powers.readFile(pj).toString('utf8')) as { type?: unknown }).type;
    } catch {
      type = undefined;
    }
    kind = type === 'module' ? 'module' : 'commonjs';
  } else kind = nearestType(dirname(relDir), dir, powers, manifest, cache);
  cache.set(relDir, kind);
  return kind;
}

/** Drops capabilities covered by a broader one in the same list (fs covers fs.readFile). */
export function simplify(caps: string[]): string[] {
  const set = new Set(caps);
  return [...set].filter((c) => {
    for (let i = c.lastIndexOf('.'); i > 0; i = c.lastIndexOf('.', i - 1)) if (set.has(c.slice(0, i))) return false;
    return true;
  });
}

/** Bytes for humans; exact below 10 kB, where a rounded size could equal the limit it exceeds. */
export function formatSize(bytes: number): string {
  if (bytes < 10_000) return `${bytes} bytes`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function posixNormalize(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/\.\//g, '/');
}
