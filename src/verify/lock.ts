// Builds packsec.lock.json records from an analysed tree and npm's own lockfile.
import type { ProjectAnalysis } from '../analyze/index.js';
import type { Lock, LockRecord, PackagePolicy } from '../policy/index.js';
import { readNpmLockEntries } from './npm-lockfile.js';

export function buildLock(projectDir: string, analysis: ProjectAnalysis, inferred: Record<string, PackagePolicy>): Lock {
  const npm = readNpmLockEntries(projectDir);
  const packages: Record<string, LockRecord> = {};
  for (const c of analysis.copies) {
    const rec: LockRecord = { name: c.copy.installedAs, version: c.manifest.version, files: c.files };
    const fromNpm = npm.get(c.copy.path);
    // npm's integrity is only meaningful for the version npm installed there.
    if (fromNpm?.integrity && (!fromNpm.version || fromNpm.version === c.manifest.version)) rec.integrity = fromNpm.integrity;
    if (fromNpm?.resolved && (!fromNpm.version || fromNpm.version === c.manifest.version)) rec.resolved = fromNpm.resolved;
    if (Object.keys(c.scripts).length) rec.scripts = c.scripts;
    packages[c.copy.path] = rec;
  }
  const lock: Lock = { lockfileVersion: 1, packages, inferred };
  if (analysis.app) lock.app = analysis.app;
  return lock;
}
