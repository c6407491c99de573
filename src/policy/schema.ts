// Validation of untrusted policy JSON: every problem names the file, the JSON path and what was expected.
import { describeValue, formatPath, type PathSegment } from '../util/jsonpath.js';
import { PolicyError } from './error.js';
import { formatHostPattern, formatPathGrant, parseHostPattern, parsePathGrant, type FsGrants } from './grants.js';
import { POLICY_VERSION, type PackagePolicy, type Policy } from './model.js';
import { isKnownBuiltin, isValidAppFile, isValidGlobal, isValidPackageName, parseBuiltinCapability } from './names.js';

const ENTRY_FIELDS = new Set(['trust', 'builtins', 'globals', 'packages', 'files', 'net', 'fs', 'native', 'scripts']);

export interface Problem {
  path: PathSegment[];
  message: string;
}

/** Checks one package entry (from a policy or a package's own "packsec" declaration). */
export function checkEntry(value: unknown, path: PathSegment[], problems: Problem[]): PackagePolicy | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path, message: `expected an object, got ${describeValue(value)}` });
    return undefined;
  }
  const entry: PackagePolicy = {};
  for (const [key, v] of Object.entries(value)) {
    const at = [...path, key];
    if (!ENTRY_FIELDS.has(key)) {
      problems.push({ path: at, message: `unknown field (expected one of ${[...ENTRY_FIELDS].join(', ')})` });
      continue;
    }
    if (key === 'trust') {
      if (v !== 'full') problems.push({ path: at, message: `expected "full", got ${describeValue(v)}` });
      else entry.trust = 'full';
    } else if (key === 'net') {
      const list = checkNet(v, at, problems);
      if (list) entry.net = list;
    } else if (key === 'fs') {
      const fs = checkFs(v, at, problems);
      if (fs) entry.fs = fs;
    } else if (key === 'native' || key === 'scripts') {
      if (typeof v !== 'boolean') problems.push({ path: at, message: `expected true or false, got ${describeValue(v)}` });
      else entry[key] = v;
    } else {
      const field = key as 'builtins' | 'globals' | 'packages' | 'files';
      if (!Array.isArray(v)) {
        problems.push({ path: at, message: `expected an array of strings, got ${describeValue(v)}` });
        continue;
      }
      const list: string[] = [];
      v.forEach((item: unknown, i: number) => {
        const why = checkCapability(field, item);
        if (why) problems.push({ path: [...at, i], message: why });
        else list.push(field === 'builtins' ? (item as string).replace(/^node:/, '') : (item as string));
      });
      entry[field] = list;
    }
  }
  return entry;
}

/** `net`: host patterns, stored canonically (lower case, punycode, dotted IPv4, bracketed IPv6). */
function checkNet(value: unknown, at: PathSegment[], problems: Problem[]): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push({ path: at, message: `expected an array of host patterns, got ${describeValue(value)}` });
    return undefined;
  }
  const list: string[] = [];
  value.forEach((item: unknown, i: number) => {
    if (typeof item !== 'string') {
      problems.push({ path: [...at, i], message: `expected a string, got ${describeValue(item)}` });
      return;
    }
    const p = parseHostPattern(item);
    if (typeof p === 'string') problems.push({ path: [...at, i], message: `${p}, got ${describeValue(item)}` });
    else list.push(formatHostPattern(p));
  });
  return list;
}

/** `fs`: `{ "read": [paths], "write": [paths] }`; write paths may be read too. */
function checkFs(value: unknown, at: PathSegment[], problems: Problem[]): FsGrants | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path: at, message: `expected an object like { "read": ["$package"], "write": ["$tmp"] }, got ${describeValue(value)}` });
    return undefined;
  }
  const out: FsGrants = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'read' && key !== 'write') {
      problems.push({ path: [...at, key], message: 'unknown field (expected "read" and "write")' });
      continue;
    }
    if (!Array.isArray(v)) {
      problems.push({ path: [...at, key], message: `expected an array of paths, got ${describeValue(v)}` });
      continue;
    }
    const list: string[] = [];
    v.forEach((item: unknown, i: number) => {
      if (typeof item !== 'string') {
        problems.push({ path: [...at, key, i], message: `expected a string, got ${describeValue(item)}` });
        return;
      }
      const g = parsePathGrant(item);
      if (typeof g === 'string') problems.push({ path: [...at, key, i], message: g.includes(', got ') ? g : `${g}, got ${describeValue(item)}` });
      else list.push(formatPathGrant(g));
    });
    out[key] = list;
  }
  return out;
}

function checkCapability(field: 'builtins' | 'globals' | 'packages' | 'files', item: unknown): string | null {
  if (typeof item !== 'string') return `expected a string, got ${describeValue(item)}`;
  if (field === 'files') return isValidAppFile(item) ? null : `expected a path relative to the project root (no "..", no leading "/"), got ${describeValue(item)}`;
  if (field === 'builtins') {
    const { module, path } = parseBuiltinCapability(item);
    if (!isKnownBuiltin(module)) return `unknown Node built-in module ${JSON.stringify(module)}`;
    if (path.some((p) => p === '')) return `expected "module" or "module.export", got ${describeValue(item)}`;
    return null;
  }
  if (field === 'globals') return isValidGlobal(item) ? null : `expected a global name or property path like "process.env.DEBUG", got ${describeValue(item)}`;
  return isValidPackageName(item) ? null : `expected an npm package name, got ${describeValue(item)}`;
}

export function problemsToError(file: string, problems: Problem[], code: 'POLICY_INVALID' | 'LOCK_INVALID' = 'POLICY_INVALID'): PolicyError {
  const lines = problems.slice(0, 20).map((p) => `${file}: ${formatPath(p.path)}: ${p.message}`);
  if (problems.length > 20) lines.push(`… and ${problems.length - 20} more problems`);
  return new PolicyError(code, lines.join('\n'), file);
}

/** Validates parsed JSON as a policy; throws a PolicyError listing every problem found. */
export function validatePolicy(json: unknown, file: string): Policy {
  const problems: Problem[] = [];
  // Null prototype: a package named "constructor" or "toString" is an ordinary key.
  const policy: Policy = { version: POLICY_VERSION, packages: Object.create(null) as Policy['packages'] };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw problemsToError(file, [{ path: [], message: `expected an object, got ${describeValue(json)}` }]);
  }
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'version' && key !== 'packages') problems.push({ path: [key], message: 'unknown field (expected "version" and "packages")' });
  }
  if (obj.version !== POLICY_VERSION) {
    problems.push({ path: ['version'], message: `expected ${POLICY_VERSION}, got ${obj.version === undefined ? 'nothing' : describeValue(obj.version)}` });
  }
  const pkgs = obj.packages;
  if (typeof pkgs !== 'object' || pkgs === null || Array.isArray(pkgs)) {
    problems.push({ path: ['packages'], message: `expected an object of package entries, got ${pkgs === undefined ? 'nothing' : describeValue(pkgs)}` });
  } else {
    for (const [name, value] of Object.entries(pkgs)) {
      if (!isValidPackageName(name)) {
        problems.push({ path: ['packages', name], message: 'expected an npm package name as the key' });
        continue;
      }
      const entry = checkEntry(value, ['packages', name], problems);
      if (entry) policy.packages[name] = entry;
    }
  }
  if (problems.length) throw problemsToError(file, problems);
  return policy;
}
