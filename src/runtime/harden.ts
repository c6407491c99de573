// Protecting values that several packages share (functions and classes of Node's built-ins, host
// globals): their own properties and their prototypes are frozen, so one package cannot rewrite what
// another one calls. Data properties of frozen prototypes become accessors that still let instances
// shadow them (the "override mistake" that SES's overrideTaming fixes for JavaScript's own intrinsics).

const protectedValues = new WeakSet<object>();

function isPrototypeObject(obj: object): boolean {
  const ctor = Object.getOwnPropertyDescriptor(obj, 'constructor');
  return ctor !== undefined && 'value' in ctor && typeof ctor.value === 'function' && (ctor.value as { prototype?: unknown }).prototype === obj;
}

// Values set on objects that carry a copy of an override accessor (merge-descriptors copies
// EventEmitter.prototype onto express's app): they cannot get an own data property, so they get this.
const overrides = new WeakMap<object, Map<PropertyKey, unknown>>();

/** Turns writable data properties into accessors that allow an inheriting object to set its own copy. */
function enableOverrides(proto: object): void {
  for (const key of Reflect.ownKeys(proto)) {
    const desc = Object.getOwnPropertyDescriptor(proto, key);
    if (!desc || !('value' in desc) || !desc.writable || !desc.configurable) continue;
    const value: unknown = desc.value;
    const enumerable = desc.enumerable;
    let copied = false;
    const getter = function (this: object) {
      if (copied && this !== proto) {
        const own = overrides.get(this);
        if (own?.has(key)) return own.get(key);
      }
      return value;
    };
    const setter = function (this: object, next: unknown) {
      if (this === proto) throw new TypeError(`Cannot assign to read only property '${String(key)}' of a shared built-in prototype`);
      const own = Object.getOwnPropertyDescriptor(this, key);
      if (!own || own.configurable) {
        Object.defineProperty(this, key, { value: next, writable: true, enumerable, configurable: true });
      } else if (own.set === setter) {
        let map = overrides.get(this);
        if (!map) overrides.set(this, (map = new Map()));
        map.set(key, next);
        copied = true;
      } else if ('value' in own && own.writable) {
        Object.defineProperty(this, key, { value: next });
      } else {
        throw new TypeError(`Cannot assign to read only property '${String(key)}'`);
      }
    };
    Object.defineProperty(proto, key, { get: getter, set: setter, enumerable, configurable: false });
  }
}

/**
 * Makes a shared object read-only. A prototype keeps its instances able to shadow its properties:
 * writable data properties become override accessors, and the few that cannot (writable but not
 * configurable, like EventEmitter.prototype[kCapture]) stay writable rather than break every instance.
 */
function freezeShallow(obj: object): void {
  if (protectedValues.has(obj) || Object.isFrozen(obj)) {
    protectedValues.add(obj);
    return;
  }
  protectedValues.add(obj);
  if (!isPrototypeObject(obj)) {
    Object.freeze(obj);
    return;
  }
  enableOverrides(obj);
  for (const key of Reflect.ownKeys(obj)) {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    if (!desc?.configurable) continue;
    Object.defineProperty(obj, key, 'value' in desc ? { configurable: false, writable: false } : { configurable: false });
  }
  Object.preventExtensions(obj);
}

/** Leaves a shared object alone: the app's own Error, whose stack-trace hooks must stay settable. */
export function exempt(value: object): void {
  protectedValues.add(value);
}

/**
 * Protects a function or class handed to a contained package: the function's own properties and its
 * prototype chain become read-only. Instances and plain objects are left alone (they hold live state).
 */
export function protectShared<T>(value: T): T {
  if (typeof value !== 'function' || protectedValues.has(value)) return value;
  try {
    freezeShallow(value);
    let proto: unknown = (value as { prototype?: unknown }).prototype;
    while (proto && typeof proto === 'object' && proto !== Object.prototype) {
      freezeShallow(proto);
      proto = Object.getPrototypeOf(proto);
    }
    let parent: unknown = Object.getPrototypeOf(value);
    while (typeof parent === 'function' && parent !== Function.prototype) {
      protectShared(parent);
      parent = Object.getPrototypeOf(parent);
    }
  } catch {
    // A value that refuses to be frozen (an exotic host object) stays as it is.
  }
  return value;
}

/** Plain data with no authority (numbers, strings, flags, nested data objects): safe to copy. */
export function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return true;
  if (typeof value === 'function' || depth > 2) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) return false;
  for (const key of Object.keys(value as object)) {
    const desc = Object.getOwnPropertyDescriptor(value, key);
    if (!desc || !('value' in desc) || !isPlainData(desc.value, depth + 1)) return false;
  }
  return true;
}
