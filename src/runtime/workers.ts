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
      if (integrity && !options?.eval) {
        integrity.checkEntry(file instanceof URL || String(file).startsWith('file:') ? fileURLToPath(file) : resolve(String(file)));
      }
      const execArgv = options?.execArgv ?? process.execArgv;
      super(file, importFlag && !execArgv.includes(importFlag) ? { ...options, execArgv: [...execArgv, importFlag] } : options);
    }
  }
  Object.defineProperty(Worker, 'name', { value: 'Worker' });
  threads.Worker = Worker;
  syncBuiltinESMExports();
}
