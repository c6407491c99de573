// Which globals need no grant: JavaScript's own intrinsics and a few inert host objects. Part of the
// policy's meaning, so inference and the runtime read the same lists.

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
