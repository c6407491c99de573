// Capability categories in the style of Capslock: what kind of authority each capability carries,
// so a reviewer (or a rule) can say "this package never touches the network".
import { parseBuiltinCapability, type PackagePolicy } from '../policy/index.js';

export const CATEGORIES = {
  network: 'opens connections or serves: http, https, net, tls, dgram, dns, http2, fetch, WebSocket, XMLHttpRequest',
  'fs-read': 'reads files or lists folders',
  'fs-write': 'creates, changes or deletes files',
  spawn: 'starts other programs: child_process',
  threads: 'runs work in the background: worker_threads, cluster, timers',
  env: 'reads environment variables (process.env)',
  native: 'loads native code (.node addons, process.dlopen), which no sandbox contains',
  scripts: 'runs install scripts (preinstall, install, postinstall, implicit node-gyp rebuild)',
  'dynamic-code': 'runs code the analyser cannot see: eval, new Function, vm, with, computed require/import',
  'time-random': 'reads the clock or a random source: Date.now, new Date(), Math.random, performance.now, crypto.random*',
  system: 'reads or changes the process and the machine: os, process.exit/kill/chdir, tty, signals',
  runtime: 'reaches into Node itself: module, inspector, v8, async_hooks, process.binding',
} as const;

export type Category = keyof typeof CATEGORIES;

/** Own-property lookup: a global named `constructor` or `hasOwnProperty` must not find Object.prototype's. */
function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

export const DANGEROUS: ReadonlySet<Category> = new Set(['network', 'fs-read', 'fs-write', 'spawn', 'native', 'scripts', 'dynamic-code', 'runtime']);

const MODULE_CATEGORY: Record<string, Category[]> = {
  http: ['network'], https: ['network'], http2: ['network'], net: ['network'], tls: ['network'], dgram: ['network'],
  dns: ['network'], 'dns/promises': ['network'],
  child_process: ['spawn'],
  worker_threads: ['threads'], cluster: ['threads', 'spawn'], 'timers/promises': ['threads'],
  vm: ['dynamic-code'],
  os: ['system'], tty: ['system'], readline: ['system'], 'readline/promises': ['system'], repl: ['system', 'dynamic-code'],
  module: ['runtime'], inspector: ['runtime'], 'inspector/promises': ['runtime'], v8: ['runtime'], async_hooks: ['runtime'],
  trace_events: ['runtime'], wasi: ['runtime', 'fs-read', 'fs-write'], sqlite: ['fs-read', 'fs-write'],
};

const FS_WRITE = /^(write|append|mkdir|mkdtemp|rm|unlink|rename|copyFile|cp|symlink|link|chmod|lchmod|fchmod|chown|lchown|fchown|utimes|lutimes|futimes|truncate|ftruncate|createWriteStream|fsync|fdatasync)/;
const FS_BOTH = /^(open|FileHandle|WriteStream|promises$|default$)/;
const FS_TYPES = /^(Stats|Dirent|constants|F_OK|R_OK|W_OK|X_OK)$/;

function fsCategories(exp: string | undefined): Category[] {
  if (exp === undefined || FS_BOTH.test(exp)) return ['fs-read', 'fs-write'];
  if (FS_TYPES.test(exp)) return [];
  return FS_WRITE.test(exp) ? ['fs-write'] : ['fs-read'];
}

// Exports of http/https that are data or classes to extend, not connections.
const HTTP_DATA = new Set(['METHODS', 'STATUS_CODES', 'IncomingMessage', 'ServerResponse', 'OutgoingMessage', 'validateHeaderName', 'validateHeaderValue', 'maxHeaderSize']);

export function builtinCategories(cap: string): Category[] {
  const { module, path } = parseBuiltinCapability(cap);
  if (module === 'fs' || module === 'fs/promises') {
    const exp = module === 'fs' && path[0] === 'promises' ? path[1] : path[0];
    if (module === 'fs' && path[0] === 'constants') return [];
    return fsCategories(exp);
  }
  if (module === 'crypto') return path.length === 0 || /^random|^webcrypto|^getRandomValues/.test(path[0] ?? '') ? ['time-random'] : [];
  if ((module === 'http' || module === 'https' || module === 'http2') && path[0] !== undefined && HTTP_DATA.has(path[0])) return [];
  if (module === 'process') return ['system', 'env'];
  if (module === 'timers') return ['threads'];
  if (module === 'perf_hooks') return ['time-random'];
  return own(MODULE_CATEGORY, module) ?? [];
}

const GLOBAL_CATEGORY: Record<string, Category[]> = {
  fetch: ['network'], WebSocket: ['network'], XMLHttpRequest: ['network'], EventSource: ['network'],
  setTimeout: ['threads'], setInterval: ['threads'], setImmediate: ['threads'], Worker: ['threads'],
  'Date.now': ['time-random'], 'Math.random': ['time-random'], performance: ['time-random'],
  'process.dlopen': ['native'], 'process.binding': ['runtime'], 'process._linkedBinding': ['runtime'],
  'process.exit': ['system'], 'process.kill': ['system'], 'process.chdir': ['system'], 'process.abort': ['system'],
  'process.setuid': ['system'], 'process.setgid': ['system'], 'process.umask': ['system'], 'process.on': ['system'],
  'process.hrtime': ['time-random'], 'process.uptime': ['time-random'], 'process.mainModule': ['runtime'],
  'process.getBuiltinModule': ['runtime'],
  'process.env': ['env'], crypto: ['time-random'],
};

export function globalCategories(cap: string): Category[] {
  if (cap === 'process.env' || cap.startsWith('process.env.')) return ['env'];
  const direct = own(GLOBAL_CATEGORY, cap);
  if (direct) return direct;
  const root = cap.split('.')[0] ?? '';
  if (root === 'window' || root === 'self' || root === 'navigator') {
    const rest = cap.slice(root.length + 1);
    const viaWindow = own(GLOBAL_CATEGORY, rest);
    if (viaWindow) return viaWindow;
    if (rest === 'sendBeacon' || cap === 'navigator.sendBeacon') return ['network'];
  }
  return own(GLOBAL_CATEGORY, root) ?? [];
}

/** The categories a policy entry (plus analysis warnings) falls into. */
export function entryCategories(entry: PackagePolicy, dynamicCode = false): Category[] {
  const out = new Set<Category>();
  for (const b of entry.builtins ?? []) for (const c of builtinCategories(b)) out.add(c);
  for (const g of entry.globals ?? []) for (const c of globalCategories(g)) out.add(c);
  // Hosts or paths named for a package without such built-ins of its own (it connects through axios, fs-extra…).
  if (entry.net?.length) out.add('network');
  if (entry.fs?.read?.length) out.add('fs-read');
  if (entry.fs?.write?.length) out.add('fs-write');
  if (entry.native) out.add('native');
  if (entry.scripts) out.add('scripts');
  if (dynamicCode) out.add('dynamic-code');
  return (Object.keys(CATEGORIES) as Category[]).filter((c) => out.has(c));
}

/** The categories one capability key ("builtins:fs.readFile", "globals:fetch", "native") falls into. */
export function capabilityCategories(key: string): Category[] {
  const [field, cap = ''] = splitKey(key);
  if (field === 'builtins') return builtinCategories(cap);
  if (field === 'globals') return globalCategories(cap);
  if (field === 'net') return ['network'];
  if (field === 'fs.read') return ['fs-read'];
  if (field === 'fs.write') return ['fs-write'];
  if (field === 'native') return ['native'];
  if (field === 'scripts') return ['scripts'];
  return [];
}

export function splitKey(key: string): [string, string | undefined] {
  const i = key.indexOf(':');
  return i < 0 ? [key, undefined] : [key.slice(0, i), key.slice(i + 1)];
}
