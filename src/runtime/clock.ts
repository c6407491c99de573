// The clock and the random source for packages that were not granted them: Date still parses and
// formats given times, Math still computes, but reading the current time or a random number is a
// denial that says how to grant it (SES's tamed versions would throw a message that does not).
import type { Monitor } from './denial.js';

export function deniedDate(real: DateConstructor, pkg: string, monitor: Monitor): DateConstructor {
  const deny = () => monitor.deny({ package: pkg, kind: 'global', capability: 'Date.now' });
  const PackageDate = function Date(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) {
      deny();
      return real();
    }
    if (args.length === 0) deny();
    return Reflect.construct(real, args, new.target === PackageDate ? real : new.target);
  } as unknown as DateConstructor;
  Object.defineProperty(PackageDate, 'prototype', { value: real.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(PackageDate, 'now', { value: function now() { deny(); return real.now(); }, writable: true, configurable: true });
  Object.defineProperty(PackageDate, 'parse', { value: real.parse, writable: true, configurable: true });
  Object.defineProperty(PackageDate, 'UTC', { value: real.UTC, writable: true, configurable: true });
  return PackageDate;
}

export function deniedMath(real: Math, pkg: string, monitor: Monitor): Math {
  const copy: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(real)) {
    const desc = Object.getOwnPropertyDescriptor(real, key);
    // Math is frozen; the package's copy is its own, so its properties may stay configurable.
    if (desc) Object.defineProperty(copy, key, 'value' in desc ? { value: desc.value, writable: true, enumerable: desc.enumerable, configurable: true } : { ...desc, configurable: true });
  }
  Object.defineProperty(copy, 'random', {
    value: function random() {
      monitor.deny({ package: pkg, kind: 'global', capability: 'Math.random' });
      return real.random();
    },
    writable: true,
    configurable: true,
  });
  return copy as unknown as Math;
}
