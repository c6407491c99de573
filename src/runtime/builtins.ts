// Attenuated built-in modules: each contained package gets its own facade of a built-in holding only
// the exports it was granted; the others are stubs that throw a denial at the call site. Facades are
// per package, so one package patching "its" fs changes nothing for another.
import type { Monitor } from './denial.js';
import { isPlainData, protectShared } from './harden.js';
import { builtinGranted, builtinPartlyGranted, type PackageGrants } from './policy.js';

export interface FacadeHooks {
  /** Replacements for exports that must stay contained even when granted (module.createRequire, child_process.spawn…). */
  wrap(module: string, path: string, value: unknown): unknown;
}

function deniedFunction(monitor: Monitor, pkg: string, capability: string, real: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const stub = function (this: unknown, ...args: unknown[]) {
    monitor.deny({ package: pkg, kind: 'builtin', capability });
    // Only reached in warn mode: the call goes through.
    return new.target ? Reflect.construct(real, args, new.target) : Reflect.apply(real, this, args);
  };
  try {
    Object.defineProperty(stub, 'name', { value: real.name });
  } catch { /* name is cosmetic */ }
  return stub;
}

/** An object that denies every use: reading it is fine, touching it throws. */
export function deniedObject(monitor: Monitor, pkg: string, capability: string, kind: 'builtin' | 'global', real: object): object {
  const deny = () => monitor.deny({ package: pkg, kind, capability });
  const target = typeof real === 'function' ? function () {} : {};
  return new Proxy(target, {
    get: (_t, key) => { deny(); return Reflect.get(real, key); },
    set: (_t, key, v) => { deny(); return Reflect.set(real, key, v); },
    has: (_t, key) => { deny(); return Reflect.has(real, key); },
    ownKeys: () => { deny(); return Reflect.ownKeys(real).filter((k) => !Reflect.getOwnPropertyDescriptor(target, k) || Reflect.getOwnPropertyDescriptor(target, k)?.configurable); },
    getOwnPropertyDescriptor: (_t, key) => { deny(); const d = Reflect.getOwnPropertyDescriptor(real, key); if (d) d.configurable = true; return d; },
    defineProperty: (_t, key, d) => { deny(); return Reflect.defineProperty(real, key, d); },
    deleteProperty: (_t, key) => { deny(); return Reflect.deleteProperty(real, key); },
    apply: (_t, self, args) => { deny(); return Reflect.apply(real as (...a: unknown[]) => unknown, self, args); },
    construct: (_t, args) => { deny(); return Reflect.construct(real as new (...a: unknown[]) => object, args); },
    getPrototypeOf: () => { deny(); return Reflect.getPrototypeOf(real); },
  });
}

/**
 * The facade of a module that is itself a function (events, stream, assert, module): calling or
 * extending it needs the whole module; its prototype is the real one, so subclasses and instanceof work.
 */
function callableFacade(real: (...a: unknown[]) => unknown, whole: boolean, module: string, pkg: string, monitor: Monitor): (...a: unknown[]) => unknown {
  const shared = protectShared(real);
  const facade = function (this: unknown, ...args: unknown[]): unknown {
    if (!whole) monitor.deny({ package: pkg, kind: 'builtin', capability: module });
    if (new.target === undefined) return Reflect.apply(shared, this, args);
    return Reflect.construct(shared, args, new.target === facade ? shared : new.target);
  };
  Object.defineProperty(facade, 'prototype', { value: shared.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(facade, 'name', { value: shared.name, configurable: true });
  Object.defineProperty(facade, 'length', { value: shared.length, configurable: true });
  return facade;
}

/**
 * Builds the facade of `real` (a built-in module's exports, or a namespace inside it such as fs.promises)
 * for one package. `prefix` is the export path of `real` inside the module ("" at the top).
 */
export function builtinFacade(real: object, module: string, grants: PackageGrants, monitor: Monitor, hooks: FacadeHooks, prefix = ''): Record<PropertyKey, unknown> {
  const whole = builtinGranted(grants, module, prefix);
  const facade = (typeof real === 'function' ? callableFacade(real as (...a: unknown[]) => unknown, whole, module, grants.name, monitor) : {}) as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(real)) {
    if (typeof real === 'function' && (key === 'prototype' || key === 'name' || key === 'length')) continue;
    if (typeof key === 'symbol') {
      const d = Object.getOwnPropertyDescriptor(real, key);
      if (d) Object.defineProperty(facade, key, { ...d, configurable: true });
      continue;
    }
    if (key === 'default') continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const capability = `${module}.${path}`;
    const desc = Object.getOwnPropertyDescriptor(real, key);
    if (!desc) continue;
    // Values are resolved lazily: some exports (fs.promises) are getters with side effects.
    let cached: { v: unknown } | null = null;
    const resolveValue = (): unknown => {
      if (cached) return cached.v;
      const value: unknown = 'value' in desc ? desc.value : desc.get?.call(real);
      let out: unknown;
      if (whole || builtinGranted(grants, module, path)) {
        out = hooks.wrap(module, path, typeof value === 'function' ? protectShared(value) : value);
      } else if (value !== null && typeof value === 'object' && builtinPartlyGranted(grants, module, path)) {
        out = builtinFacade(value, module, grants, monitor, hooks, path);
      } else if (typeof value === 'function') {
        out = deniedFunction(monitor, grants.name, capability, protectShared(value) as (...a: unknown[]) => unknown);
      } else if (value === null || typeof value !== 'object' || isPlainData(value)) {
        out = value !== null && typeof value === 'object' ? Object.freeze(structuredClone(value)) : value;
      } else {
        out = deniedObject(monitor, grants.name, capability, 'builtin', value);
      }
      cached = { v: out };
      return out;
    };
    Object.defineProperty(facade, key, {
      get: resolveValue,
      set(v: unknown) { cached = { v }; },
      enumerable: desc.enumerable ?? true,
      configurable: true,
    });
  }
  return facade;
}
