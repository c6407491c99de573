// The hash of every file of an installed package copy, in the lock's format (the same listing and
// records the analyzer makes), and the comparison of two such records.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileRecord, listPackageFiles, nodePowers, symlinkRecord, type ReadPowers } from '../analyze/index.js';

export function hashPackageFiles(dir: string, powers: ReadPowers = nodePowers): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of listPackageFiles(dir, powers).files) {
    if (f.kind === 'symlink') {
      files[f.rel] = symlinkRecord(dir, f.rel, powers);
      continue;
    }
    try {
      files[f.rel] = fileRecord(createHash('sha256').update(powers.readFile(join(dir, f.rel))).digest());
    } catch {
      // unreadable: absent from the record, so a comparison sees it as missing
    }
  }
  return files;
}

export interface FileDiff {
  added: string[];
  removed: string[];
  modified: string[];
}

/** What differs from `before` in `after` (both relative path → record). */
export function diffFiles(before: Record<string, string>, after: Record<string, string>): FileDiff {
  return {
    added: Object.keys(after).filter((f) => !(f in before)),
    removed: Object.keys(before).filter((f) => !(f in after)),
    modified: Object.keys(after).filter((f) => f in before && before[f] !== after[f]),
  };
}

export function sameFiles(before: Record<string, string>, after: Record<string, string>): boolean {
  const d = diffFiles(before, after);
  return d.added.length === 0 && d.removed.length === 0 && d.modified.length === 0;
}
