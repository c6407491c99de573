// Gates on Node's shared prototypes: methods and constructors that packages reach through the objects
// they are given (a socket's `connect`, a stream's constructor) rather than through their facades.
// A gate is checked when called; a method gate also remembers who read it, so a package that takes
// `socket.connect` and has it run later, with none of its code on the stack, is still charged for it.
import type { GrantKind, Reach } from './reach.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Replaces `target[key]` (a method) with an accessor. Reading it gives a function that checks each
 * call (`make(readers)`, where `readers` are the restricted packages on the stack when it was read, or
 * null); the app may still replace it (monitoring tools wrap `connect`), a package may not, and an
 * instance may shadow it with its own.
 */
export function gateMethod(reach: Reach, kind: GrantKind, target: object, key: PropertyKey, make: (original: Fn, readers: readonly string[] | null) => Fn): void {
  const desc = Object.getOwnPropertyDescriptor(target, key);
  if (!desc || typeof desc.value !== 'function' || !desc.configurable) return;
  let current = desc.value as Fn;
  let shared = make(current, null);
  const byReaders = new Map<string, Fn>();
  const get = function (this: unknown): Fn {
    if (!reach.live(kind)) return shared;
    const readers = reach.owners(kind, null, get, null).owners;
    if (!readers.length) return shared;
    const k = readers.join('\0');
    let fn = byReaders.get(k);
    if (!fn) {
      fn = make(current, readers);
      byReaders.set(k, fn);
    }
    return fn;
  };
  const set = function (this: unknown, value: unknown): void {
    if (this !== target) {
      Object.defineProperty(this, key, { value, writable: true, enumerable: desc.enumerable ?? false, configurable: true });
      return;
    }
    if (reach.attribution(set).packages.length) throw new TypeError(`Cannot assign to read only property '${String(key)}' of a shared built-in prototype`);
    if (typeof value !== 'function') throw new TypeError(`packsec: ${String(key)} must stay a function`);
    current = value as Fn;
    shared = make(current, null);
    byReaders.clear();
  };
  Object.defineProperty(target, key, { get, set, enumerable: desc.enumerable ?? false, configurable: false });
}

/**
 * A constructor in front of `Real` that checks its arguments first (`check` may also rewrite them);
 * `new`, plain calls (old-style subclasses call it on `this`) and `instanceof` behave as with the real one.
 */
export function gatedConstructor(Real: Function, check: (args: unknown[], self: Function) => unknown[]): Function {
  const R = Real as unknown as new (...a: unknown[]) => object;
  const gated = function (this: unknown, ...args: unknown[]): unknown {
    const checked = check(args, gated);
    if (new.target) return Reflect.construct(R, checked, new.target === gated ? R : new.target);
    if (this instanceof R) return Reflect.apply(R as unknown as Fn, this, checked);
    return Reflect.construct(R, checked, R);
  };
  Object.defineProperty(gated, 'prototype', { value: Real.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(gated, 'name', { value: Real.name, configurable: true });
  Object.defineProperty(gated, 'length', { value: Real.length, configurable: true });
  Object.setPrototypeOf(gated, Object.getPrototypeOf(Real));
  for (const k of Reflect.ownKeys(Real)) {
    if (k === 'prototype' || k === 'name' || k === 'length' || k === 'arguments' || k === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(Real, k);
    if (d) Object.defineProperty(gated, k, d);
  }
  return gated;
}

/** Makes `Real.prototype.constructor` a gate, so an instance does not lead to the unchecked class. */
export function gateConstructorOf(Real: Function, gated: Function): void {
  const proto = Real.prototype as object | undefined;
  if (!proto) return;
  const d = Object.getOwnPropertyDescriptor(proto, 'constructor');
  if (d && !d.configurable) return;
  Object.defineProperty(proto, 'constructor', { value: gated, writable: true, enumerable: false, configurable: true });
}

/** A function wrapper that keeps the wrapped function's name and length (some libraries read them). */
export function named<T extends Fn>(fn: T, like: Function): T {
  try {
    Object.defineProperty(fn, 'name', { value: like.name, configurable: true });
    Object.defineProperty(fn, 'length', { value: like.length, configurable: true });
  } catch { /* cosmetic */ }
  return fn;
}
