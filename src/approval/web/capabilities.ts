// What the request page shows about a tarball: its files (added, changed or unchanged against the previous
// version) and packsec's capability diff, from the analyzer run in memory on the stored tarballs.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CopyAnalyzer, mergeByName, type DirEntry, type Evidence, type ReadPowers } from '../../analyze/index.js';
import { describeEntry } from '../../policy/index.js';
import { compareSides, depsOf, type SideComparison, type VersionSide } from '../../install/compare.js';
// Straight from the module, not the registry's index: the registry's server imports this UI.
import { readTarball, type TarEntry } from '../../registry/tarball.js';

export interface FileRow {
  path: string;
  size: number;
  change: 'added' | 'changed' | 'same';
}

export interface CapabilityReport extends SideComparison {
  /** The version compared with; absent for a first version (then everything counts as gained). */
  previousVersion?: string;
  /** Everything this version can do, as inferred from its code (declarations are not trusted here). */
  capabilities: string[];
  files: FileRow[];
  removedFiles: string[];
  /** Analysis problems and entries that are not plain files. */
  warnings: string[];
}

export interface Tarballs {
  current: Uint8Array;
  previous?: { version: string; tarball: Uint8Array };
}

/** Limits for reading stored tarballs here; the registry checked them against its own, larger ones. */
const LIMITS = { maxUnpackedBytes: 64 * 1024 * 1024, maxEntries: 20_000 };

interface Unpacked {
  files: Map<string, Buffer>;
  skipped: string[];
}

/** Plain files only, under clean relative paths: anything else is listed as skipped, never followed. */
function unpack(tarball: Uint8Array): Unpacked {
  const files = new Map<string, Buffer>();
  const skipped: string[] = [];
  for (const e of readTarball(tarball, { ...LIMITS, keep: () => true }) as TarEntry[]) {
    if (e.type === 'directory') continue;
    const clean = e.path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
    if (e.type !== 'file' || !clean || !e.data) skipped.push(`${e.path} (${e.type === 'file' ? 'unsafe path' : e.type})`);
    else files.set(e.path, e.data);
  }
  return { files, skipped };
}

function found<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return value;
}

/** The analyzer's file-system powers over unpacked files mounted at `root`. */
function memoryPowers(root: string, files: Map<string, Buffer>): ReadPowers {
  const byPath = new Map<string, Buffer>();
  const dirs = new Map<string, Map<string, DirEntry['kind']>>([[root, new Map()]]);
  for (const [rel, data] of files) {
    byPath.set(join(root, rel), data);
    const parts = rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dir = join(root, ...parts.slice(0, i));
      if (!dirs.has(dir)) dirs.set(dir, new Map());
      dirs.get(dir)!.set(parts[i]!, i === parts.length - 1 ? 'file' : 'dir');
    }
  }
  const stat = (p: string) => (byPath.has(p) ? { kind: 'file' as const, size: byPath.get(p)!.length } : dirs.has(p) ? { kind: 'dir' as const, size: 0 } : null);
  return {
    readFile: (p) => found(byPath.get(p), p),
    readDir: (p) => [...found(dirs.get(p), p)].map(([name, kind]) => ({ name, kind })),
    realpath: (p) => found(stat(p) ? p : undefined, p),
    stat,
    lstat: stat,
  };
}

function packageJson(files: Map<string, Buffer>): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(files.get('package.json')?.toString('utf8') ?? '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

async function analyse(name: string, unpacked: Unpacked): Promise<{ side: Omit<VersionSide, 'spec' | 'integrity'>; evidence: Record<string, Evidence[]>; warnings: string[] }> {
  const analyzer = new CopyAnalyzer({ powers: memoryPowers('/package', unpacked.files), cacheFile: null, workers: 1 });
  try {
    const copy = await analyzer.analyze({ path: `node_modules/${name}`, dir: '/package', installedAs: name });
    const merged = mergeByName([copy])[0]!;
    return {
      side: { name, version: copy.manifest.version, entry: merged.inferred, scripts: copy.scripts, dependencies: depsOf(packageJson(unpacked.files)) },
      evidence: merged.evidence,
      warnings: merged.warnings.map((w) => `${w.file.replace(`node_modules/${name}/`, '')}: ${w.message}`),
    };
  } finally {
    await analyzer.close();
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
const EMPTY: Omit<VersionSide, 'spec' | 'integrity'> = { name: '', version: '', entry: {}, scripts: {}, dependencies: {} };

export async function capabilityReport(name: string, tarballs: Tarballs): Promise<CapabilityReport> {
  const current = unpack(tarballs.current);
  const previous = tarballs.previous ? unpack(tarballs.previous.tarball) : undefined;
  const now = await analyse(name, current);
  const before = previous ? await analyse(name, previous) : { side: EMPTY };
  const withSpec = (s: typeof EMPTY): VersionSide => ({ ...s, spec: `${name}@${s.version}`, integrity: '' });
  const hashes = new Map([...(previous?.files ?? [])].map(([p, data]) => [p, sha256(data)]));
  return {
    ...(tarballs.previous ? { previousVersion: tarballs.previous.version } : {}),
    ...compareSides(withSpec(before.side), withSpec(now.side), now.evidence),
    capabilities: describeEntry(now.side.entry),
    files: [...current.files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, data]) => ({
      path,
      size: data.length,
      change: !hashes.has(path) ? 'added' : hashes.get(path) === sha256(data) ? 'same' : 'changed',
    })),
    removedFiles: [...hashes.keys()].filter((p) => !current.files.has(p)).sort(),
    warnings: [...current.skipped.map((s) => `not a plain file, not analysed: ${s}`), ...now.warnings],
  };
}
