// The compiled-module cache of `packsec run`, keyed by the content hash of a module's source: the
// transformed code (so warm runs never parse), and V8's code cache for it (so they barely compile).
// The transform (acorn and scope analysis) is handed in by whoever owns the cache.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { writeFileAtomic } from '../util/atomic.js';
import type { TransformResult } from './transform.js';

// Bump when the transform's output changes.
export const CACHE_VERSION = 2;

export function contentHash(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

export type Transformer = (source: string, kind: 'commonjs' | 'module') => TransformResult;

interface PendingCache {
  script: vm.Script;
  file: string;
}

export class CodeCache {
  /** Refusals only: transformed code is not kept (V8 holds the compiled script, and a copy would double it). */
  private readonly refused = new Map<string, TransformResult>();
  private readonly pending: PendingCache[] = [];
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly dir: string | null,
    private readonly transformer: Transformer,
  ) {
    if (dir) process.once('exit', () => this.flush());
  }

  private path(key: string, ext: string): string | null {
    if (!this.dir) return null;
    return join(this.dir, key.slice(0, 2), `${key}.${ext}`);
  }

  private write(file: string, data: string | Buffer): void {
    try {
      const sub = join(file, '..');
      if (!this.madeDirs.has(sub)) {
        mkdirSync(sub, { recursive: true });
        this.madeDirs.add(sub);
      }
      writeFileAtomic(file, data);
    } catch {
      // A cache that cannot be written only costs time on the next run.
    }
  }

  /** The contained version of a module's source. */
  transform(source: string, kind: 'commonjs' | 'module', hash = contentHash(source)): { key: string; result: TransformResult } {
    const key = `${hash}-${kind[0]}${CACHE_VERSION}`;
    const known = this.refused.get(key);
    if (known) return { key, result: known };
    const codeFile = this.path(key, 'js');
    if (codeFile) {
      try {
        return { key, result: { ok: true, code: readFileSync(codeFile, 'utf8') } };
      } catch { /* not cached */ }
      try {
        const result: TransformResult = { ok: false, reason: readFileSync(this.path(key, 'refused')!, 'utf8') };
        this.refused.set(key, result);
        return { key, result };
      } catch { /* not cached */ }
    }
    const result = this.transformer(source, kind);
    if (!result.ok) this.refused.set(key, result);
    if (codeFile) {
      if (result.ok) this.write(codeFile, result.code);
      else this.write(this.path(key, 'refused')!, result.reason);
    }
    return { key, result };
  }

  /**
   * Compiles transformed CommonJS code into its wrapper function, with V8's code cache when there is
   * one. The wrapper is an array element rather than a parenthesised function, which V8 would compile
   * eagerly, whole.
   */
  compile(key: string, code: string, params: readonly string[], filename: string, importModuleDynamically: unknown): (...args: unknown[]) => unknown {
    const source = `[function (${params.join(', ')}) {${code}\n}][0]`;
    const cacheFile = this.path(key, 'v8');
    let cachedData: Buffer | undefined;
    if (cacheFile) {
      try {
        cachedData = readFileSync(cacheFile);
      } catch { /* compiled for the first time */ }
    }
    const options: Record<string, unknown> = { filename, cachedData };
    if (importModuleDynamically) options.importModuleDynamically = importModuleDynamically;
    const script = new vm.Script(source, options as vm.ScriptOptions);
    if (cacheFile && (!cachedData || script.cachedDataRejected)) this.pending.push({ script, file: cacheFile });
    return script.runInThisContext() as (...args: unknown[]) => unknown;
  }

  /** Writes code caches at exit, when the functions that ran have been compiled and can be cached too. */
  private flush(): void {
    for (const { script, file } of this.pending.splice(0)) {
      try {
        this.write(file, script.createCachedData());
      } catch { /* skip this one */ }
    }
  }
}
