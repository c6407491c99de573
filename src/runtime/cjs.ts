// CommonJS containment: Node's own loader keeps resolving, caching and wrapping modules, but a file
// inside node_modules is compiled from its transformed source and called with the package's own
// `require`, `module` and global object instead of the real ones.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve as resolvePath, sep } from 'node:path';
import vm from 'node:vm';
import { packageNameOf } from '../policy/index.js';
import { exportsView } from './exports-view.js';
import { isInside, packageOfPath, PRESERVE_SYMLINKS, type PackageLocation } from './packages.js';
import { commonJsAlternative } from './require-esm.js';
import type { PackageContext, Runtime } from './runtime.js';
import { ESM, G, PROP, THIS } from './names.js';

export interface NodeModule {
  id: string;
  filename: string;
  path: string;
  exports: unknown;
  loaded: boolean;
  paths: string[];
  require(request: string): unknown;
}

interface ModuleStatics {
  prototype: { _compile(this: NodeModule, content: string, filename: string, format?: string): unknown };
  _resolveFilename(request: string, parent: NodeModule, isMain?: boolean, options?: unknown): string;
  _load(request: string, parent: NodeModule, isMain?: boolean): unknown;
  _extensions: Record<string, (module: NodeModule, filename: string) => void>;
  isBuiltin(request: string): boolean;
}

const nodeRequire = createRequire(import.meta.url);
export const Module = nodeRequire('node:module') as ModuleStatics;

const PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', G, THIS, PROP, ESM];
const ESM_ENTRANCES = /\b(runMain|repl|inspector)\b/;
const importDynamically = (vm as unknown as { constants?: { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } }).constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;

function realpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Node's own answer to require() of an ES module before it could do that (code that supports both
 * falls back to import() on this code).
 */
class RequireEsmRefused extends Error {
  override readonly name = 'Error';
  readonly code = 'ERR_REQUIRE_ESM';
  constructor(filename: string) {
    super(`packsec: require() of the ES module ${filename} cannot be contained on Node ${process.versions.node}, which loads it without module hooks; use import(), or Node 22.15+`);
  }
}

/** The ESM hooks as the CommonJS side sees them. */
export interface EsmHooks {
  /**
   * Whether require() of an ES module goes through the hooks (in-thread hooks, Node 22.15+ and 24).
   * Without them Node resolves and loads that module and everything it imports with its default
   * loader, so nothing in it would be contained.
   */
  readonly requireHooked: boolean;
  /** Puts the hooks in place if they are not yet: before anything can load an ES module. */
  need(): void;
}

export class CommonJsLoader {
  /** Whether the entry point came through here (a CommonJS main). */
  mainCompiled = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly esm: EsmHooks,
  ) {}

  install(): void {
    const original = Module.prototype._compile;
    const loader = this;
    const esm = this.esm;
    const main = loader.runtime.mainAs;
    // Code the runtime does not transform (the app's, trusted packages') reaches ES modules through
    // import() or ESM syntax, spelled with the keyword, or by starting an entry point or a REPL (which
    // imports for its user): a file that names none of them does not need the hooks yet.
    const uncontained = function (this: NodeModule, content: string, filename: string, format?: string) {
      if (format === 'module' || content.includes('import') || ESM_ENTRANCES.test(content)) esm.need();
      return original.call(this, content, filename, format);
    };
    Module.prototype._compile = function (this: NodeModule, content: string, filename: string, format?: string) {
      if (this.id === '.') loader.mainCompiled = true;
      if (format === 'module' && this.id !== '.' && !esm.requireHooked) {
        // This module stands for its CommonJS twin, as it did before Node 20.19.
        const alternative = commonJsAlternative(filename);
        if (!alternative) throw new RequireEsmRefused(filename);
        this.exports = Module._load(alternative, this, false);
        return undefined;
      }
      const loc = packageOfPath(filename) ?? (main && filename === main.root ? main : null);
      // require() of an ES module (Node 20.19+, 22.12+) goes to the ESM loader, whose hooks contain it.
      if (!loc || (format !== undefined && format !== 'commonjs')) return uncontained.call(this, content, filename, format);
      // Verified from the very text compiled below (trusted packages too); the cache reuses the digest.
      const digest = loader.runtime.integrity?.verifySource(filename, content);
      const ctx = loader.runtime.context(loc.name);
      loader.runtime.reach.noteLoaded(loc.name, loc.root);
      if (ctx.grants.trusted) return uncontained.call(this, content, filename, format);
      return loader.compile(this, content, filename, loc, ctx, digest?.toString('hex'));
    };
  }

  private compile(module: NodeModule, content: string, filename: string, loc: PackageLocation, ctx: PackageContext, hash?: string): unknown {
    const { key, result } = this.runtime.cache.transform(content, 'commonjs', hash);
    if (!result.ok) {
      return this.runtime.monitor.refuse({ package: loc.name, kind: 'unsupported', capability: filename, detail: `${filename}: ${result.reason}` });
    }
    // import() inside the module goes through Node's default loader with this file as the referrer,
    // so the ESM hooks see which package is importing.
    const fn = this.runtime.cache.compile(key, result.code, PARAMS, filename, importDynamically);
    const req = this.makeRequire(module, loc, ctx);
    const facade = moduleFacade(module, req, () => {
      if (ctx.grants.builtins.get('module')?.has('')) return Module;
      this.runtime.monitor.deny({ package: loc.name, kind: 'builtin', capability: 'module' });
      return Object;
    });
    return fn.call(module.exports, module.exports, req, facade, filename, dirname(filename), ctx.g, ctx.fixThis, ctx.prop, this.esm.need);
  }

  /** A contained require as if from `filename` (for module.createRequire granted to a package). */
  requireFor(filename: string, ctx: PackageContext, loc: PackageLocation): NodeJS.Require {
    const ModuleClass = Module as unknown as { new (id: string, parent: null): NodeModule; _nodeModulePaths(dir: string): string[] };
    const m = new ModuleClass(filename, null);
    m.filename = filename;
    m.paths = ModuleClass._nodeModulePaths(dirname(filename));
    return this.makeRequire(m, loc, ctx);
  }

  private makeRequire(module: NodeModule, loc: PackageLocation, ctx: PackageContext): NodeJS.Require {
    const require = ((request: unknown) => {
      if (typeof request !== 'string') throw new TypeError(`The "id" argument must be of type string. Received ${typeof request}`);
      return this.load(module, request, loc, ctx);
    }) as NodeJS.Require;
    const resolve = ((request: string) => {
      if (typeof request !== 'string') throw new TypeError('The "request" argument must be of type string');
      const builtin = builtinName(request);
      if (builtin) return request;
      return this.check(module, request, loc, ctx).filename;
    }) as NodeJS.RequireResolve;
    resolve.paths = (request: string) => (builtinName(request) ? null : module.paths.filter((p) => isInside(p, loc.root)));
    require.resolve = resolve;
    // The module cache and registry of other packages stay out of reach; an empty cache keeps
    // `delete require.cache[…]` working.
    require.cache = Object.create(null) as NodeJS.Require['cache'];
    require.extensions = Object.freeze(Object.create(null)) as NodeJS.Require['extensions'];
    const main = nodeRequire.main;
    require.main = main ? (Object.freeze({ id: '.', filename: main.filename, path: main.path, loaded: main.loaded }) as unknown as NodeJS.Module) : undefined;
    return require;
  }

  /** Resolves a request from a contained module and checks it against the package's policy. */
  check(module: NodeModule, request: string, loc: PackageLocation, ctx: PackageContext): { filename: string; target: PackageLocation | null } {
    const monitor = this.runtime.monitor;
    const pkg = loc.name;
    const isPath = request.startsWith('.') || request.startsWith('/') || /^[A-Za-z]:[\\/]/.test(request) || request.startsWith('file:');
    if (isPath) {
      // Checked before resolving, so a package cannot even probe paths outside its folder.
      const wanted = resolvePath(dirname(module.filename), request.startsWith('file:') ? new URL(request).pathname : request);
      if (!isInside(wanted, loc.root) && !isInside(realpath(wanted), loc.root)) {
        // A path into another package is a load of that package (webpack/lib/… by absolute path).
        const other = packageOfPath(realpath(wanted)) ?? packageOfPath(wanted);
        const app = other ? null : this.runtime.policy.appFile(ctx.grants, realpath(wanted));
        if (other && other.name !== pkg) {
          if (!ctx.grants.packages.has(other.name)) monitor.deny({ package: pkg, kind: 'package', capability: other.name });
        } else if (app) {
          if (!app.allowed) monitor.deny({ package: pkg, kind: 'app-file', capability: app.rel });
        } else {
          monitor.deny({ package: pkg, kind: 'file', capability: wanted, detail: `${request} (${wanted}), outside its own folder ${loc.root}` });
        }
      }
    } else {
      const name = packageNameOf(request);
      if (name !== null && name !== pkg && !ctx.grants.packages.has(name)) {
        monitor.deny({ package: pkg, kind: 'package', capability: name });
      }
      if (name === null && !request.startsWith('#')) {
        monitor.deny({ package: pkg, kind: 'file', capability: request, detail: request });
      }
    }
    const filename = Module._resolveFilename(request, module as never, false);
    // Node's resolver already returns real paths, unless symlinks are preserved.
    const real = PRESERVE_SYMLINKS ? realpath(filename) : filename;
    const target = packageOfPath(real) ?? packageOfPath(filename);
    if (!target) {
      const app = this.runtime.policy.appFile(ctx.grants, real);
      if (app && !app.allowed) monitor.deny({ package: pkg, kind: 'app-file', capability: app.rel });
      else if (!app) monitor.deny({ package: pkg, kind: 'file', capability: real, detail: `${request} (${real}), outside the project` });
    } else if (target.name !== pkg && !ctx.grants.packages.has(target.name)) {
      monitor.deny({ package: pkg, kind: 'package', capability: target.name });
    } else if (target.name === pkg && !isInside(real, loc.root) && !isInside(filename, loc.root)) {
      monitor.deny({ package: pkg, kind: 'file', capability: real, detail: `${request} (${real}), outside its own folder ${loc.root}` });
    }
    if (real.endsWith('.node') && !ctx.grants.native) {
      monitor.deny({ package: pkg, kind: 'native', capability: 'native', detail: real.slice(real.lastIndexOf(sep) + 1) });
    }
    return { filename, target };
  }

  private load(module: NodeModule, request: string, loc: PackageLocation, ctx: PackageContext): unknown {
    const builtin = builtinName(request);
    if (builtin) return this.runtime.builtin(ctx, builtin);
    const { filename, target } = this.check(module, request, loc, ctx);
    const exports = Module._load(filename, module as never, false);
    if (!target || target.name === loc.name) return exports;
    return exportsView(exports, target.name, loc.name, this.runtime.monitor);
  }
}

/** The built-in module a request names, or null (`fs/` is a package, `node:fs` and `fs` are built-ins). */
export function builtinName(request: string): string | null {
  if (request.startsWith('node:')) return request.slice(5);
  return Module.isBuiltin(request) && !request.endsWith('/') ? request : null;
}

/**
 * What a contained module sees as `module`: its own exports and require, nothing of the loader.
 * `module.constructor` is the Module class, that is the `module` built-in: granted only with it.
 */
function moduleFacade(module: NodeModule, require: NodeJS.Require, ctor: () => unknown): object {
  const facade = {
    get constructor() { return ctor(); },
    get exports() { return module.exports; },
    set exports(v: unknown) { module.exports = v; },
    id: module.id,
    filename: module.filename,
    path: module.path,
    get loaded() { return module.loaded; },
    paths: [...module.paths],
    require,
    children: [] as unknown[],
    parent: undefined,
  };
  // ansi-styles does Object.defineProperty(module, 'exports', { get }): that must reach the real module.
  return new Proxy(facade, {
    defineProperty(target, key, desc) {
      if (key === 'exports') return Reflect.defineProperty(module, 'exports', { ...desc, configurable: true });
      return Reflect.defineProperty(target, key, desc);
    },
  });
}
