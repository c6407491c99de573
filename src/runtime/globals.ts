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

interface GlobalState {
  grants: PackageGrants;
  monitor: Monitor;
  /** First segments of granted paths below a global ("performance" for "performance.now"). */
  partly: ReadonlySet<string>;
}

/**
 * Fills the compartment globals of every package of one runtime. What does not depend on the package
 * is worked out once: the real values of intrinsics and inert host objects, and the accessors of host
 * globals that deny, which are shared (and frozen) and find the package from the global they are read on.
 */
export class GlobalsFactory {
  private readonly states = new WeakMap<object, GlobalState>();
  private readonly ambientValues = new Map<string, unknown>();
  private shared: { intrinsics: [string, unknown][]; ambient: PropertyDescriptorMap; host: PropertyDescriptorMap; names: Set<string> } | null = null;

  constructor(private readonly real: RealGlobals) {}

  /** The package state of a global object (or of an object that inherits from one). */
  private stateOf(receiver: unknown): GlobalState | undefined {
    let o = receiver;
    for (let depth = 0; depth < 64 && o !== null && (typeof o === 'object' || typeof o === 'function'); depth++) {
      const s = this.states.get(o as object);
      if (s) return s;
      o = Object.getPrototypeOf(o);
    }
    return undefined;
  }

  /** Read lazily: several of Node's web globals load their implementation on first read (fetch's, streams). */
  private ambientValue(name: string): unknown {
    if (this.ambientValues.has(name)) return this.ambientValues.get(name);
    const value = protectShared((this.real.global as unknown as Record<string, unknown>)[name]);
    this.ambientValues.set(name, value);
    return value;
  }

  private build(g: Record<string, unknown>): NonNullable<GlobalsFactory['shared']> {
    const real = this.real.global as unknown as Record<string, unknown>;
    const factory = this;
    // Intrinsics a compartment lacks (SES leaves out Intl and WebAssembly; Node 24 adds Float16Array,
    // SuppressedError, DisposableStack…): the real ones, frozen, since every package shares them.
    const intrinsics: [string, unknown][] = [];
    for (const name of INTRINSICS) {
      if (SKIP.has(name) || Object.prototype.hasOwnProperty.call(g, name) || !(name in real)) continue;
      const value = real[name];
      if (typeof value === 'function') intrinsics.push([name, protectShared(value)]);
      else if (value && typeof value === 'object') {
        for (const key of Reflect.ownKeys(value)) {
          const member = (value as Record<PropertyKey, unknown>)[key];
          if (typeof member === 'function') protectShared(member);
        }
        intrinsics.push([name, Object.freeze(value)]);
      } else intrinsics.push([name, value]);
    }
    const names = new Set<string>(['global', 'globalThis', 'console', 'process', 'Date', 'Math', 'Error']);
    for (const [name] of intrinsics) names.add(name);
    const ambient: PropertyDescriptorMap = Object.create(null) as PropertyDescriptorMap;
    for (const name of AMBIENT) {
      if (SKIP.has(name) || name === 'console' || !(name in real)) continue;
      names.add(name);
      const accessors = {
        get(this: object): unknown {
          const value = factory.ambientValue(name);
          // From now on a plain data property, as on the real global.
          try {
            Object.defineProperty(this, name, { value, writable: true, enumerable: false, configurable: true });
          } catch { /* a receiver that cannot take it */ }
          return value;
        },
        set(this: object, value: unknown): void {
          Object.defineProperty(this, name, { value, writable: true, enumerable: false, configurable: true });
        },
      };
      ambient[name] = { get: Object.freeze(accessors.get), set: Object.freeze(accessors.set), enumerable: false, configurable: true };
    }
    const host: PropertyDescriptorMap = Object.create(null) as PropertyDescriptorMap;
    for (const name of Object.getOwnPropertyNames(real)) {
      if (SKIP.has(name) || names.has(name) || name in g || name.startsWith('__packsec')) continue;
      const desc = Object.getOwnPropertyDescriptor(real, name);
      if (!desc) continue;
      const read = (): unknown => ('value' in desc ? desc.value : desc.get?.call(real));
      const accessors = {
        get(this: object): unknown {
          const s = factory.stateOf(this);
          if (!s) throw new TypeError(`Illegal invocation of the global ${name}`);
          const v = read();
          if (s.partly.has(name) && v && typeof v === 'object') return partialView(v, name, s.grants, s.monitor);
          if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
            s.monitor.deny({ package: s.grants.name, kind: 'global', capability: name });
            return v;
          }
          return s.monitor.warn ? v : deniedObject(s.monitor, s.grants.name, name, 'global', v);
        },
        // Assigning a global (a polyfill) gives the package its own value, shared with nobody.
        set(this: object, value: unknown): void {
          Object.defineProperty(this, name, { value, writable: true, enumerable: false, configurable: true });
        },
      };
      host[name] = { get: Object.freeze(accessors.get), set: Object.freeze(accessors.set), enumerable: false, configurable: true };
      names.add(name);
    }
    return { intrinsics, ambient, host, names };
  }

  /** Fills a compartment's globalThis for one package. */
  populate(g: Record<string, unknown>, grants: PackageGrants, monitor: Monitor, builtin: (module: string) => unknown, guard?: (name: string, value: unknown) => unknown): void {
    const real = this.real;
    const define = (name: string, value: unknown) => Object.defineProperty(g, name, { value, writable: true, enumerable: false, configurable: true });
    const shared = (this.shared ??= this.build(g));
    const partly = new Set<string>();
    for (const path of grants.globals) {
      const dot = path.indexOf('.');
      if (dot > 0) partly.add(path.slice(0, dot));
    }
    this.states.set(g, { grants, monitor, partly });
    define('global', g);
    define('globalThis', g);
    define('console', consoleFacade(real.console));
    for (const [name, value] of shared.intrinsics) define(name, value);
    Object.defineProperties(g, shared.ambient);
    define('process', processFacade(real.process, grants, monitor, builtin));
    const clock = globalGranted(grants, 'Date.now') || globalGranted(grants, 'Date');
    define('Date', clock ? real.Date : deniedDate(real.Date, grants.name, monitor));
    const random = globalGranted(grants, 'Math.random') || globalGranted(grants, 'Math');
    define('Math', random ? real.Math : deniedMath(real.Math, grants.name, monitor));
    define('Error', packageError(g.Error as ErrorConstructor, real.Error));
    Object.defineProperties(g, shared.host);

    // Granted globals: the real value, read when used (also one the app set after start-up).
    for (const path of grants.globals) {
      const dot = path.indexOf('.');
      const name = dot > 0 ? path.slice(0, dot) : path;
      if (dot > 0 || SKIP.has(name) || name.startsWith('__packsec') || !Object.prototype.hasOwnProperty.call(real.global, name)) continue;
      if (!shared.host[name] && (shared.names.has(name) || name in g)) continue;
      const desc = Object.getOwnPropertyDescriptor(real.global, name);
      if (!desc) continue;
      const read = (): unknown => ('value' in desc ? desc.value : desc.get?.call(real.global));
      Object.defineProperty(g, name, {
        get() {
          const v = read();
          const guarded = guard?.(name, v);
          if (guarded !== undefined) return guarded;
          return typeof v === 'function' ? protectShared(v) : v && typeof v === 'object' ? readOnlyView(v) : v;
        },
        set(v: unknown) { define(name, v); },
        enumerable: false,
        configurable: true,
      });
    }
  }
}
