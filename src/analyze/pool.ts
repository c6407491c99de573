// A pool of analysis workers: parallel across cores, and each file's time and memory bounded,
// so a hostile file can slow one task down but never hang or crash the analysis.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { emptyFacts, type SourceKind } from './file.js';
import type { FileFacts } from './types.js';

export interface PoolOptions {
  workers?: number;
  /** Milliseconds one file may take before its worker is stopped. */
  fileTimeoutMs?: number;
}

interface Task {
  id: number;
  source: string;
  kind: SourceKind;
  resolve: (facts: FileFacts) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  timer: NodeJS.Timeout | null;
}

export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private readonly size: number;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(options: PoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? availableParallelism());
    this.timeoutMs = options.fileTimeoutMs ?? 30_000;
  }

  analyze(source: string, kind: SourceKind): Promise<FileFacts> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, source, kind, resolve });
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      resourceLimits: { stackSizeMb: 256, maxOldGenerationSizeMb: 4096 },
    });
    const slot: Slot = { worker, task: null, timer: null };
    worker.on('message', (msg: { id: number; facts: FileFacts }) => {
      if (slot.task?.id === msg.id) this.finish(slot, msg.facts);
    });
    worker.on('error', (err) => this.fail(slot, /memory/i.test(String(err)) ? 'ran out of memory while analysing' : `analyser crashed: ${(err as Error).message}`));
    worker.on('exit', () => {
      if (slot.task) this.fail(slot, 'analyser exited unexpectedly');
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(() => this.fail(slot!, `analysis took longer than ${this.timeoutMs / 1000} s`), this.timeoutMs);
      slot.worker.postMessage({ id: task.id, source: task.source, kind: task.kind });
    }
  }

  private finish(slot: Slot, facts: FileFacts): void {
    const task = slot.task;
    if (slot.timer) clearTimeout(slot.timer);
    slot.task = null;
    slot.timer = null;
    task?.resolve(facts);
    this.pump();
  }

  /** Stops a worker that failed or took too long, and reports its file as unanalysable. */
  private fail(slot: Slot, reason: string): void {
    const task = slot.task;
    if (slot.timer) clearTimeout(slot.timer);
    slot.task = null;
    slot.timer = null;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
    task?.resolve(emptyFacts(reason));
    if (!this.closed) this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
