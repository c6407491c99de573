// require() of an ES module where the ESM hooks cannot see it: Node 20.19+ loads such a module graph
// with its default loader, so nothing in it would be contained. There require() keeps its behaviour
// from before Node 20.19: a package that offers an ES module only under the "module-sync" condition
// gives its CommonJS target, and any other ES module is an ERR_REQUIRE_ESM (which code falls back from).
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { isInside } from './packages.js';

const WITH_SYNC: ReadonlySet<string> = new Set(['module-sync', 'require', 'node', 'node-addons', 'default']);
const WITHOUT_SYNC: ReadonlySet<string> = new Set(['require', 'node', 'node-addons', 'default']);

/** Node's PACKAGE_TARGET_RESOLVE for exact subpaths: undefined = no match, null = excluded. */
function target(value: unknown, conditions: ReadonlySet<string>, depth = 0): string | null | undefined {
  if (depth > 32) return null;
  if (typeof value === 'string') return value.startsWith('./') && !value.split(/[\\/]/).includes('..') ? value : null;
  if (Array.isArray(value)) {
    for (const v of value) {
      const r = target(v, conditions, depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (!conditions.has(key)) continue;
      const r = target((value as Record<string, unknown>)[key], conditions, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  return null;
}

function packageScope(file: string): { dir: string; manifest: Record<string, unknown> } | null {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (dir.endsWith(`${sep}node_modules`)) return null;
    let text: string | null = null;
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8');
    } catch { /* keep looking upwards */ }
    if (text !== null) {
      try {
        const manifest: unknown = JSON.parse(text);
        return manifest && typeof manifest === 'object' ? { dir, manifest: manifest as Record<string, unknown> } : null;
      } catch {
        return null;
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The CommonJS file that require() would have given instead of the ES module `file`, had Node not
 * matched "module-sync" in its package's exports; null when there is none.
 */
export function commonJsAlternative(file: string): string | null {
  const scope = packageScope(file);
  const exports = scope?.manifest.exports;
  if (!scope || exports === undefined || exports === null) return null;
  const sugar = typeof exports === 'string' || Array.isArray(exports) || !Object.keys(exports).some((k) => k.startsWith('.'));
  const map = (sugar ? { '.': exports } : exports) as Record<string, unknown>;
  for (const [subpath, value] of Object.entries(map)) {
    if (subpath.includes('*')) continue;
    const esm = target(value, WITH_SYNC);
    if (!esm || join(scope.dir, esm) !== file) continue;
    const cjs = target(value, WITHOUT_SYNC);
    if (!cjs) return null;
    const alternative = join(scope.dir, cjs);
    return alternative !== file && isInside(alternative, scope.dir) ? alternative : null;
  }
  return null;
}
