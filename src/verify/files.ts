// The hash of every file of an installed package copy, in the lock's format (the same listing and
// records the analyzer makes), and the comparison of two such records.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { fileRecord, listPackageFiles, nodePowers, symlinkRecord, type ReadPowers } from '../analyze/index.js';

export function hashPackageFiles(dir: string, powers: ReadPowers = nodePowers): Record<string, string> {
  return hashPackageFilesCounted(dir, powers).files;
}

/** hashPackageFiles, and how many bytes were read. Real files are streamed through one reused buffer. */
export function hashPackageFilesCounted(dir: string, powers: ReadPowers = nodePowers): { files: Record<string, string>; bytes: number } {
  const files: Record<string, string> = {};
  let bytes = 0;
  for (const f of listPackageFiles(dir, powers).files) {
    if (f.kind === 'symlink') {
      files[f.rel] = symlinkRecord(dir, f.rel, powers);
      continue;
    }
    try {
      if (powers === nodePowers) {
        const [digest, size] = hashFileStreaming(join(dir, f.rel));
        files[f.rel] = fileRecord(digest);
        bytes += size;
      } else {
        const data = powers.readFile(join(dir, f.rel));
        files[f.rel] = fileRecord(createHash('sha256').update(data).digest());
        bytes += data.length;
      }
    } catch {
      // unreadable: absent from the record, so a comparison sees it as missing
    }
  }
  return { files, bytes };
}

const CHUNK = 1 << 20;
let chunk: Buffer | undefined;

/** SHA-256 of a file read in 1 MiB pieces (bounded memory whatever the file's size), and its size. */
function hashFileStreaming(path: string): [Buffer, number] {
  chunk ??= Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  try {
    const h = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      h.update(n === CHUNK ? chunk : chunk.subarray(0, n));
      size += n;
    }
    return [h.digest(), size];
  } finally {
    closeSync(fd);
  }
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
