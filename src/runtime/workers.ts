// Every Worker runs the runtime too, and one whose file is in node_modules starts only from the locked
// copy. Workers inherit the --import that started this process; when `packsec run` started the app in
// its own process there was none, so each Worker is given it.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Integrity } from './integrity.js';

type WorkerClass = new (file: string | URL, options?: { execArgv?: string[]; eval?: boolean }) => object;

export function startWorkersContained(importFlag: string | null, integrity: Integrity | null): void {
  const threads = createRequire(import.meta.url)('node:worker_threads') as { Worker: WorkerClass };
  const Real = threads.Worker;
  class Worker extends Real {
    constructor(file: string | URL, options?: { execArgv?: string[]; eval?: boolean }) {
      const path = options?.eval ? null : workerFile(file);
      if (integrity && path) integrity.checkEntry(path);
      const execArgv = options?.execArgv ?? process.execArgv;
      super(file, importFlag && !execArgv.includes(importFlag) ? { ...options, execArgv: [...execArgv, importFlag] } : options);
    }
  }
  Object.defineProperty(Worker, 'name', { value: 'Worker' });
  threads.Worker = Worker;
  syncBuiltinESMExports();
}

/** The file a Worker runs, when it runs one (not code in a string or a data: URL). */
function workerFile(file: string | URL): string | null {
  const href = String(file);
  if (file instanceof URL || /^[a-z][a-z0-9+.-]+:/i.test(href)) return href.startsWith('file:') ? fileURLToPath(href) : null;
  return resolve(href);
}
