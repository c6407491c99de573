// Hashing many package copies on every core: each worker hashes whole copies, streaming their files.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hashPackageFilesCounted } from './files.js';

export interface HashedTree {
  /** In the order of the folders given: relative path → record, as the lock keeps them. */
  files: Record<string, string>[];
  bytes: number;
  ms: number;
}

export async function hashCopies(dirs: string[], options: { workers?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<HashedTree> {
  const started = performance.now();
  // Starting workers costs more than it saves on a small tree.
  const size = Math.min(Math.max(1, options.workers ?? (dirs.length >= 300 ? availableParallelism() : 1)), dirs.length);
  const files: Record<string, string>[] = new Array(dirs.length);
  let bytes = 0;
  if (size <= 1) {
    dirs.forEach((dir, i) => {
      const r = hashPackageFilesCounted(dir);
      files[i] = r.files;
      bytes += r.bytes;
      options.onProgress?.(i + 1, dirs.length);
    });
    return { files, bytes, ms: Math.round(performance.now() - started) };
  }
  let next = 0;
  let done = 0;
  const workers = Array.from({ length: size }, () => new Worker(new URL('./hash-worker.js', import.meta.url)));
  try {
    await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
      const send = () => {
        if (next >= dirs.length) return resolve();
        const id = next++;
        worker.postMessage({ id, dir: dirs[id] });
      };
      worker.on('message', (msg: { id: number; files: Record<string, string>; bytes: number }) => {
        files[msg.id] = msg.files;
        bytes += msg.bytes;
        options.onProgress?.(++done, dirs.length);
        send();
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`a hashing worker exited (code ${code})`)));
      send();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { files, bytes, ms: Math.round(performance.now() - started) };
}
