// The hash of every file of an installed package copy, in the lock's format (the same listing and
// records the analyzer makes), and the comparison of two such records.
// The analyzer's own files are imported, not its index: the runtime loads this module into every app,
// and must not load the analyzer with it.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { nodePowers, type ReadPowers } from '../analyze/powers.js';
import { fileRecord, listPackageFiles, symlinkRecord } from '../analyze/tree.js';

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function hashPackageFiles(dir: string, powers: ReadPowers = nodePowers): Record<string, string> {
  return listedRecords(dir, powers, () => true).files;
}

/**
 * The records of a copy's files as the lock writes them. Only the files `hash` picks are read and
 * hashed; any other file gets `unhashed(rel)` (the lock's own record, when only names and kinds are
 * compared). Unreadable files are left out, so a comparison sees them as missing.
 */
export function listedRecords(
  dir: string,
  powers: ReadPowers,
  hash: (rel: string) => boolean,
  unhashed: (rel: string) => string = () => 'sha256-?',
): { files: Record<string, string>; problems: string[] } {
  const listing = listPackageFiles(dir, powers);
  const files: Record<string, string> = {};
  for (const f of listing.files) {
    if (f.kind === 'symlink') {
      files[f.rel] = symlinkRecord(dir, f.rel, powers);
      continue;
    }
    if (!hash(f.rel)) {
      files[f.rel] = unhashed(f.rel);
      continue;
    }
    try {
      files[f.rel] = fileRecord(sha256(powers.readFile(join(dir, f.rel))));
    } catch {
      // unreadable: absent from the record
    }
  }
  return { files, problems: listing.problems };
}

export interface FileDiff {
  added: string[];
  removed: string[];
  modified: string[];
}

/** What differs from `before` in `after` (both relative path → record). */
export function diffFiles(before: Record<string, string>, after: Record<string, string>): FileDiff {
  return {
    added: Object.keys(after).filter((f) => !Object.hasOwn(before, f)),
    removed: Object.keys(before).filter((f) => !Object.hasOwn(after, f)),
    modified: Object.keys(after).filter((f) => Object.hasOwn(before, f) && before[f] !== after[f]),
  };
}

export function sameFiles(before: Record<string, string>, after: Record<string, string>): boolean {
  const d = diffFiles(before, after);
  return d.added.length === 0 && d.removed.length === 0 && d.modified.length === 0;
}
