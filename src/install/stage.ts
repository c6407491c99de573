// Fetches every added or updated package copy into a staging folder, outside node_modules, and
// analyses each one as soon as it lands, so analysis overlaps the downloads. Also fetches each
// package's full registry document (publish times, publishers) for the warnings.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CopyAnalyzer, type CopyAnalysis } from '../analyze/index.js';
import { pacote, type NpmConfig } from './npm.js';
import { isRegistryTarball, type CopyChange } from './plan.js';

export interface StagedCopy {
  change: CopyChange;
  dir: string;
  analysis: CopyAnalysis;
}

export interface StageResult {
  root: string;
  copies: Map<string, StagedCopy>;
  /** Full registry documents by package name; absent when the registry does not serve one (git, tarball URLs). */
  packuments: Map<string, Record<string, unknown>>;
  ms: number;
  dispose(): void;
}

export class FetchError extends Error {
  readonly code = 'FETCH_FAILED';
  constructor(readonly spec: string, cause: Error) {
    super(`cannot fetch ${spec}: ${cause.message}`);
  }
}

export async function stageChanges(
  changes: CopyChange[],
  config: NpmConfig,
  options: { stageParent: string; cacheFile: string | null; concurrency?: number; onProgress?: (done: number, total: number) => void },
): Promise<StageResult> {
  const started = performance.now();
  mkdirSync(options.stageParent, { recursive: true });
  const root = mkdtempSync(join(options.stageParent, 'stage-'));
  const dispose = (): void => rmSync(root, { recursive: true, force: true });
  const wanted = changes.filter((c) => c.to);
  const copies = new Map<string, StagedCopy>();
  const packuments = new Map<string, Record<string, unknown>>();
  const analyzer = new CopyAnalyzer({ cacheFile: options.cacheFile });
  const npm = pacote();
  let done = 0;
  let next = 0;
  // Registry tarballs live under /-/; git and URL dependencies have no registry document of their own.
  const fromRegistry = (c: CopyChange): boolean => !c.to!.resolved || isRegistryTarball(c.to!.resolved);
  const registryNames = [...new Set(wanted.filter(fromRegistry).map((c) => c.packageName))];
  const docs = Promise.all(registryNames.map(async (name) => {
    try {
      packuments.set(name, await npm.packument(name, { ...config.flat, fullMetadata: true, preferOnline: true }));
    } catch {
      // Not every registry serves full documents; the warnings that need one say so.
    }
  }));
  const lane = async (): Promise<void> => {
    while (next < wanted.length) {
      const change = wanted[next]!;
      const dir = join(root, String(next++));
      try {
        await npm.extract(change.to!.spec, dir, {
          ...config.flat,
          ...(change.to!.integrity ? { integrity: change.to!.integrity } : {}),
          ...(change.to!.resolved ? { resolved: change.to!.resolved } : {}),
        });
      } catch (err) {
        throw new FetchError(`${change.name}@${change.to!.version}`, err as Error);
      }
      const analysis = await analyzer.analyze({ path: change.location, dir, installedAs: change.name });
      copies.set(change.location, { change, dir, analysis });
      options.onProgress?.(++done, wanted.length);
    }
  };
  try {
    await Promise.all([docs, ...Array.from({ length: Math.min(options.concurrency ?? 8, wanted.length) }, lane)]);
  } catch (err) {
    await analyzer.close().catch(() => {});
    dispose();
    throw err;
  }
  await analyzer.close();
  return { root, copies, packuments, ms: Math.round(performance.now() - started), dispose };
}
