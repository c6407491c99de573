// What another package sees of a package's exports: a read-only view, like an ES module namespace.
// Methods of an exported instance (an emitter, a logger) are bound to the real instance, so calling
// them still updates its state; replacing, adding or deleting properties through the view is denied.
import type { Monitor } from './denial.js';

const views = new WeakMap<object, Map<string, object>>();

export function exportsView(exports: unknown, owner: string, viewer: string, monitor: Monitor): unknown {
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return exports;
  const target = exports as object;
  let byViewer = views.get(target);
  if (!byViewer) {
    byViewer = new Map();
    views.set(target, byViewer);
  }
  const cached = byViewer.get(viewer);
  if (cached) return cached;
  // In enforce mode deny() throws; in warn mode it records and the change goes through.
  const check = (key: PropertyKey): void => {
    monitor.deny({ package: viewer, kind: 'tamper', capability: `exports of ${owner}`, detail: `${JSON.stringify(String(key))} in the exports of package ${JSON.stringify(owner)}` });
  };
  const proto = Object.getPrototypeOf(target);
  const isInstance = typeof target === 'object' && proto !== Object.prototype && proto !== null && !Array.isArray(target);
  const bound = new Map<PropertyKey, { from: unknown; to: unknown }>();
  const view = new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key, t);
      if (!isInstance || typeof value !== 'function' || Object.prototype.hasOwnProperty.call(value, 'prototype')) return value;
      const hit = bound.get(key);
      if (hit && hit.from === value) return hit.to;
      const to = (value as (...a: unknown[]) => unknown).bind(t);
      bound.set(key, { from: value, to });
      return to;
    },
    set(t, key, value) {
      check(key);
      return Reflect.set(t, key, value);
    },
    defineProperty(t, key, d) {
      check(key);
      return Reflect.defineProperty(t, key, d);
    },
    deleteProperty(t, key) {
      check(key);
      return Reflect.deleteProperty(t, key);
    },
    setPrototypeOf(t, p) {
      check('[[Prototype]]');
      return Reflect.setPrototypeOf(t, p);
    },
    preventExtensions(t) {
      check('[[Extensible]]');
      return Reflect.preventExtensions(t);
    },
  });
  byViewer.set(viewer, view);
  return view;
}
