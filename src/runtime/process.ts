// The per-package `process`: only granted properties, and an env view that shows only granted keys.
import type { Monitor } from './denial.js';
import { globalGranted, type PackageGrants } from './policy.js';

export function envView(env: NodeJS.ProcessEnv, grants: PackageGrants, monitor: Monitor): NodeJS.ProcessEnv {
  const granted = (key: string) => grants.envAll || grants.envKeys.has(key);
  const refuse = (key: string, verb: string) => {
    monitor.deny({ package: grants.name, kind: 'env', capability: `process.env.${key}`, detail: verb });
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
      return Object.keys(env).filter(granted);
    },
    getOwnPropertyDescriptor(_t, key) {
      if (typeof key !== 'string' || !granted(key) || !(key in env)) return undefined;
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

/** Every property name of the real process, own and inherited (on, emit, nextTick …). */
function processKeys(real: NodeJS.Process): string[] {
  const keys = new Set<string>();
  for (let o: object | null = real; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) keys.add(k);
  }
  keys.delete('constructor');
  return [...keys];
}

// Members that reach past the process into Node itself: granted only by name, never by "process".
const EXPLICIT_ONLY = new Set(['binding', '_linkedBinding', 'dlopen', 'mainModule', 'reallyExit', '_kill', '_debugProcess', '_debugEnd', 'openStdin']);

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

export function processFacade(real: NodeJS.Process, grants: PackageGrants, monitor: Monitor, builtin: (module: string) => unknown): NodeJS.Process {
  const facade: Record<string, unknown> = {};
  const bound = new Map<string, { from: unknown; to: unknown }>();
  const env = envView(real.env, grants, monitor);
  for (const key of processKeys(real)) {
    if (key === 'env') continue;
    const cap = `process.${key}`;
    const granted = EXPLICIT_ONLY.has(key) || key.startsWith('_') ? grants.globals.has(cap) : globalGranted(grants, cap);
    Object.defineProperty(facade, key, {
      get() {
        if (!granted) monitor.deny({ package: grants.name, kind: 'global', capability: cap });
        if (key === 'getBuiltinModule') {
          // Loading a built-in this way gives the package's facade, exactly like require().
          return (id: string) => builtin(String(id).replace(/^node:/, ''));
        }
        const value = (real as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'function') return value;
        const hit = bound.get(key);
        if (hit?.from === value) return hit.to;
        const to = boundWithProperties(value as (...a: unknown[]) => unknown, real);
        bound.set(key, { from: value, to });
        return to;
      },
      set(value: unknown) {
        if (!granted) monitor.deny({ package: grants.name, kind: 'global', capability: cap });
        Object.defineProperty(facade, key, { value, writable: true, enumerable: true, configurable: true });
      },
      enumerable: Object.prototype.propertyIsEnumerable.call(real, key),
      configurable: true,
    });
  }
  Object.defineProperty(facade, 'env', { value: env, writable: true, enumerable: true, configurable: true });
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
  for (const key of processKeys(real)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(key)) continue;
    const cap = `process.${key}`;
    const granted = key === 'env' || (EXPLICIT_ONLY.has(key) || key.startsWith('_') ? grants.globals.has(cap) : globalGranted(grants, cap));
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
