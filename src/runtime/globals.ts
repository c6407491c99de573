// The global object of one package's compartment: JavaScript's intrinsics (SES provides them, with
// the clock and the random source tamed), inert host objects, and only the globals the policy grants.
// Everything else the real global has is present as a stand-in that throws a denial when used.
import { AMBIENT, INTRINSICS } from '../policy/index.js';
import { deniedObject } from './builtins.js';
import type { Monitor } from './denial.js';
import { protectShared } from './harden.js';
import { globalGranted, type PackageGrants } from './policy.js';
import { processFacade } from './process.js';
import { packageError } from './stack.js';
import { deniedDate, deniedMath } from './clock.js';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'dirxml', 'table', 'time', 'timeEnd', 'timeLog', 'assert', 'count', 'countReset', 'group', 'groupEnd', 'groupCollapsed'];
// Names the runtime never copies from the real global.
const SKIP = new Set(['process', 'global', 'globalThis', 'Date', 'Math', 'Error', 'eval', 'Function', 'Compartment', 'lockdown', 'harden', 'assert', 'require', 'module', 'exports', '__filename', '__dirname']);

export interface RealGlobals {
  global: typeof globalThis;
  console: Console;
  Date: DateConstructor;
  Math: Math;
  Error: ErrorConstructor;
  process: NodeJS.Process;
}

/** A read-only view of a shared host object: reads go through (methods bound to it), writes fail. */
function readOnlyView(real: object, bindTo: object = real): object {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(real, {
    get(target, key) {
      const v = Reflect.get(target, key, bindTo);
      if (typeof v !== 'function') return v;
      let b = bound.get(key);
      if (!b) {
        b = (v as (...a: unknown[]) => unknown).bind(bindTo);
        bound.set(key, b);
      }
      return b;
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
}

/** A view of a host object (performance, crypto, navigator) with only some properties granted. */
function partialView(real: object, root: string, grants: PackageGrants, monitor: Monitor): object {
  const view = readOnlyView(real);
  return new Proxy(view, {
    get(target, key) {
      if (typeof key === 'string' && !globalGranted(grants, `${root}.${key}`)) {
        monitor.deny({ package: grants.name, kind: 'global', capability: `${root}.${key}` });
      }
      return Reflect.get(target, key);
    },
  });
}

export function consoleFacade(real: Console): Console {
  const facade: Record<string, unknown> = {};
  for (const m of CONSOLE_METHODS) {
    const fn = (real as unknown as Record<string, unknown>)[m];
    if (typeof fn === 'function') facade[m] = (fn as (...a: unknown[]) => unknown).bind(real);
  }
  return facade as unknown as Console;
}

/** Fills a compartment's globalThis for one package. */
export function populateGlobals(g: Record<string, unknown>, grants: PackageGrants, monitor: Monitor, real: RealGlobals, builtin: (module: string) => unknown): void {
  const define = (name: string, value: unknown) => Object.defineProperty(g, name, { value, writable: true, enumerable: false, configurable: true });
  define('global', g);
  define('globalThis', g);
  define('console', consoleFacade(real.console));
  // Intrinsics a compartment lacks (SES leaves out Intl and WebAssembly; Node 24 adds Float16Array,
  // SuppressedError, DisposableStack…): the real ones, frozen, since every package shares them.
  for (const name of INTRINSICS) {
    if (SKIP.has(name) || Object.prototype.hasOwnProperty.call(g, name) || !(name in real.global)) continue;
    const value = (real.global as unknown as Record<string, unknown>)[name];
    if (typeof value === 'function') define(name, protectShared(value));
    else if (value && typeof value === 'object') {
      for (const key of Reflect.ownKeys(value)) {
        const member = (value as Record<PropertyKey, unknown>)[key];
        if (typeof member === 'function') protectShared(member);
      }
      define(name, Object.freeze(value));
    } else define(name, value);
  }
  for (const name of AMBIENT) {
    if (SKIP.has(name) || name === 'console' || !(name in real.global)) continue;
    define(name, protectShared((real.global as unknown as Record<string, unknown>)[name]));
  }
  define('process', processFacade(real.process, grants, monitor, builtin));
  const clock = globalGranted(grants, 'Date.now') || globalGranted(grants, 'Date');
  define('Date', clock ? real.Date : deniedDate(real.Date, grants.name, monitor));
  const random = globalGranted(grants, 'Math.random') || globalGranted(grants, 'Math');
  define('Math', random ? real.Math : deniedMath(real.Math, grants.name, monitor));
  define('Error', packageError(g.Error as ErrorConstructor, real.Error));

  for (const name of Object.getOwnPropertyNames(real.global)) {
    if (SKIP.has(name) || name in g || name.startsWith('__packsec')) continue;
    const desc = Object.getOwnPropertyDescriptor(real.global, name);
    if (!desc) continue;
    const read = (): unknown => ('value' in desc ? desc.value : desc.get?.call(real.global));
    if (globalGranted(grants, name)) {
      Object.defineProperty(g, name, {
        get() {
          const v = read();
          return typeof v === 'function' ? protectShared(v) : v && typeof v === 'object' ? readOnlyView(v) : v;
        },
        set(v: unknown) { define(name, v); },
        enumerable: false,
        configurable: true,
      });
      continue;
    }
    const partly = [...grants.globals].some((p) => p.startsWith(name + '.'));
    Object.defineProperty(g, name, {
      get() {
        const v = read();
        if (partly && v && typeof v === 'object') return partialView(v, name, grants, monitor);
        if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
          monitor.deny({ package: grants.name, kind: 'global', capability: name });
          return v;
        }
        return monitor.warn ? v : deniedObject(monitor, grants.name, name, 'global', v);
      },
      // Assigning a global (a polyfill) gives the package its own value, shared with nobody.
      set(v: unknown) { define(name, v); },
      enumerable: false,
      configurable: true,
    });
  }
}
