// Content-addressed cache of file analyses: a file's facts depend only on its bytes and how it is
// loaded, so warm runs skip parsing entirely. One JSON file, loaded once, written atomically.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { FileFacts } from './types.js';

// Bump when the analyser's output changes, so stale facts are never reused.
export const ANALYZER_VERSION = 12;

export class FactsCache {
  private entries = new Map<string, FileFacts>();
  private readonly used = new Set<string>();
  private dirty = false;

  constructor(private readonly file: string | null) {
    if (!file) return;
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; entries?: Record<string, FileFacts> };
      if (json.version === ANALYZER_VERSION && json.entries && typeof json.entries === 'object') {
        this.entries = new Map(Object.entries(json.entries));
      }
    } catch {
      // No cache yet, or an unreadable one: start empty.
    }
  }

  get(key: string): FileFacts | undefined {
    const hit = this.entries.get(key);
    if (hit) this.used.add(key);
    return hit;
  }

  set(key: string, facts: FileFacts): void {
    this.entries.set(key, facts);
    this.used.add(key);
    this.dirty = true;
  }

  /** Writes back only what this run used, so the cache never outgrows the tree. */
  save(): void {
    if (!this.file) return;
    if (!this.dirty && this.used.size === this.entries.size) return;
    const out: Record<string, FileFacts> = {};
    for (const key of this.used) {
      const f = this.entries.get(key);
      if (f) out[key] = f;
    }
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileAtomic(this.file, JSON.stringify({ version: ANALYZER_VERSION, entries: out }));
    } catch {
      // A cache that cannot be written only costs speed next time.
    }
  }
}
