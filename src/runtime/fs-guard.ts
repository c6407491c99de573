// File paths at run time: every fs entry point a contained package reaches is checked against the `fs`
// grants of the packages it is charged to (reach.ts): paths (strings, Buffers, file: URLs; relative
// ones against the working folder, and passed on absolute so a later chdir cannot change them), both
// ends of rename, copy, link and symlink, open flags (a write flag needs write access), and file
// descriptors (a restricted package may use only those it opened). Streams get an fs of their own
// instead of the real module, which Node otherwise hands out on every stream (its kFs symbol), and the
// classes that instances lead back to (ReadStream, WriteStream, Utf8Stream) check what they open.
// packsec's own loader never goes through any of this: only packages' facades and those shared classes do.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FS_CALLS as SPECS, FS_PASS as PASS, FS_STREAMS as STREAMS, flagsAccess, type FsCall as Spec } from '../policy/index.js';
import { gatedConstructor, gateConstructorOf, gateMethod, named } from './gates.js';
import { absolute, type Access, type GateInfo, type Reach } from './reach.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Options = Record<string, unknown>;
type Charge = { owners: string[]; unattributed: boolean };

const nodeRequire = createRequire(import.meta.url);
const NONE: GateInfo = { expected: [] };
const STREAM_GATE: GateInfo = { expected: ['node:internal/fs/streams', 'node:internal/fs/utils'] };
const WATCH_GATE: GateInfo = { expected: ['node:fs', 'node:internal/fs/watchers', 'node:internal/fs/recursive_watch'] };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * An fs path argument as one absolute string (null when it is not a path: a descriptor, a FileHandle,
 * a wrong type Node will refuse; undefined when it cannot be checked, such as bytes that are not UTF-8).
 */
export function pathOf(v: unknown): string | null | undefined {
  if (typeof v === 'string') return absolute(v);
  if (v instanceof Uint8Array) {
    try {
      return absolute(decoder.decode(v));
    } catch {
      return undefined;
    }
  }
  if (v !== null && typeof v === 'object') {
    // What Node takes for a URL (its own isURL test): read once, and what was read is what is passed on.
    const u = v as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown };
    if (u.href && u.protocol && u.auth === undefined && u.path === undefined) {
      try {
        return fileURLToPath(String(u.href));
      } catch {
        return null;
      }
    }
  }
  return null;
}

function isObject(v: unknown): v is Options {
  return v !== null && typeof v === 'object';
}

export class FsGuard {
  private readonly fs = nodeRequire('node:fs') as typeof import('node:fs') & Record<string, unknown>;
  /** The real functions streams use, taken before anything (graceful-fs, a package) could replace them. */
  private readonly real: Record<'open' | 'read' | 'close' | 'write' | 'writev' | 'fsync', Fn>;
  private readonly gatedWatchers = new WeakSet<object>();

  constructor(
    private readonly reach: Reach,
    /** Whether the package has a built-in export granted (for what a stream's fs is used for directly). */
    private readonly granted: (name: string, capability: string) => boolean,
  ) {
    const f = this.fs as unknown as Record<string, Fn>;
    this.real = { open: f.open!, read: f.read!, close: f.close!, write: f.write!, writev: f.writev!, fsync: f.fsync! };
  }

  // ---------------------------------------------------------------- shared classes

  /**
   * Streams made by anyone (the app too) get a checked fs of their own, and the stream classes an
   * instance leads back to check what they open.
   */
  install(): void {
    const fs = this.fs as unknown as Record<string, unknown>;
    for (const [name, kind] of [['ReadStream', 'read'], ['WriteStream', 'write']] as const) {
      const Real = fs[name] as Function;
      const gated = gatedConstructor(Real, (args, self) => this.streamArgs(null, kind, args, self, STREAM_GATE));
      gateConstructorOf(Real, gated);
      // Setting these makes fs.createReadStream/createWriteStream construct through the gate as well.
      fs[name] = gated;
      fs[name === 'ReadStream' ? 'FileReadStream' : 'FileWriteStream'] = gated;
    }
    const Utf8 = fs.Utf8Stream as Function | undefined;
    if (typeof Utf8 === 'function') gateConstructorOf(Utf8, gatedConstructor(Utf8, (args, self) => this.utf8Args(null, args, self, NONE)));
  }

  // ---------------------------------------------------------------- facades

  /** The replacement for a granted export of fs or fs/promises, for package `holder`; undefined to keep it. */
  wrap(holder: string, module: string, path: string, value: unknown): unknown {
    const promises = module === 'fs/promises' || path.startsWith('promises.');
    const name = path.split('.').pop()!;
    if (module === 'fs' && path === 'promises' && isObject(value)) return this.namespace(holder, value);
    if (typeof value !== 'function' || PASS.has(name)) return undefined;
    const fn = value as Fn;
    if (!promises && STREAMS.has(name)) return this.streamExport(holder, name, fn);
    if (name === 'Utf8Stream') return gatedConstructor(fn, (args, self) => this.utf8Args(holder, args, self, null));
    if (name === 'glob' || name === 'globSync') return this.globWrapper(holder, fn);
    const spec = SPECS[name.replace(/Sync$/, '')];
    let wrapped = spec ? this.wrapper(holder, name, fn, spec, promises) : this.unchecked(holder, `${module}.${path}`, fn);
    if (!promises && (name === 'watch' || name === 'watchFile')) {
      const inner = wrapped;
      const guard = this;
      // What a watcher leads back to (its class's start, its handle's) is checked too.
      wrapped = named(function watch(this: unknown, ...args: unknown[]) {
        const w = inner.apply(this, args);
        guard.gateWatcher(w);
        return w;
      }, fn);
    }
    // realpath.native, exists[promisify.custom]…: the same checks.
    for (const k of Reflect.ownKeys(fn)) {
      if (k === 'length' || k === 'name' || k === 'prototype') continue;
      const v = (fn as unknown as Record<PropertyKey, unknown>)[k];
      const inner = typeof v === 'function' ? (spec ? this.wrapper(holder, name, v as Fn, spec, typeof k === 'symbol') : v) : v;
      try {
        Object.defineProperty(wrapped, k, { value: inner, writable: true, enumerable: false, configurable: true });
      } catch { /* keep going */ }
    }
    return wrapped;
  }

  private readonly namespaces = new Map<string, object>();

  private namespace(holder: string, real: Options): object {
    const hit = this.namespaces.get(holder);
    if (hit) return hit;
    const out: Options = {};
    for (const k of Object.keys(real)) out[k] = this.wrap(holder, 'fs/promises', k, real[k]) ?? real[k];
    const frozen = Object.freeze(out);
    this.namespaces.set(holder, frozen);
    return frozen;
  }

  /** The charge for a call: nobody when no restricted package can be involved. */
  private charge(holder: string | null, skip: Function, gate: GateInfo | null): Charge {
    if (!this.reach.fsActive) return { owners: [], unattributed: false };
    return this.reach.owners('fs', holder, skip, gate);
  }

  private wrapper(holder: string, name: string, fn: Fn, spec: Spec, promises: boolean): Fn {
    const reach = this.reach;
    const guard = this;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const charge = guard.charge(holder, wrapper, null);
      if (!charge.owners.length && !charge.unattributed) return fn.apply(this, args);
      const a = [...args];
      guard.checkArgs(charge, name, spec, a);
      if (spec.fd) {
        reach.allowFd(charge, a[spec.fd.i], spec.fd.access);
        if (spec.fd.close) reach.forgetFd(charge.owners, a[spec.fd.i]);
      }
      if (!spec.opens || promises) return fn.apply(this, a);
      const access = flagsAccess(a[1]);
      const last = a.length - 1;
      if (name.endsWith('Sync')) {
        const fd = fn.apply(this, a);
        reach.recordFd(charge.owners, fd, access);
        return fd;
      }
      const cb = a[last];
      if (typeof cb === 'function') {
        a[last] = function (this: unknown, err: unknown, fd: unknown) {
          if (!err) reach.recordFd(charge.owners, fd, access);
          return (cb as Fn).call(this, err, fd);
        };
      }
      return fn.apply(this, a);
    };
    return named(wrapper, fn);
  }

  /** Checks (and makes absolute) the path arguments of one call. */
  private checkArgs(charge: Charge, name: string, spec: Spec, a: unknown[]): void {
    for (const p of spec.paths ?? []) {
      const v = a[p.i];
      if (typeof v === 'number' && p.fd) {
        this.reach.allowFd(charge, v, p.access === 'flags' ? 'read' : p.access);
        continue;
      }
      let access: Access = p.access === 'flags' ? flagsAccess(a[1]) : p.access;
      // readFile(path, { flag: 'w+' }) truncates: the flag decides.
      const options = a[p.i + 1];
      if (isObject(options) && 'flag' in options && flagsAccess(options.flag) === 'write') access = 'write';
      if (p.targetOf !== undefined) {
        // symlink(target, path): a relative target is relative to the link's folder.
        const linkPath = pathOf(a[p.targetOf]);
        const t = typeof v === 'string' ? v : v instanceof Uint8Array ? (() => { try { return decoder.decode(v); } catch { return undefined; } })() : undefined;
        if (t === undefined) this.reach.refuseUncheckable(charge, `fs.${name}`, String(v));
        else if (linkPath) this.reach.judge(charge, this.reach.realTarget(t.startsWith('/') ? t : `${linkPath.slice(0, linkPath.lastIndexOf('/')) || '/'}/${t}`, true), access);
        continue;
      }
      const abs = pathOf(v);
      if (abs === null) continue;
      if (abs === undefined) {
        this.reach.refuseUncheckable(charge, `fs.${name}`, 'a path that is not UTF-8');
        continue;
      }
      a[p.i] = abs;
      this.reach.judge(charge, this.reach.realTarget(abs, p.follow), access);
    }
  }

  /** An fs export packsec does not know: a restricted package may not use it (its paths cannot be checked). */
  private unchecked(holder: string, capability: string, fn: Fn): Fn {
    const guard = this;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const charge = guard.charge(holder, wrapper, null);
      if (charge.owners.length || charge.unattributed) guard.reach.refuseUncheckable(charge, capability, 'its arguments');
      return fn.apply(this, args);
    };
    return named(wrapper, fn);
  }

  private globWrapper(holder: string, fn: Fn): Fn {
    const guard = this;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const charge = guard.charge(holder, wrapper, null);
      if (!charge.owners.length && !charge.unattributed) return fn.apply(this, args);
      const options = isObject(args[1]) && typeof args[1] !== 'function' ? args[1] : {};
      const cwd = pathOf(options.cwd ?? process.cwd()) ?? process.cwd();
      const patterns = Array.isArray(args[0]) ? args[0] : [args[0]];
      for (const pattern of patterns) {
        const text = String(pattern);
        if (text.split('/').includes('..')) {
          guard.reach.refuseUncheckable(charge, 'fs.glob', `the pattern ${JSON.stringify(text)}`);
          continue;
        }
        // The folder the pattern cannot leave: up to its first segment with a wildcard.
        const segments = text.split('/');
        const fixed: string[] = [];
        for (const s of segments) {
          if (/[*?[\]{}()!+@]/.test(s)) break;
          fixed.push(s);
        }
        const base = text.startsWith('/') ? fixed.join('/') || '/' : [cwd, ...fixed].join('/');
        guard.reach.judge(charge, guard.reach.realTarget(base, true), 'read');
      }
      return fn.apply(this, [args[0], { ...options, cwd }, ...args.slice(2)]);
    };
    return named(wrapper, fn);
  }

  // ---------------------------------------------------------------- other built-ins that open files

  /**
   * node:sqlite and node:wasi reach files without fs: a database file (and `backup`'s target), and a
   * WASI instance's preopened folders. The classes instances lead back to are gated as well.
   */
  wrapOther(holder: string, module: string, name: string, value: unknown): unknown {
    if (typeof value !== 'function') return undefined;
    const fn = value as Fn;
    if (module === 'sqlite' && name === 'DatabaseSync') return gatedConstructor(fn, (args, self) => this.databaseArgs(holder, args, self));
    if (module === 'sqlite' && name === 'backup') {
      const guard = this;
      const wrapper = function (this: unknown, ...args: unknown[]): unknown {
        const charge = guard.charge(holder, wrapper, null);
        if (charge.owners.length || charge.unattributed) {
          const abs = pathOf(args[1]);
          if (abs) {
            args = [args[0], abs, ...args.slice(2)];
            guard.reach.judge(charge, guard.reach.realTarget(abs, true), 'write');
          }
        }
        return fn.apply(this, args);
      };
      return named(wrapper, fn);
    }
    if (module === 'wasi' && name === 'WASI') return gatedConstructor(fn, (args, self) => this.wasiArgs(holder, args, self));
    return undefined;
  }

  /** Gates the classes of node:sqlite and node:wasi that instances lead back to, once, before any package gets them. */
  prepare(module: string, real: object): void {
    const r = real as Record<string, unknown>;
    if (module === 'sqlite' && typeof r.DatabaseSync === 'function') this.gateShared(r.DatabaseSync, (args, self) => this.databaseArgs(null, args, self));
    if (module === 'wasi' && typeof r.WASI === 'function') this.gateShared(r.WASI, (args, self) => this.wasiArgs(null, args, self));
  }

  private readonly gatedShared = new WeakSet<Function>();

  private gateShared(Real: Function, check: (args: unknown[], self: Function) => unknown[]): void {
    if (this.gatedShared.has(Real)) return;
    this.gatedShared.add(Real);
    gateConstructorOf(Real, gatedConstructor(Real, check));
  }

  private databaseArgs(holder: string | null, args: unknown[], skip: Function): unknown[] {
    const charge = this.charge(holder, skip, holder === null ? NONE : null);
    if (!charge.owners.length && !charge.unattributed) return args;
    const [location, options] = args;
    if (location === ':memory:' || location === '' || location === undefined) return args;
    const abs = pathOf(location);
    if (abs === undefined || abs === null) {
      this.reach.refuseUncheckable(charge, 'sqlite.DatabaseSync', 'this location');
      return args;
    }
    const readOnly = isObject(options) && options.readOnly === true;
    this.reach.judge(charge, this.reach.realTarget(abs, true), readOnly ? 'read' : 'write');
    return [abs, ...args.slice(1)];
  }

  private wasiArgs(holder: string | null, args: unknown[], skip: Function): unknown[] {
    const charge = this.charge(holder, skip, holder === null ? NONE : null);
    const o = args[0];
    if ((!charge.owners.length && !charge.unattributed) || !isObject(o) || !isObject(o.preopens)) return args;
    const preopens: Options = {};
    for (const [guest, host] of Object.entries(o.preopens)) {
      const abs = pathOf(host);
      if (abs === undefined || abs === null) this.reach.refuseUncheckable(charge, 'wasi.WASI', 'a preopened folder');
      else this.reach.judge(charge, this.reach.realTarget(abs, true), 'write');
      preopens[guest] = abs ?? host;
    }
    return [{ ...o, preopens }, ...args.slice(1)];
  }

  // ---------------------------------------------------------------- streams

  private streamExport(holder: string, name: string, fn: Fn): Fn {
    const kind: Access = name.includes('Read') ? 'read' : 'write';
    if (name.startsWith('create')) {
      const guard = this;
      const wrapper = function (this: unknown, ...args: unknown[]): unknown {
        return fn.apply(this, guard.streamArgs(holder, kind, args, wrapper, null));
      };
      return named(wrapper, fn);
    }
    return gatedConstructor(fn, (args, self) => this.streamArgs(holder, kind, args, self, null)) as Fn;
  }

  /**
   * Checks what a stream will open (its path, or the descriptor it is given) and gives it an fs of its
   * own that opens only after checking again (a stream's path can be changed before it opens) and
   * reads, writes and closes only the descriptors it opened.
   */
  private streamArgs(holder: string | null, kind: Access, args: unknown[], skip: Function, gate: GateInfo | null): unknown[] {
    const [path, options] = args;
    const o: Options = typeof options === 'string' ? { encoding: options } : isObject(options) ? { ...options } : {};
    const charge = this.charge(holder, skip, gate);
    const own = new Set<number>();
    let target = path;
    const access: Access = kind === 'write' || flagsAccess(o.flags) === 'write' ? 'write' : 'read';
    if (o.fd !== undefined && o.fd !== null) {
      if (typeof o.fd === 'number') {
        if (charge.owners.length || charge.unattributed) this.reach.allowFd(charge, o.fd, access);
        own.add(o.fd);
      }
    } else if (charge.owners.length || charge.unattributed) {
      const abs = pathOf(path);
      if (abs === undefined) this.reach.refuseUncheckable(charge, kind === 'read' ? 'fs.createReadStream' : 'fs.createWriteStream', 'a path that is not UTF-8');
      else if (abs !== null) {
        target = abs;
        this.reach.judge(charge, this.reach.realTarget(abs, true), access);
      }
    }
    if (o.fs === undefined) o.fs = this.streamFs(holder, kind, own, charge.owners);
    return [target, o, ...args.slice(2)];
  }

  /** The fs a stream gets instead of the real module (which would be reachable from it). */
  private streamFs(holder: string | null, kind: Access, own: Set<number>, owners: readonly string[]): object {
    const reach = this.reach;
    const guard = this;
    const real = this.real;
    const gate = holder === null ? STREAM_GATE : null;
    const mine = (fd: unknown, what: string, skip: Function) => {
      if (typeof fd === 'number' && own.has(fd)) return;
      guard.direct(holder, `fs.${what}`, skip);
      reach.denyForeignFd(holder, fd, skip);
    };
    const open = function open(path: unknown, flags: unknown, mode: unknown, cb: unknown): unknown {
      guard.direct(holder, 'fs.open', open);
      const charge = reach.fsActive ? reach.owners('fs', holder, open, gate, owners) : { owners: [], unattributed: false };
      let target = path;
      const access: Access = kind === 'write' || flagsAccess(flags) === 'write' ? 'write' : 'read';
      if (charge.owners.length || charge.unattributed) {
        const abs = pathOf(path);
        if (abs === undefined) reach.refuseUncheckable(charge, 'fs.open', 'a path that is not UTF-8');
        else if (abs !== null) {
          target = abs;
          reach.judge(charge, reach.realTarget(abs, true), access);
        }
      }
      return real.open.call(null, target, flags, mode, (err: unknown, fd: unknown) => {
        if (!err && typeof fd === 'number') {
          own.add(fd);
          reach.recordFd(charge.owners, fd, access);
        }
        (cb as Fn)(err, fd);
      });
    };
    const out: Record<string, Fn> = {
      open,
      read: function read(fd: unknown, ...rest: unknown[]) { mine(fd, 'read', read); return real.read.call(null, fd, ...rest); },
      close: function close(fd: unknown, ...rest: unknown[]) {
        mine(fd, 'close', close);
        if (typeof fd === 'number') own.delete(fd);
        reach.forgetFd(owners, fd);
        return real.close.call(null, fd, ...rest);
      },
    };
    if (kind === 'write') {
      out.write = function write(fd: unknown, ...rest: unknown[]) { mine(fd, 'write', write); return real.write.call(null, fd, ...rest); };
      out.writev = function writev(fd: unknown, ...rest: unknown[]) { mine(fd, 'writev', writev); return real.writev.call(null, fd, ...rest); };
      out.fsync = function fsync(fd: unknown, ...rest: unknown[]) { mine(fd, 'fsync', fsync); return real.fsync.call(null, fd, ...rest); };
    }
    return Object.freeze(out);
  }

  /**
   * A package calling a stream's fs functions itself (not Node's stream code) needs that built-in
   * granted, as it would through its own fs.
   */
  private direct(holder: string | null, capability: string, skip: Function): void {
    const a = this.reach.attribution(skip);
    if (a.caller !== 'package') return;
    const pkg = a.packages[0];
    if (pkg && !this.granted(pkg, capability)) this.reach.denyBuiltin(pkg, capability);
    void holder;
  }

  private utf8Args(holder: string | null, args: unknown[], skip: Function, gate: GateInfo | null): unknown[] {
    const o = args[0];
    if (!isObject(o)) return args;
    const charge = this.charge(holder, skip, gate);
    if (!charge.owners.length && !charge.unattributed) return args;
    const copy = { ...o };
    if (typeof copy.fd === 'number') this.reach.allowFd(charge, copy.fd, 'write');
    else if (copy.dest !== undefined) {
      const abs = pathOf(copy.dest);
      if (abs === undefined) this.reach.refuseUncheckable(charge, 'fs.Utf8Stream', 'a path that is not UTF-8');
      else if (abs !== null) {
        copy.dest = abs;
        this.reach.judge(charge, this.reach.realTarget(abs, true), 'write');
      }
    }
    return [copy, ...args.slice(1)];
  }

  // ---------------------------------------------------------------- watchers

  /** Gates the start methods of a watcher's class and of its handle (what it leads back to), once per class. */
  gateWatcher(watcher: unknown): void {
    if (!isObject(watcher)) return;
    const proto = Object.getPrototypeOf(watcher) as object | null;
    if (!proto || this.gatedWatchers.has(proto)) return;
    this.gatedWatchers.add(proto);
    const reach = this.reach;
    const check = (path: unknown, skip: Function, readers: readonly string[] | null) => {
      const charge = reach.fsActive ? reach.owners('fs', null, skip, WATCH_GATE, readers ?? undefined) : { owners: [], unattributed: false };
      if (!charge.owners.length && !charge.unattributed) return;
      const abs = pathOf(path);
      if (abs) reach.judge(charge, reach.realTarget(abs, true), 'read');
    };
    for (const key of Reflect.ownKeys(proto)) {
      if (typeof key !== 'symbol' || !/Start/.test(key.description ?? '')) continue;
      gateMethod(reach, 'fs', proto, key, (original, readers) => named(function start(this: unknown, ...args: unknown[]) {
        check(args[0], start, readers);
        return original.apply(this, args);
      }, original));
    }
    const handle = (watcher as { _handle?: unknown })._handle;
    const hproto = isObject(handle) ? Object.getPrototypeOf(handle) as object | null : null;
    if (hproto && !this.gatedWatchers.has(hproto) && typeof (hproto as Record<string, unknown>).start === 'function') {
      this.gatedWatchers.add(hproto);
      gateMethod(reach, 'fs', hproto, 'start', (original, readers) => named(function start(this: unknown, ...args: unknown[]) {
        check(args[0], start, readers);
        return original.apply(this, args);
      }, original));
    }
  }
}
