// The runtime's state in the app's main thread: one context per contained package (its compartment
// global, its facades of built-ins), the policy, the monitor of violations, and the transform cache.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NET_MODULES, type Policy } from '../policy/index.js';
import { builtinFacade } from './builtins.js';
import { exempt } from './harden.js';
import { processExports } from './process.js';
import { CodeCache } from './code-cache.js';
import { transformSource } from './transform.js';
import { Monitor } from './denial.js';
import { GlobalsFactory, type RealGlobals } from './globals.js';
import type { Integrity } from './integrity.js';
import { builtinGranted, RuntimePolicy, type PackageGrants } from './policy.js';
import { EVAL_URL_PREFIX, Reach } from './reach.js';
import { NetGuard } from './net-guard.js';
import { FsGuard } from './fs-guard.js';

declare const Compartment: new (options: { __options__: true; globals?: Record<string, unknown>; transforms?: ((source: string) => string)[] }) => { globalThis: Record<string, unknown> };

/** Folders of packsec's own code and of SES: their frames are nobody's when the runtime asks who is calling. */
const OWN_DIRS = [fileURLToPath(new URL('../', import.meta.url)), dirname(createRequire(import.meta.url).resolve('ses')) + '/'];
const STREAM_EXPORTS = new Set(['createReadStream', 'createWriteStream', 'ReadStream', 'WriteStream', 'FileReadStream', 'FileWriteStream']);

export interface PackageContext {
  grants: PackageGrants;
  /** The package's global object (its compartment's globalThis). */
  g: Record<string, unknown>;
  fixThis: (t: unknown) => unknown;
  prop: (o: unknown, key: string) => unknown;
  facades: Map<string, unknown>;
}

export interface RuntimeOptions {
  policy: Policy;
  projectDir: string;
  warn: boolean;
  reportFile: string | null;
  /** Where transformed sources are cached (content-addressed); null disables the disk cache. */
  cacheDir: string | null;
}

export interface FacadeWrapper {
  (ctx: PackageContext, module: string, path: string, value: unknown): unknown;
}

export class Runtime {
  readonly monitor: Monitor;
  readonly policy: RuntimePolicy;
  private readonly contexts = new Map<string, PackageContext>();
  readonly cache: CodeCache;
  private readonly globals: GlobalsFactory;
  /** Set by the loader hooks: replacements for granted exports that must stay contained. */
  wrapExport: FacadeWrapper = (_ctx, _m, _p, v) => v;
  /**
   * In a child process started by a contained package: its entry file runs as that package. Its
   * "folder" is the entry file alone, so it cannot reach the app files next to it.
   */
  get mainAs(): { name: string; root: string } | null {
    return this._mainAs;
  }
  set mainAs(v: { name: string; root: string } | null) {
    this._mainAs = v;
    this.reachOptions.mainAs = v;
  }
  private _mainAs: { name: string; root: string } | null = null;
  /** Finer grants: the hosts and paths packages may reach, and the guards that check them. */
  readonly reach: Reach;
  private readonly reachOptions: ConstructorParameters<typeof Reach>[2];
  readonly netGuard: NetGuard | null;
  readonly fsGuard: FsGuard;
  builtinLoader: (module: string) => object = () => ({});
  /** Verified loading against packsec.lock.json; null when it is off (`packsec run --no-verify`). */
  integrity: Integrity | null = null;

  constructor(
    private readonly options: RuntimeOptions,
    readonly real: RealGlobals,
  ) {
    this.monitor = new Monitor({ warn: options.warn, reportFile: options.reportFile });
    this.policy = new RuntimePolicy(options.policy, options.projectDir);
    this.cache = new CodeCache(options.cacheDir, transformSource);
    this.globals = new GlobalsFactory(real);
    // Built-in classes that extend Error (assert.AssertionError) lead up to it; it must stay unfrozen.
    exempt(real.Error);
    this.reachOptions = { projectDir: options.projectDir, ownDirs: OWN_DIRS, Error: real.Error, mainAs: null };
    this.reach = new Reach(options.policy, this.monitor, this.reachOptions);
    this.netGuard = this.reach.netActive ? new NetGuard(this.reach) : null;
    this.netGuard?.install();
    this.fsGuard = new FsGuard(this.reach, (name, capability) => {
      const dot = capability.indexOf('.');
      return builtinGranted(this.policy.grants(name), capability.slice(0, dot), capability.slice(dot + 1));
    });
    this.fsGuard.install();
  }

  /**
   * The checked replacement of a granted built-in export (fs paths, network hosts), or undefined. Stream
   * exports always get one: a stream would otherwise hand out the real fs module.
   */
  guardExport(ctx: PackageContext, module: string, path: string, value: unknown): unknown {
    if (module === 'fs' || module === 'fs/promises') {
      if (this.reach.fsActive || (module === 'fs' && STREAM_EXPORTS.has(path))) return this.fsGuard.wrap(ctx.grants.name, module, path, value);
      return undefined;
    }
    if (this.netGuard && NET_MODULES.has(module)) return this.netGuard.wrap(ctx.grants.name, module, path, value);
    if (this.reach.fsActive && (module === 'sqlite' || module === 'wasi')) return this.fsGuard.wrapOther(ctx.grants.name, module, path, value);
    return undefined;
  }

  /** The checked replacement of a granted global (fetch, WebSocket, EventSource), or undefined. */
  private guardGlobal(ctx: () => PackageContext, name: string, value: unknown): unknown {
    if (!this.netGuard || typeof value !== 'function') return undefined;
    if (name !== 'fetch' && name !== 'WebSocket' && name !== 'EventSource') return undefined;
    const c = ctx();
    const key = `\0global:${name}`;
    const hit = c.facades.get(key);
    if (hit && (hit as { real: unknown }).real === value) return (hit as { wrapped: unknown }).wrapped;
    let wrapped: unknown;
    if (name === 'fetch') wrapped = this.netGuard.fetchFor(c.grants.name, value as (...a: unknown[]) => unknown);
    else {
      this.netGuard.gateGlobalClass(value);
      wrapped = this.netGuard.socketClassFor(c.grants.name, value);
    }
    c.facades.set(key, { real: value, wrapped });
    return wrapped;
  }

  context(name: string): PackageContext {
    let ctx = this.contexts.get(name);
    if (ctx) return ctx;
    const grants = this.policy.grants(name);
    if (!grants.listed) {
      this.monitor.record({ package: name, kind: 'unsupported', capability: 'policy entry', detail: 'it has no entry in packsec.policy.json, so it gets no capabilities (run `packsec init`)' });
    }
    this.reach.noteContext(name);
    // Code the package evaluates (eval, Function) is named after it in stack traces, so the runtime
    // can tell whose it is (the last sourceURL comment wins, so the package cannot pick another name).
    const sourceUrl = `\n//# sourceURL=${EVAL_URL_PREFIX}${name}`;
    const compartment = new Compartment({ __options__: true, transforms: [(source) => source + sourceUrl] });
    const g = compartment.globalThis;
    this.globals.populate(g, grants, this.monitor, (module) => this.builtin(this.context(name), module), (global, value) => this.guardGlobal(() => this.context(name), global, value));
    const realGlobal = this.real.global;
    ctx = {
      grants,
      g,
      fixThis: (t) => (t === realGlobal ? g : t),
      prop: (o, key) => (typeof o === 'function' ? null : (o as Record<string, unknown>)[key]),
      facades: new Map(),
    };
    this.contexts.set(name, ctx);
    return ctx;
  }

  /** What `import { x } from 'node:m'` binds: the facade, except for process, whose members deny on read. */
  namedExports(ctx: PackageContext, module: string): unknown {
    if (module !== 'process') return this.builtin(ctx, module);
    const key = '\0process-named';
    let named = ctx.facades.get(key);
    if (!named) {
      named = processExports(ctx.g.process as NodeJS.Process, this.real.process, ctx.grants, this.monitor);
      ctx.facades.set(key, named);
    }
    return named;
  }

  /** The package's facade of a built-in module (created once per package and module). */
  builtin(ctx: PackageContext, module: string): unknown {
    const hit = ctx.facades.get(module);
    if (hit) return hit;
    let facade: unknown;
    if (module === 'process') facade = ctx.g.process;
    else {
      const real = this.builtinLoader(module);
      // Classes an instance leads back to are gated before a facade hands them out (and freezes them).
      if (this.reach.fsActive && (module === 'sqlite' || module === 'wasi')) this.fsGuard.prepare(module, real);
      facade = builtinFacade(real, module, ctx.grants, this.monitor, { wrap: (m, p, v) => this.wrapExport(ctx, m, p, v) });
    }
    ctx.facades.set(module, facade);
    return facade;
  }
}
