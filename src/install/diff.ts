// `packsec diff <name>@<a> <name>@<b>`: fetch two versions from the registry, analyse each on its
// own, and say what the second can do that the first could not. Installs nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyAnalyzer, mergeByName, type CopyAnalysis } from '../analyze/index.js';
import { diffFiles, hashPackageFiles, type FileDiff } from '../verify/index.js';
import { pacote, type NpmConfig } from './npm.js';
import { compareSides, depsOf, type SideComparison, type VersionSide } from './compare.js';
import type { InstallWarning } from './review.js';
import { FetchError } from './stage.js';

export type { VersionSide };

export interface PackageDiff extends SideComparison {
  a: VersionSide;
  b: VersionSide;
  files: FileDiff;
  warnings: InstallWarning[];
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
      ...compareSides(sa, sb, mb.evidence),
      files: diffFiles(filesA, filesB),
      warnings: warnings ? warnings(sb.name, sb.version, sa.version, packument) : [],
    };
  } finally {
    await analyzer.close();
    rmSync(root, { recursive: true, force: true });
  }
}
