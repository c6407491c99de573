// The per-package `process`: only granted properties, and an env view that shows only granted keys.
import type { Monitor } from './denial.js';
import { globalGranted, type PackageGrants } from './policy.js';

export function envView(env: NodeJS.ProcessEnv, grants: PackageGrants, monitor: Monitor): NodeJS.ProcessEnv {
  const granted = (key: string) => grants.envAll || grants.envKeys.has(key);
  const refuse = (key: string, verb: string) => {
    monitor.deny({ package: grants.name, kind: 'env', capability: `process.env.${key}`, detail: `${verb} process.env.${key}` });
  };
  return new Proxy({} as NodeJS.ProcessEnv, {
    get(_t, key) {
      if (typeof key === 'symbol') return undefined;
      if (granted(key)) return env[key];
      // Reading a key that was not granted behaves as if it were unset (and is reported).
      if (key in env) {
        monitor.record({ package: grants.name, kind: 'env', capability: `process.env.${key}` });
        if (monitor.warn) return env[key];
      }
      return undefined;
    },
    has(_t, key) {
      return typeof key === 'string' && granted(key) && key in env;
    },
    ownKeys() {
      const all = Object.keys(env);
      const shown = all.filter(granted);
      // Listing the environment (JSON.stringify(process.env), a spread) shows the granted keys only;
      // that the others were hidden is reported, as reading one of them is (crossenv posted them all).
      if (shown.length < all.length) {
        monitor.record({ package: grants.name, kind: 'env', capability: 'process.env', detail: `list every key of process.env (${all.length - shown.length} not granted, hidden)` });
        if (monitor.warn) return all;
      }
      return shown;
    },
    getOwnPropertyDescriptor(_t, key) {
      if (typeof key !== 'string' || !(key in env) || !(granted(key) || monitor.warn)) return undefined;
      return { value: env[key], writable: true, enumerable: true, configurable: true };
    },
    set(_t, key, value) {
      if (typeof key === 'symbol') return false;
      if (!granted(key)) refuse(key, 'set');
      env[key] = value;
      return true;
    },
    deleteProperty(_t, key) {
      if (typeof key === 'symbol') return false;
      if (!granted(key)) refuse(key, 'delete');
      delete env[key];
      return true;
    },
    defineProperty(_t, key) {
      refuse(String(key), 'define');
      return false;
    },
  });
}

/** Every property name of the real process, own and inherited (on, emit, nextTick …); read once. */
const keysOf = new WeakMap<object, string[]>();
function processKeys(real: NodeJS.Process): string[] {
  let out = keysOf.get(real);
  if (out) return out;
  const keys = new Set<string>();
  for (let o: object | null = real; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) keys.add(k);
  }
  keys.delete('constructor');
  keys.delete('env');
  out = [...keys];
  keysOf.set(real, out);
  return out;
}

// Members that reach past the process into Node itself: granted only by name, never by "process".
const EXPLICIT_ONLY = new Set(['binding', '_linkedBinding', 'dlopen', 'mainModule', 'reallyExit', '_kill', '_debugProcess', '_debugEnd', 'openStdin']);

function memberGranted(grants: PackageGrants, key: string): boolean {
  const cap = `process.${key}`;
  return EXPLICIT_ONLY.has(key) || key.startsWith('_') ? grants.globals.has(cap) : globalGranted(grants, cap);
}

/** A function bound to the real process, keeping its own properties (process.hrtime.bigint). */
function boundWithProperties(fn: (...a: unknown[]) => unknown, self: object): (...a: unknown[]) => unknown {
  const bound = fn.bind(self);
  for (const key of Reflect.ownKeys(fn)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    const desc = Object.getOwnPropertyDescriptor(fn, key);
    if (desc) Object.defineProperty(bound, key, desc);
  }
  return bound;
}

interface FacadeState {
  grants: PackageGrants;
  monitor: Monitor;
  builtin: (module: string) => unknown;
  granted: Map<string, boolean>;
  bound: Map<string, { from: unknown; to: unknown }>;
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * The accessors of every package's process facade: shared by all packages (and frozen), they find the
 * package from the facade they are read on, so making a facade does not make a closure per member.
 */
class ProcessAccessors {
  private readonly states = new WeakMap<object, FacadeState>();
  readonly descriptors: PropertyDescriptorMap = Object.create(null) as PropertyDescriptorMap;

  constructor(private readonly real: NodeJS.Process) {
    for (const key of processKeys(real)) this.descriptors[key] = this.descriptor(key);
  }

  register(facade: object, state: FacadeState): void {
    this.states.set(facade, state);
  }

  private stateOf(receiver: unknown): FacadeState {
    let o = receiver;
    for (let depth = 0; depth < 64 && o !== null && (typeof o === 'object' || typeof o === 'function'); depth++) {
      const s = this.states.get(o as object);
      if (s) return s;
      o = Object.getPrototypeOf(o);
    }
    throw new TypeError('Illegal invocation of a process member');
  }

  descriptor(key: string): PropertyDescriptor {
    const cap = `process.${key}`;
    const real = this.real;
    const self = this;
    const check = (s: FacadeState): void => {
      let granted = s.granted.get(key);
      if (granted === undefined) s.granted.set(key, (granted = memberGranted(s.grants, key)));
      if (!granted) s.monitor.deny({ package: s.grants.name, kind: 'global', capability: cap });
    };
    const accessors = {
      get(this: object): unknown {
        const s = self.stateOf(this);
        check(s);
        if (key === 'getBuiltinModule') {
          // Loading a built-in this way gives the package's facade, exactly like require().
          return (s.getBuiltinModule ??= (id: string) => s.builtin(String(id).replace(/^node:/, '')));
        }
        const value = (real as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'function') return value;
        const hit = s.bound.get(key);
        if (hit?.from === value) return hit.to;
        const to = boundWithProperties(value as (...a: unknown[]) => unknown, real);
        s.bound.set(key, { from: value, to });
        return to;
      },
      set(this: object, value: unknown): void {
        check(self.stateOf(this));
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
      },
    };
    return { get: Object.freeze(accessors.get), set: Object.freeze(accessors.set), enumerable: Object.prototype.propertyIsEnumerable.call(real, key), configurable: true };
  }
}

const accessorsOf = new WeakMap<object, ProcessAccessors>();

export function processFacade(real: NodeJS.Process, grants: PackageGrants, monitor: Monitor, builtin: (module: string) => unknown): NodeJS.Process {
  let accessors = accessorsOf.get(real);
  if (!accessors) accessorsOf.set(real, (accessors = new ProcessAccessors(real)));
  const facade: Record<string, unknown> = {};
  accessors.register(facade, { grants, monitor, builtin, granted: new Map(), bound: new Map() });
  Object.defineProperties(facade, accessors.descriptors);
  // A granted member the app added after start-up.
  for (const path of grants.globals) {
    if (!path.startsWith('process.')) continue;
    const key = path.slice('process.'.length).split('.')[0]!;
    if (key !== 'env' && !(key in accessors.descriptors) && key in real) Object.defineProperty(facade, key, accessors.descriptor(key));
  }
  Object.defineProperty(facade, 'env', { value: envView(real.env, grants, monitor), writable: true, enumerable: true, configurable: true });
  Object.defineProperty(facade, Symbol.toStringTag, { value: 'process', configurable: true });
  return facade as unknown as NodeJS.Process;
}

/**
 * The named exports of `node:process` for a package's ES modules: ESM binds every name when the
 * module is evaluated, so ungranted members must not deny merely by being exported. Functions deny
 * when called; other ungranted values read as undefined.
 */
export function processExports(facade: NodeJS.Process, real: NodeJS.Process, grants: PackageGrants, monitor: Monitor): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['env', ...processKeys(real)]) {
    if (!/^[A-Za-z_$][\w$]*$/.test(key)) continue;
    const cap = `process.${key}`;
    const granted = key === 'env' || memberGranted(grants, key);
    if (granted) {
      out[key] = (facade as unknown as Record<string, unknown>)[key];
      continue;
    }
    const value = (real as unknown as Record<string, unknown>)[key];
    out[key] = typeof value === 'function'
      ? (...args: unknown[]) => {
        monitor.deny({ package: grants.name, kind: 'global', capability: cap });
        return (value as (...a: unknown[]) => unknown).apply(real, args);
      }
      : undefined;
  }
  return out;
}
