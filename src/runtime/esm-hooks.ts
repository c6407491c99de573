// ESM containment as module customization hooks: imports made by a contained package are checked
// against its policy; built-ins it imports become its facades; a contained module's source is
// transformed like CommonJS code; other packages' exports are seen through read-only views; data: URLs
// it imports stay contained as the same package.
// One core, two ways to run it: in the main thread (module.registerHooks, Node 22.15+ and 24), where
// it needs no extra thread at all, or in Node's loader thread (module.register, Node 20: esm-thread.ts).
import { realpathSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { packageNameOf } from '../policy/index.js';
import type { CodeCache } from './code-cache.js';
import { describeViolation, type Violation } from './denial.js';
import type { Integrity } from './integrity.js';
import { isInside, packageOfPath, type PackageLocation } from './packages.js';
import type { RuntimePolicy } from './policy.js';

export interface HookOptions {
  policy: RuntimePolicy;
  warn: boolean;
  /** Where violations go (the main thread's monitor). */
  report: (v: Omit<Violation, 'count'>) => void;
  /** The entry of a child process started by a contained package runs as that package. */
  mainAs: { name: string; url: string; root: string } | null;
  cache: CodeCache;
  /** Verified loading; null when it is off. */
  integrity: Integrity | null;
}

export interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
export interface Resolved {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
export interface LoadContext {
  format?: string | null;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
export interface Loaded {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

class Denied extends Error {
  override readonly name = 'PacksecDenial';
  readonly code = 'PACKSEC_DENIED';
}

const RUNTIME = 'globalThis[Symbol.for("packsec.runtime")]';
/** What Node evaluates from the source a load returns; CommonJS is verified where it is compiled. */
const VERIFIED_FORMATS: ReadonlySet<string | null | undefined> = new Set(['module', 'json', 'wasm']);
const requireHere = createRequire(import.meta.url);

function q(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function bytesOf(source: ArrayBuffer | Uint8Array): Uint8Array {
  return source instanceof ArrayBuffer ? new Uint8Array(source) : source;
}

function sourceText(source: Loaded['source']): string {
  if (source === null || source === undefined) return '';
  if (typeof source === 'string') return source;
  return Buffer.from(bytesOf(source)).toString('utf8');
}

/** What resolve does before Node resolves (a final answer), or what it should ask Node to resolve. */
type PreResolved = { done: Resolved } | { next: [string, ResolveContext]; parent: PackageLocation | null };

export class HookCore {
  private readonly builtinNames = new Map<string, string[]>();

  constructor(private readonly o: HookOptions) {}

  deny(v: Omit<Violation, 'count'>): void {
    this.o.report(v);
    if (this.o.warn) return;
    throw new Denied(describeViolation(v));
  }

  /** Which contained package a module URL belongs to (file URL under node_modules, or one of ours). */
  packageOfUrl(url: string | undefined): PackageLocation | null {
    if (!url) return null;
    if (url.startsWith('packsec:')) {
      const params = new URL(url).searchParams;
      const p = params.get('p');
      return p ? { name: p, root: params.get('r') ?? '' } : null;
    }
    if (!url.startsWith('file:')) return null;
    if (this.o.mainAs && url === this.o.mainAs.url) return { name: this.o.mainAs.name, root: this.o.mainAs.root };
    return packageOfPath(fileURLToPath(url));
  }

  private contained(loc: PackageLocation | null): loc is PackageLocation {
    return loc !== null && !this.o.policy.grants(loc.name).trusted;
  }

  preResolve(specifier: string, context: ResolveContext): PreResolved {
    const parentURL = context.parentURL;
    if (parentURL?.startsWith('packsec:view?')) {
      // The view wrapper imports the real module it stands for; nothing else.
      const u = new URL(parentURL).searchParams.get('u');
      if (specifier === u) return { done: { url: specifier, shortCircuit: true } };
    }
    // require() from a contained CommonJS module was checked by its own require already.
    const fromRequire = context.conditions?.includes('require') === true && !context.conditions.includes('import');
    const parent = this.packageOfUrl(parentURL);
    if (fromRequire || !this.contained(parent)) {
      if (specifier.startsWith('packsec:')) throw new Denied(`packsec: ${specifier} can only be imported by packsec itself`);
      return { next: [specifier, context], parent: null };
    }
    const pkg = parent.name;
    const root = parent.root;
    if (specifier === 'packsec:context') return { done: { url: `packsec:context?${q({ p: pkg, r: root })}`, shortCircuit: true } };
    if (specifier.startsWith('packsec:')) throw new Denied(`packsec: "${pkg}" may not import ${specifier}`);
    const builtin = specifier.startsWith('node:') ? specifier.slice(5) : isBuiltin(specifier) && !specifier.endsWith('/') ? specifier : null;
    if (builtin) return { done: { url: `packsec:builtin?${q({ p: pkg, r: root, m: builtin })}`, shortCircuit: true } };
    if (specifier.startsWith('data:')) return { done: { url: `packsec:data?${q({ p: pkg, r: root, u: specifier })}`, shortCircuit: true } };
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('file:') && !specifier.startsWith('#');
    if (bare) {
      const name = packageNameOf(specifier);
      if (name === null) this.deny({ package: pkg, kind: 'file', capability: specifier, detail: specifier });
      else if (name !== pkg && !this.o.policy.grants(pkg).packages.has(name)) this.deny({ package: pkg, kind: 'package', capability: name });
    }
    return { next: [specifier, parentURL?.startsWith('packsec:') ? { ...context, parentURL: undefined } : context], parent };
  }

  postResolve(specifier: string, resolved: Resolved, parent: PackageLocation | null, parentURL: string | undefined): Resolved {
    if (this.o.integrity && resolved.url.startsWith('file:')) {
      this.o.integrity.checkResolved(specifier, parentURL?.startsWith('file:') ? fileURLToPath(parentURL) : null, fileURLToPath(resolved.url));
    }
    if (!parent) return resolved;
    const pkg = parent.name;
    const root = parent.root;
    const grants = this.o.policy.grants(pkg);
    if (resolved.url.startsWith('node:')) {
      return { url: `packsec:builtin?${q({ p: pkg, r: root, m: resolved.url.slice(5) })}`, shortCircuit: true };
    }
    if (!resolved.url.startsWith('file:')) {
      this.deny({ package: pkg, kind: 'file', capability: resolved.url, detail: resolved.url });
      return resolved;
    }
    let file = fileURLToPath(resolved.url);
    try {
      file = realpathSync(file);
    } catch { /* resolution already found it */ }
    const target = packageOfPath(file);
    if (!target) {
      // A file of the app: only the ones its `files` grant names (tool config files), run as the app's code.
      const app = this.o.policy.appFile(grants, file);
      if (app?.allowed) return resolved;
      if (app) this.deny({ package: pkg, kind: 'app-file', capability: app.rel });
      else this.deny({ package: pkg, kind: 'file', capability: file, detail: `${specifier} (${file}), outside the project` });
      return resolved;
    }
    if (target.name === pkg) {
      if (root && !isInside(file, root)) this.deny({ package: pkg, kind: 'file', capability: file, detail: `${specifier} (${file}), outside its own folder ${root}` });
      return resolved;
    }
    if (!grants.packages.has(target.name)) this.deny({ package: pkg, kind: 'package', capability: target.name });
    if (this.o.policy.grants(target.name).trusted || file.endsWith('.json')) return resolved;
    return { url: `packsec:view?${q({ p: pkg, t: target.name, u: resolved.url })}`, shortCircuit: true };
  }

  private builtinExports(m: string): string[] {
    let names = this.builtinNames.get(m);
    if (!names) {
      names = Object.keys(requireHere(`node:${m}`) as object).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      this.builtinNames.set(m, names);
    }
    return names;
  }

  /** Our own synthetic modules, or null for anything Node should load. */
  preLoad(url: string): Loaded | { data: string } | null {
    if (!url.startsWith('packsec:')) return null;
    const params = new URL(url).searchParams;
    const p = JSON.stringify(params.get('p') ?? '');
    if (url.startsWith('packsec:context?')) {
      const r = JSON.stringify(params.get('r') ?? '');
      return { format: 'module', shortCircuit: true, source: `const c = ${RUNTIME}.context(${p}, ${r}); export const g = c.g; export const p = c.prop;` };
    }
    if (url.startsWith('packsec:builtin?')) {
      const m = params.get('m') ?? '';
      const names = this.builtinExports(m);
      const source = `const f = ${RUNTIME}.builtin(${p}, ${JSON.stringify(m)});\nexport default f;\n${names.length ? `export const { ${names.join(', ')} } = ${RUNTIME}.named(${p}, ${JSON.stringify(m)});` : ''}\n`;
      return { format: 'module', shortCircuit: true, source };
    }
    if (url.startsWith('packsec:view?')) {
      const u = params.get('u') ?? '';
      const t = JSON.stringify(params.get('t') ?? '');
      const source = `import * as ns from ${JSON.stringify(u)};\nexport * from ${JSON.stringify(u)};\nexport default ${RUNTIME}.view(ns.default, ${t}, ${p});\n`;
      return { format: 'module', shortCircuit: true, source };
    }
    if (url.startsWith('packsec:data?')) return { data: params.get('u') ?? '' };
    throw new Denied(`packsec: unknown module ${url}`);
  }

  /** A contained package's ES module: transformed, or refused when it cannot be contained. */
  postLoad(url: string, loaded: Loaded, asPackage: string | null): Loaded {
    const loc = asPackage ? { name: asPackage, root: '' } : this.packageOfUrl(url.startsWith('file:') ? url : undefined);
    // Verified from the very bytes Node evaluates (trusted packages too); the cache reuses the digest.
    const verified = this.o.integrity && url.startsWith('file:') && VERIFIED_FORMATS.has(loaded.format) && loaded.source != null
      ? this.o.integrity.verifySource(fileURLToPath(url), typeof loaded.source === 'string' ? loaded.source : bytesOf(loaded.source))
      : null;
    if (!this.contained(loc) || loaded.format !== 'module') return asPackage ? { ...loaded, shortCircuit: true } : loaded;
    const { result } = this.o.cache.transform(sourceText(loaded.source), 'module', verified?.toString('hex'));
    if (!result.ok) {
      const where = url.startsWith('file:') ? fileURLToPath(url) : 'a data: module';
      const v = { package: loc.name, kind: 'unsupported' as const, capability: url, detail: `${where}: ${result.reason}` };
      this.o.report(v);
      throw new Denied(describeViolation(v));
    }
    return { format: 'module', source: result.code, shortCircuit: true };
  }
}

// ---------------------------------------------------------------- module.registerHooks (in this thread)

export function syncHooks(o: HookOptions): {
  resolve(specifier: string, context: ResolveContext, next: (s: string, c?: ResolveContext) => Resolved): Resolved;
  load(url: string, context: LoadContext, next: (u: string, c?: LoadContext) => Loaded): Loaded;
} {
  const c = new HookCore(o);
  return {
    resolve(specifier, context, next) {
      const pre = c.preResolve(specifier, context);
      if ('done' in pre) return pre.done;
      return c.postResolve(specifier, next(...pre.next), pre.parent, context.parentURL);
    },
    load(url, context, next) {
      const pre = c.preLoad(url);
      if (pre && 'format' in pre) return pre;
      if (pre) return c.postLoad(url, next(pre.data, context), new URL(url).searchParams.get('p'));
      return c.postLoad(url, next(url, context), null);
    },
  };
}
