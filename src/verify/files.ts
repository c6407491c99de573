// The hash of every file of an installed package copy, in the lock's format (the same listing and
// records the analyzer makes), and the comparison of two such records.
// The analyzer's own files are imported, not its index: the runtime loads this module into every app,
// and must not load the analyzer with it.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { nodePowers, type ReadPowers } from '../analyze/powers.js';
import { fileRecord, listPackageFiles, symlinkRecord, walkPackageFiles } from '../analyze/tree.js';

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

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
        files[f.rel] = fileRecord(sha256(data));
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

export interface ListingDiff {
  added: string[];
  removed: string[];
  changed: { file: string; expected: string; actual: string }[];
  /** Folders that could not be listed. */
  problems: string[];
}

/**
 * How a copy on disk differs from its record (relative path → record) without reading its files:
 * names, kinds and symlink targets, and the hash of only the files `hash` picks. A file recorded by
 * its hash is otherwise taken to match (the runtime hashes it when it loads).
 */
export function compareListing(dir: string, files: Record<string, string>, powers: ReadPowers, hash: (rel: string) => boolean): ListingDiff {
  const diff: ListingDiff = { added: [], removed: [], changed: [], problems: [] };
  let recorded = 0;
  diff.problems = walkPackageFiles(dir, powers, (rel, kind) => {
    const expected = Object.hasOwn(files, rel) ? files[rel]! : undefined;
    if (expected === undefined) {
      diff.added.push(rel);
      return;
    }
    recorded++;
    let actual = expected;
    if (kind === 'symlink') actual = symlinkRecord(dir, rel, powers);
    else if (!expected.startsWith('sha256-')) actual = 'a file';
    else if (hash(rel)) actual = hashedRecord(join(dir, rel), powers);
    if (actual !== expected) diff.changed.push({ file: rel, expected, actual });
  });
  if (recorded < Object.keys(files).length) {
    // Rare (a copy that lost files): walked once more for the names, rather than remembering every one.
    const listed = new Set<string>();
    walkPackageFiles(dir, powers, (rel) => listed.add(rel));
    diff.removed = Object.keys(files).filter((f) => !listed.has(f)).sort(byName);
  }
  diff.added.sort(byName);
  diff.changed.sort((a, b) => byName(a.file, b.file));
  return diff;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hashedRecord(file: string, powers: ReadPowers): string {
  try {
    return fileRecord(sha256(powers.readFile(file)));
  } catch (err) {
    return `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
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
    added: Object.keys(after).filter((f) => !Object.hasOwn(before, f)),
    removed: Object.keys(before).filter((f) => !Object.hasOwn(after, f)),
    modified: Object.keys(after).filter((f) => Object.hasOwn(before, f) && before[f] !== after[f]),
  };
}

export function sameFiles(before: Record<string, string>, after: Record<string, string>): boolean {
  const d = diffFiles(before, after);
  return d.added.length === 0 && d.removed.length === 0 && d.modified.length === 0;
}
