// The hash of every file of an installed package copy, in the lock's format: the same listing the
// analyzer uses (nested node_modules excluded), "sha256-<base64>" per file, "symlink:<target>" per link.
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { listPackageFiles, nodePowers, type ReadPowers } from '../analyze/index.js';

export function hashPackageFiles(dir: string, powers: ReadPowers = nodePowers): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of listPackageFiles(dir, powers).files) {
    if (f.kind === 'symlink') {
      let target = '?';
      try {
        target = relative(dir, powers.realpath(join(dir, f.rel))).split(sep).join('/');
      } catch { /* broken link */ }
      files[f.rel] = `symlink:${target}`;
      continue;
    }
    try {
      files[f.rel] = `sha256-${createHash('sha256').update(powers.readFile(join(dir, f.rel))).digest('base64')}`;
    } catch {
      // unreadable: absent from the record, so a comparison sees it as missing
    }
  }
  return files;
}
