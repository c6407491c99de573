// `packsec diff <name>@<a> <name>@<b>`: fetch two versions from the registry, analyse each on its
// own, and say what the second can do that the first could not. Installs nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyAnalyzer, mergeByName, type CopyAnalysis } from '../analyze/index.js';
import { describeEntry, gained, type PackagePolicy } from '../policy/index.js';
import { diffFiles, hashPackageFiles, type FileDiff } from '../verify/index.js';
import { pacote, type NpmConfig } from './npm.js';
import { located, type InstallWarning } from './review.js';
import { FetchError } from './stage.js';

export interface VersionSide {
  spec: string;
  name: string;
  version: string;
  integrity: string;
  entry: PackagePolicy;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}

export interface PackageDiff {
  a: VersionSide;
  b: VersionSide;
  gained: { capability: string; where?: string }[];
  lost: string[];
  scripts: { event: string; before?: string; after?: string }[];
  dependencies: { added: Record<string, string>; removed: string[]; changed: Record<string, [string, string]> };
  files: FileDiff;
  warnings: InstallWarning[];
}

function depsOf(manifest: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ['dependencies', 'optionalDependencies']) {
    const deps = manifest[field];
    if (deps && typeof deps === 'object') for (const [k, v] of Object.entries(deps)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export async function diffVersions(specA: string, specB: string, config: NpmConfig, warnings?: (name: string, version: string, previous: string, packument: Record<string, unknown> | undefined) => InstallWarning[]): Promise<PackageDiff> {
  const root = mkdtempSync(join(tmpdir(), 'packsec-diff-'));
  const npm = pacote();
  const analyzer = new CopyAnalyzer({ cacheFile: null });
  try {
    const sides = await Promise.all([specA, specB].map(async (spec, i) => {
      const dir = join(root, String(i));
      let fetched;
      try {
        fetched = await npm.extract(spec, dir, { ...config.flat });
      } catch (err) {
        throw new FetchError(spec, err as Error);
      }
      const manifest = await npm.manifest(spec, { ...config.flat }) as Record<string, unknown>;
      const name = String(manifest.name);
      const analysis = await analyzer.analyze({ path: `node_modules/${name}`, dir, installedAs: name });
      return { spec, dir, fetched, manifest, name, analysis };
    }));
    const [a, b] = sides as [typeof sides[0], typeof sides[0]];
    const merged = (x: CopyAnalysis) => mergeByName([x])[0]!;
    const ma = merged(a.analysis);
    const mb = merged(b.analysis);
    const side = (s: typeof a, m: typeof ma): VersionSide => ({
      spec: s.spec, name: s.name, version: String(s.manifest.version), integrity: s.fetched.integrity,
      entry: m.entry, scripts: s.analysis.scripts, dependencies: depsOf(s.manifest),
    });
    const sa = side(a, ma);
    const sb = side(b, mb);
    const filesA = hashPackageFiles(a.dir);
    const filesB = hashPackageFiles(b.dir);
    const scripts: PackageDiff['scripts'] = [];
    for (const event of [...new Set([...Object.keys(sa.scripts), ...Object.keys(sb.scripts)])].sort()) {
      if (sa.scripts[event] !== sb.scripts[event]) scripts.push({ event, ...(sa.scripts[event] !== undefined ? { before: sa.scripts[event] } : {}), ...(sb.scripts[event] !== undefined ? { after: sb.scripts[event] } : {}) });
    }
    const deps: PackageDiff['dependencies'] = { added: {}, removed: [], changed: {} };
    for (const [k, v] of Object.entries(sb.dependencies)) {
      if (!(k in sa.dependencies)) deps.added[k] = v;
      else if (sa.dependencies[k] !== v) deps.changed[k] = [sa.dependencies[k]!, v];
    }
    for (const k of Object.keys(sa.dependencies)) if (!(k in sb.dependencies)) deps.removed.push(k);
    // Scripts are reported from the manifests, not as a capability (inference never grants them).
    const withScripts = (e: PackagePolicy, s: Record<string, string>): PackagePolicy => (Object.keys(s).length ? { ...e, scripts: true } : e);
    let packument: Record<string, unknown> | undefined;
    if (warnings) {
      try {
        packument = await npm.packument(sb.name, { ...config.flat, fullMetadata: true });
      } catch {
        packument = undefined;
      }
    }
    return {
      a: sa,
      b: sb,
      gained: located(describeEntry(gained(withScripts(sa.entry, sa.scripts), withScripts(sb.entry, sb.scripts))), mb.evidence),
      lost: describeEntry(gained(withScripts(sb.entry, sb.scripts), withScripts(sa.entry, sa.scripts))),
      scripts,
      dependencies: deps,
      files: diffFiles(filesA, filesB),
      warnings: warnings ? warnings(sb.name, sb.version, sa.version, packument) : [],
    };
  } finally {
    await analyzer.close();
    rmSync(root, { recursive: true, force: true });
  }
}
