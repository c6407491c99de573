// Which free variables are capabilities. JavaScript's own intrinsics and a few inert host objects
// are available to every package; everything else that a package reads from the global scope is a grant.

/** ECMAScript intrinsics: frozen and shared under the runtime, never a capability by themselves. */
export const INTRINSICS: ReadonlySet<string> = new Set([
  'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean',
  'String', 'Symbol', 'Date', 'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError',
  'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'JSON', 'Math', 'Intl', 'ArrayBuffer',
  'SharedArrayBuffer', 'Atomics', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array',
  'Int32Array', 'Float32Array', 'Float64Array', 'Float16Array', 'Uint8ClampedArray', 'BigUint64Array',
  'BigInt64Array', 'DataView', 'Map', 'BigInt', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry',
  'Proxy', 'Reflect', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape',
  'unescape', 'eval', 'isFinite', 'isNaN', 'Iterator', 'SuppressedError', 'DisposableStack',
  'AsyncDisposableStack', 'globalThis', 'WebAssembly',
]);

/** Host globals that carry no authority (no I/O, no clock, no randomness): always available. */
export const AMBIENT: ReadonlySet<string> = new Set([
  'console', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream',
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'DOMException', 'atob', 'btoa', 'structuredClone',
  'queueMicrotask', 'global', 'Blob', 'ReadableStream', 'WritableStream', 'TransformStream',
  'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'ReadableStreamDefaultReader', 'CompressionStream',
  'DecompressionStream', 'Headers', 'FormData', 'Request', 'Response', 'MessageChannel', 'MessagePort',
  'MessageEvent', 'BroadcastChannel', 'CustomEvent', 'File',
  // CommonJS wrapper names that are free in ES modules; they hold nothing there.
  'require', 'module', 'exports', '__filename', '__dirname', 'arguments',
]);

/** The global object itself: reading it gives the package its own (attenuated) global. */
export const GLOBAL_OBJECT_NAMES: ReadonlySet<string> = new Set(['globalThis', 'global']);

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
