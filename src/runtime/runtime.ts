// The runtime's state in the app's main thread: one context per contained package (its compartment
// global, its facades of built-ins), the policy, the monitor of violations, and the transform cache.
import type { Policy } from '../policy/index.js';
import { builtinFacade } from './builtins.js';
import { exempt } from './harden.js';
import { processExports } from './process.js';
import { CodeCache } from './code-cache.js';
import { transformSource } from './transform.js';
import { Monitor } from './denial.js';
import { GlobalsFactory, type RealGlobals } from './globals.js';
import type { Integrity } from './integrity.js';
import { RuntimePolicy, type PackageGrants } from './policy.js';

declare const Compartment: new (options: { __options__: true; globals?: Record<string, unknown> }) => { globalThis: Record<string, unknown> };

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
  mainAs: { name: string; root: string } | null = null;
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
  }

  context(name: string): PackageContext {
    let ctx = this.contexts.get(name);
    if (ctx) return ctx;
    const grants = this.policy.grants(name);
    if (!grants.listed) {
      this.monitor.record({ package: name, kind: 'unsupported', capability: 'policy entry', detail: 'it has no entry in packsec.policy.json, so it gets no capabilities (run `packsec init`)' });
    }
    const compartment = new Compartment({ __options__: true });
    const g = compartment.globalThis;
    this.globals.populate(g, grants, this.monitor, (module) => this.builtin(this.context(name), module));
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
      facade = builtinFacade(real, module, ctx.grants, this.monitor, { wrap: (m, p, v) => this.wrapExport(ctx, m, p, v) });
    }
    ctx.facades.set(module, facade);
    return facade;
  }
}
