// Which free variables are capabilities. JavaScript's own intrinsics and a few inert host objects
// are available to every package; everything else that a package reads from the global scope is a grant.

import { AMBIENT, GLOBAL_OBJECT_NAMES, INTRINSICS } from '../policy/ambient.js';

export { AMBIENT, GLOBAL_OBJECT_NAMES, INTRINSICS };

// How deep a global path is kept: process.env.KEY, process.stdout, window.ethereum, Buffer.
const TWO_LEVEL_ROOTS = new Set(['Date', 'Math', 'process', 'window', 'self', 'document', 'navigator', 'location', 'performance', 'crypto', 'Deno', 'Bun', 'chrome', 'Bare']);

export function globalDepth(path: readonly string[]): number {
  if (path[0] === 'process' && path[1] === 'env') return 3;
  return TWO_LEVEL_ROOTS.has(path[0] ?? '') ? 2 : 1;
}

export type UseContext = 'value' | 'call' | 'new-noargs' | 'new-args' | 'instanceof';

/**
 * The capability a use of a global path amounts to, or null when it needs none.
 * `Date` and `Math` are intrinsics except for the clock and the random source.
 */
export function globalCapability(path: readonly string[], context: UseContext): string | null {
  const root = path[0];
  if (root === undefined) return null;
  if (root === 'Date') {
    if (path.length === 1) return context === 'new-args' || context === 'instanceof' ? null : 'Date.now';
    return path[1] === 'now' ? 'Date.now' : null;
  }
  if (root === 'Math') {
    if (path.length === 1) return 'Math.random';
    return path[1] === 'random' ? 'Math.random' : null;
  }
  // AMD loader sniffing (`typeof define === 'function' && define.amd`) is not a capability.
  if (root === 'define' && (path.length === 1 || path[1] === 'amd')) return null;
  if (INTRINSICS.has(root) || AMBIENT.has(root)) return null;
  return path.slice(0, globalDepth(path)).join('.');
}
