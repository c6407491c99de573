// Node's resolution algorithm, as far as the analyzer needs it: files and folders inside a package,
// "exports" and "imports" maps, and the nearest package.json "type" of a file.
import { dirname, join, posix } from 'node:path';
import type { ReadPowers } from './powers.js';

const FILE_EXTENSIONS = ['', '.js', '.json', '.node', '.cjs', '.mjs'];
const INDEX_FILES = ['index.js', 'index.json', 'index.node', 'index.cjs', 'index.mjs'];

/** Resolves a relative request the way require() does: exact file, added extensions, then folder. */
export function resolveFile(target: string, powers: ReadPowers, readMain: (dir: string) => string | null): string | null {
  for (const ext of FILE_EXTENSIONS) {
    if (powers.stat(target + ext)?.kind === 'file') return target + ext;
  }
  if (powers.stat(target)?.kind === 'dir') {
    const main = readMain(target);
    if (main) {
      const viaMain = resolveFileOnly(join(target, main), powers) ?? resolveIndex(join(target, main), powers);
      if (viaMain) return viaMain;
    }
    return resolveIndex(target, powers);
  }
  return null;
}

function resolveFileOnly(target: string, powers: ReadPowers): string | null {
  for (const ext of FILE_EXTENSIONS) if (powers.stat(target + ext)?.kind === 'file') return target + ext;
  return null;
}

function resolveIndex(dir: string, powers: ReadPowers): string | null {
  for (const f of INDEX_FILES) if (powers.stat(join(dir, f))?.kind === 'file') return join(dir, f);
  return null;
}

/** Every string target of an exports/imports value, whatever the conditions (used to find entry points). */
export function allTargets(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 32) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allTargets(v, out, depth + 1);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (k !== 'types' && k !== 'typings') allTargets(v, out, depth + 1);
  }
  return out;
}

/**
 * Targets of one subpath in an exports or imports map ("./feature", "#internal"), all conditions together.
 * Handles "*" patterns. Returns [] when the map does not export it.
 */
export function mapTargets(map: unknown, subpath: string): string[] {
  if (map === null || map === undefined) return [];
  if (typeof map === 'string' || Array.isArray(map) || !isSubpathMap(map)) {
    return subpath === '.' ? allTargets(map) : [];
  }
  const obj = map as Record<string, unknown>;
  if (subpath in obj && !subpath.includes('*')) return allTargets(obj[subpath]);
  let best: { key: string; star: string } | null = null;
  for (const key of Object.keys(obj)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const before = key.slice(0, star);
    const after = key.slice(star + 1);
    if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) {
      if (!best || before.length > best.key.indexOf('*')) best = { key, star: subpath.slice(before.length, subpath.length - after.length) };
    }
  }
  if (!best) return [];
  return allTargets(obj[best.key]).map((t) => t.split('*').join(best!.star));
}

function isSubpathMap(map: unknown): boolean {
  return Object.keys(map as object).some((k) => k.startsWith('.') || k.startsWith('#'));
}

/** Finds the folder of an installed package as Node would from a file: nearest node_modules upwards. */
export function findPackageDir(name: string, fromDir: string, powers: ReadPowers): string | null {
  let dir = fromDir;
  for (;;) {
    if (!dir.endsWith(`${posix.sep}node_modules`) && !dir.endsWith('\\node_modules')) {
      const candidate = join(dir, 'node_modules', name);
      if (powers.stat(candidate)?.kind === 'dir') return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
