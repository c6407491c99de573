// One server per data folder with JSON records or the embedded database: the file store serialises a
// package's writers in memory, and PGlite is one process's, so a second server process on the same folder
// could interleave writes. A pid file claims the folder; a stale one (dead pid) is taken over. The embedded
// database is claimed the same way. Gateways on PostgreSQL (which serialises writers itself) take no claim.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError } from './errors.js';

const LOCK_FILE = 'server.pid';
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `dir` for this process; returns the release function. */
export function acquireServerLock(dir: string): () => void {
  return acquirePidLock(join(dir, LOCK_FILE), {
    here: `a registry server in this process already uses ${dir}`,
    other: (pid) => `another registry server (pid ${pid}) uses ${dir}; stop it first, or use another --data folder`,
    starting: `cannot claim ${dir} (another server is starting on it?)`,
  });
}

/** Claims a pid file for this process; the messages say what is busy. Returns the release function. */
export function acquirePidLock(file: string, busy: { here: string; other: (pid: number) => string; starting: string }): () => void {
  if (heldHere.has(file)) throw new RegistryError('DATA_DIR', busy.here);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      heldHere.add(file);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(file);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RegistryError('DATA_DIR', `cannot write ${file}: ${(err as Error).message}`);
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      // removed meanwhile: try again
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new RegistryError('DATA_DIR', busy.other(pid));
    }
    try {
      unlinkSync(file);
    } catch {
      // someone else took it over; the next attempt decides
    }
  }
  throw new RegistryError('DATA_DIR', busy.starting);
}
