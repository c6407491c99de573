// The compiled-module cache of `packsec run`, keyed by the content hash of a module's source: the
// transformed code (so warm runs never parse), and V8's code cache for it (so they barely compile).
// The transform (acorn and scope analysis) is handed in by whoever owns the cache.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { writeFileAtomic } from '../util/atomic.js';
import type { TransformResult } from './transform.js';

// Bump when the transform's output changes.
export const CACHE_VERSION = 3;

// Ends every cached text: one cut short (written without fsync, then a crash) is read as missing.
const END = '\n//packsec:end\n';

function readEntry(file: string): string | null {
  try {
    const text = readFileSync(file, 'utf8');
    return text.endsWith(END) ? text.slice(0, -END.length) : null;
  } catch {
    return null;
  }
}

export function contentHash(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

function writeCacheFile(file: string, data: string | Buffer, madeDirs?: Set<string>): void {
  try {
    const sub = dirname(file);
    if (!madeDirs?.has(sub)) {
      mkdirSync(sub, { recursive: true });
      madeDirs?.add(sub);
    }
    // Under Node's permission model (packsec run's default on 22.13+ and 24) fsync is refused: without
    // this every start would be a cold one.
    writeFileAtomic(file, data, { fsync: 'if-allowed' });
  } catch {
    // A cache that cannot be written only costs time on the next run.
  }
}

/**
 * Runs a CommonJS file of packsec's own (SES's bundle) as require() would, compiled with a V8 code
 * cache kept in `dir` under the hash of its content. Returns what writes that cache, to be called once
 * the functions start-up needs have been compiled, so they are in it too.
 */
export function runCached(file: string, dir: string | null): { exports: unknown; saveCache(): void } {
  const source = readFileSync(file, 'utf8');
  const cacheFile = dir ? join(dir, 'own', `${contentHash(source)}.v8`) : null;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch { /* first run */ }
  }
  // On the wrapper's line, so line numbers stay the file's own.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => unknown).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    saveCache: () => {
      if (cacheFile && (!cachedData || script.cachedDataRejected)) writeCacheFile(cacheFile, script.createCachedData());
    },
  };
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
    writeCacheFile(file, data, this.madeDirs);
  }

  /** The contained version of a module's source. */
  transform(source: string, kind: 'commonjs' | 'module', hash = contentHash(source)): { key: string; result: TransformResult } {
    const key = `${hash}-${kind[0]}${CACHE_VERSION}`;
    const known = this.refused.get(key);
    if (known) return { key, result: known };
    const codeFile = this.path(key, 'js');
    if (codeFile) {
      const code = readEntry(codeFile);
      if (code !== null) return { key, result: { ok: true, code } };
      const reason = readEntry(this.path(key, 'refused')!);
      if (reason !== null) {
        const result: TransformResult = { ok: false, reason };
        this.refused.set(key, result);
        return { key, result };
      }
    }
    const result = this.transformer(source, kind);
    if (!result.ok) this.refused.set(key, result);
    if (codeFile) {
      if (result.ok) this.write(codeFile, result.code + END);
      else this.write(this.path(key, 'refused')!, result.reason + END);
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
