// Names that appear in a policy: Node built-in modules (with their exports), global property
// paths and npm package names, with the checks that decide whether a name is well formed.
import { builtinModules } from 'node:module';

// Built-ins that exist only with the node: prefix, on some Node versions.
const PREFIX_ONLY = ['test', 'test/reporters', 'sqlite', 'sea', 'test/mock_loader'];

const BUILTINS: ReadonlySet<string> = new Set(
  [...builtinModules, ...PREFIX_ONLY].filter((m) => !m.startsWith('_')).map((m) => m.replace(/^node:/, '')),
);

/** Built-in module name for a require/import specifier, or null when it is not a built-in. */
export function builtinModuleOf(specifier: string): string | null {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (specifier.startsWith('node:')) return bare === '' ? null : bare;
  // Only these resolve to a built-in without the prefix; `fs/` deliberately means a package.
  return BUILTINS.has(bare) && !PREFIX_ONLY.includes(bare) ? bare : null;
}

export function isKnownBuiltin(name: string): boolean {
  return BUILTINS.has(name);
}

export interface BuiltinCapability {
  module: string;
  /** Export path inside the module; empty means the whole module. */
  path: string[];
}

/** Splits "fs.promises.readFile" into module "fs" and path ["promises", "readFile"]. */
export function parseBuiltinCapability(cap: string): BuiltinCapability {
  const text = cap.startsWith('node:') ? cap.slice(5) : cap;
  const dot = text.indexOf('.');
  if (dot < 0) return { module: text, path: [] };
  return { module: text.slice(0, dot), path: text.slice(dot + 1).split('.') };
}

const PKG_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9._~][a-z0-9._~-]*$/i;

export function isValidPackageName(name: string): boolean {
  return name.length > 0 && name.length <= 214 && PKG_NAME.test(name) && !name.startsWith('.') && !name.includes('..');
}

/** The package name a bare specifier refers to: "@a/b/c" → "@a/b", "lodash/fp" → "lodash". */
export function packageNameOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':') || specifier.includes('\\')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name && isValidPackageName(name) ? name : null;
}

// A segment of a global path: any property name without dots or white space (`__core-js_shared__`).
const GLOBAL_SEGMENT = /^[^.\s]+$/;

/** A global grant is a property path on the global object; `process.env.KEY` may hold any key. */
export function isValidGlobal(path: string): boolean {
  if (path.startsWith('process.env.')) return path.length > 'process.env.'.length && !/\s/.test(path);
  return path.split('.').every((s) => GLOBAL_SEGMENT.test(s));
}

/** An app file grant: a relative path or glob inside the project, never reaching out of it. */
export function isValidAppFile(pattern: string): boolean {
  if (pattern === '' || pattern.startsWith('/') || /^[A-Za-z]:/.test(pattern) || pattern.includes('\\') || pattern.includes('\0')) return false;
  return pattern.split('/').every((seg) => seg !== '..' && seg !== '' && !seg.startsWith('node_modules'));
}

/** Does a project-relative path (with forward slashes) match an app file grant? `*` stays in one folder, `**` spans them. */
export function matchesAppFile(pattern: string, rel: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(rel);
}
