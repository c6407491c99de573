// ESM containment, in Node's loader thread: imports made by a contained package are checked against
// its policy; built-ins it imports become its facades; a contained module's source is transformed like
// CommonJS code; other packages' exports are seen through read-only views; data: URLs it imports stay
// contained as the same package.
import { realpathSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { emptyPolicy, packageNameOf, readPolicy } from '../policy/index.js';
import { describeViolation, type Violation } from './denial.js';
import { isInside, packageOfPath, type PackageLocation } from './packages.js';
import { RuntimePolicy } from './policy.js';
import type { TransformResult } from './transform.js';
import { CodeCache } from './code-cache.js';

interface HookData {
  projectDir: string;
  warn: boolean;
  port: MessagePort;
  /** The entry of a child process started by a contained package runs as that package. */
  mainAs: { name: string; url: string; root: string } | null;
  cacheDir: string | null;
}

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string; format?: string | null }>;
type NextLoad = (url: string, context?: { format?: string | null; importAttributes?: Record<string, string> }) => Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }>;

let policy: RuntimePolicy;
let warn = false;
let port: MessagePort | null = null;
let mainAs: HookData['mainAs'] = null;
let cache: CodeCache = new CodeCache(null);
const builtinNames = new Map<string, string[]>();

export function initialize(data: HookData): void {
  const p = readPolicy(data.projectDir);
  policy = new RuntimePolicy(p ?? emptyPolicy());
  warn = data.warn;
  port = data.port;
  mainAs = data.mainAs;
  cache = new CodeCache(data.cacheDir);
}

class Denied extends Error {
  override readonly name = 'PacksecDenial';
  readonly code = 'PACKSEC_DENIED';
}

function deny(v: Omit<Violation, 'count'>): void {
  port?.postMessage(v);
  if (warn) return;
  throw new Denied(describeViolation(v));
}

/** Which contained package a module URL belongs to (file URL under node_modules, or one of ours). */
function packageOfUrl(url: string | undefined): PackageLocation | null {
  if (!url) return null;
  if (url.startsWith('packsec:')) {
    const p = new URL(url).searchParams.get('p');
    return p ? { name: p, root: new URL(url).searchParams.get('r') ?? '' } : null;
  }
  if (!url.startsWith('file:')) return null;
  if (mainAs && url === mainAs.url) return { name: mainAs.name, root: mainAs.root };
  return packageOfPath(fileURLToPath(url));
}

function contained(loc: PackageLocation | null): loc is PackageLocation {
  return loc !== null && !policy.grants(loc.name).trusted;
}

function q(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string; format?: string | null; shortCircuit?: boolean }> {
  const parentURL = context.parentURL;
  if (parentURL?.startsWith('packsec:view?')) {
    // The view wrapper imports the real module it stands for; nothing else.
    const u = new URL(parentURL).searchParams.get('u');
    if (specifier === u) return { url: specifier, shortCircuit: true };
  }
  const parent = packageOfUrl(parentURL);
  if (!contained(parent)) {
    if (specifier.startsWith('packsec:')) throw new Denied(`packsec: ${specifier} can only be imported by packsec itself`);
    return next(specifier, context);
  }
  const pkg = parent.name;
  const grants = policy.grants(pkg);
  const root = parent.root;
  if (specifier === 'packsec:context') return { url: `packsec:context?${q({ p: pkg, r: root })}`, shortCircuit: true };
  if (specifier.startsWith('packsec:')) throw new Denied(`packsec: "${pkg}" may not import ${specifier}`);
  const builtin = specifier.startsWith('node:') ? specifier.slice(5) : isBuiltin(specifier) && !specifier.endsWith('/') ? specifier : null;
  if (builtin) return { url: `packsec:builtin?${q({ p: pkg, r: root, m: builtin })}`, shortCircuit: true };
  if (specifier.startsWith('data:')) return { url: `packsec:data?${q({ p: pkg, r: root, u: specifier })}`, shortCircuit: true };
  const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('file:') && !specifier.startsWith('#');
  if (bare) {
    const name = packageNameOf(specifier);
    if (name === null) deny({ package: pkg, kind: 'file', capability: specifier, detail: specifier });
    else if (name !== pkg && !grants.packages.has(name)) deny({ package: pkg, kind: 'package', capability: name });
  }
  const resolved = await next(specifier, parentURL?.startsWith('packsec:') ? { ...context, parentURL: undefined } : context);
  if (resolved.url.startsWith('node:')) {
    return { url: `packsec:builtin?${q({ p: pkg, r: root, m: resolved.url.slice(5) })}`, shortCircuit: true };
  }
  if (!resolved.url.startsWith('file:')) {
    deny({ package: pkg, kind: 'file', capability: resolved.url, detail: resolved.url });
    return resolved;
  }
  let file = fileURLToPath(resolved.url);
  try {
    file = realpathSync(file);
  } catch { /* resolution already found it */ }
  const target = packageOfPath(file);
  if (!target) {
    deny({ package: pkg, kind: 'file', capability: file, detail: `${specifier} (${file}), a file of the app, not of a package` });
    return resolved;
  }
  if (target.name === pkg) {
    if (root && !isInside(file, root)) deny({ package: pkg, kind: 'file', capability: file, detail: `${specifier} (${file}), outside its own folder ${root}` });
    return resolved;
  }
  if (!grants.packages.has(target.name)) deny({ package: pkg, kind: 'package', capability: target.name });
  if (policy.grants(target.name).trusted || file.endsWith('.json')) return resolved;
  return { url: `packsec:view?${q({ p: pkg, t: target.name, u: resolved.url })}`, shortCircuit: true };
}

async function builtinExports(m: string): Promise<string[]> {
  let names = builtinNames.get(m);
  if (!names) {
    const ns = (await import(`node:${m}`)) as Record<string, unknown>;
    names = Object.keys(ns).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
    builtinNames.set(m, names);
  }
  return names;
}

const RUNTIME = 'globalThis[Symbol.for("packsec.runtime")]';

function transform(source: string, kind: 'module'): TransformResult {
  return cache.transform(source, kind).result;
}

function sourceText(source: string | ArrayBuffer | Uint8Array | null | undefined): string {
  if (source === null || source === undefined) return '';
  if (typeof source === 'string') return source;
  return Buffer.from(source instanceof ArrayBuffer ? new Uint8Array(source) : source).toString('utf8');
}

export async function load(url: string, context: { format?: string | null; importAttributes?: Record<string, string> }, next: NextLoad): Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }> {
  if (url.startsWith('packsec:')) {
    const params = new URL(url).searchParams;
    const p = JSON.stringify(params.get('p') ?? '');
    if (url.startsWith('packsec:context?')) {
      return { format: 'module', shortCircuit: true, source: `const c = ${RUNTIME}.context(${p}); export const g = c.g; export const p = c.prop;` };
    }
    if (url.startsWith('packsec:builtin?')) {
      const m = params.get('m') ?? '';
      const names = await builtinExports(m);
      const source = `const f = ${RUNTIME}.builtin(${p}, ${JSON.stringify(m)});\nexport default f;\n${names.length ? `export const { ${names.join(', ')} } = f;` : ''}\n`;
      return { format: 'module', shortCircuit: true, source };
    }
    if (url.startsWith('packsec:view?')) {
      const u = params.get('u') ?? '';
      const t = JSON.stringify(params.get('t') ?? '');
      const source = `import * as ns from ${JSON.stringify(u)};\nexport * from ${JSON.stringify(u)};\nexport default ${RUNTIME}.view(ns.default, ${t}, ${p});\n`;
      return { format: 'module', shortCircuit: true, source };
    }
    if (url.startsWith('packsec:data?')) {
      const u = params.get('u') ?? '';
      const r = await next(u, context);
      if (r.format !== 'module') return { ...r, shortCircuit: true };
      const result = transform(sourceText(r.source), 'module');
      if (!result.ok) throw new Denied(`packsec: ${p} cannot run a data: module contained: ${result.reason}`);
      return { format: 'module', source: result.code, shortCircuit: true };
    }
  }
  const loc = packageOfUrl(url.startsWith('file:') ? url : undefined);
  const r = await next(url, context);
  if (!contained(loc) || r.format !== 'module') return r;
  const result = transform(sourceText(r.source), 'module');
  if (!result.ok) {
    const v = { package: loc.name, kind: 'unsupported' as const, capability: url, detail: `${fileURLToPath(url)}: ${result.reason}` };
    port?.postMessage(v);
    throw new Denied(describeViolation(v));
  }
  return { format: 'module', source: result.code, shortCircuit: true };
}
