// Atomic file writes: write a sibling temp file, fsync it, then rename over the target,
// so a crash or a full disk never leaves half a policy or lock file behind.
import { openSync, writeSync, fsyncSync, closeSync, linkSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicOptions {
  /**
   * 'if-allowed': go on without fsync where it is refused — Node's permission model (22.13+, 24) refuses
   * it whatever the grants. For caches, which a crash may cost an entry of but never a policy or a lock.
   */
  fsync?: 'always' | 'if-allowed';
}

/** Writes `text` to a fsynced temp file beside `file` and returns its path. */
function writeTemp(file: string, text: string | Uint8Array, mode = 0o644, options: AtomicOptions = {}): string {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // The mode is set at creation, so a secret is never readable by others, not even for a moment.
  const fd = openSync(tmp, 'w', mode);
  try {
    // write(2) may write less than asked (large tarballs), so loop until every byte is out.
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    try {
      fsyncSync(fd);
    } catch (err) {
      if (options.fsync !== 'if-allowed' || (err as NodeJS.ErrnoException).code !== 'ERR_ACCESS_DENIED') throw err;
    }
  } catch (err) {
    closeSync(fd);
    removeTemp(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

function removeTemp(tmp: string): void {
  try { unlinkSync(tmp); } catch { /* already gone */ }
}

export function writeFileAtomic(file: string, text: string | Uint8Array, options: AtomicOptions = {}): void {
  const tmp = writeTemp(file, text, 0o644, options);
  try {
    renameSync(tmp, file);
  } catch (err) {
    removeTemp(tmp);
    throw err;
  }
}

/**
 * Creates `file` whole or not at all, and never replaces one that exists (false then): a hard link
 * fails when the name is taken, where a rename would overwrite it. For records that other processes
 * may be creating at the same time.
 */
export function createFileAtomic(file: string, text: string | Uint8Array, mode = 0o644): boolean {
  const tmp = writeTemp(file, text, mode);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    removeTemp(tmp);
  }
}
