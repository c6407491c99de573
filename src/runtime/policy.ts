// The policy as the runtime consults it: per package name, fast lookups of what is granted.
import { relative, sep } from 'node:path';
import { matchesAppFile, parseBuiltinCapability, type PackagePolicy, type Policy } from '../policy/index.js';

export interface PackageGrants {
  name: string;
  trusted: boolean;
  /** module → granted export paths ("" = the whole module). */
  builtins: Map<string, Set<string>>;
  globals: Set<string>;
  packages: Set<string>;
  native: boolean;
  /** True when the whole of process.env is granted. */
  envAll: boolean;
  envKeys: Set<string>;
  /** Whether the package has an entry at all (an installed package missing from the policy gets none). */
  listed: boolean;
  /** App files (project-relative globs) it may load. */
  files: string[];
}

export function grantsFor(name: string, entry: PackagePolicy | undefined): PackageGrants {
  const g: PackageGrants = {
    name, trusted: entry?.trust === 'full', builtins: new Map(), globals: new Set(), packages: new Set(entry?.packages ?? []),
    native: entry?.native === true, envAll: false, envKeys: new Set(), listed: entry !== undefined, files: entry?.files ?? [],
  };
  for (const b of entry?.builtins ?? []) {
    const { module, path } = parseBuiltinCapability(b);
    const set = g.builtins.get(module) ?? new Set<string>();
    set.add(path.join('.'));
    g.builtins.set(module, set);
  }
  for (const glob of entry?.globals ?? []) {
    g.globals.add(glob);
    if (glob === 'process' || glob === 'process.env') g.envAll = true;
    else if (glob.startsWith('process.env.')) g.envKeys.add(glob.slice('process.env.'.length));
  }
  return g;
}

/** Is `path` (e.g. "readFile" or "promises.readFile") of `module` granted? */
export function builtinGranted(g: PackageGrants, module: string, path: string): boolean {
  const set = g.builtins.get(module);
  if (!set) return false;
  if (set.has('')) return true;
  if (set.has(path)) return true;
  for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) if (set.has(path.slice(0, i))) return true;
  return false;
}

/** Is some sub-path of `prefix` granted (so a namespace export such as fs.promises needs a facade)? */
export function builtinPartlyGranted(g: PackageGrants, module: string, prefix: string): boolean {
  const set = g.builtins.get(module);
  if (!set) return false;
  for (const p of set) if (p.startsWith(prefix + '.')) return true;
  return false;
}

/** Is the global path (e.g. "fetch", "process.stdout", "performance.now") granted, or a parent of it? */
export function globalGranted(g: PackageGrants, path: string): boolean {
  if (g.globals.has(path)) return true;
  for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) if (g.globals.has(path.slice(0, i))) return true;
  return false;
}

export class RuntimePolicy {
  private readonly cache = new Map<string, PackageGrants>();
  constructor(
    readonly policy: Policy,
    readonly projectDir: string,
  ) {}

  /** The file's path relative to the project when a grant of `files` allows the package to load it, else null. */
  appFile(g: PackageGrants, file: string): { rel: string; allowed: boolean } | null {
    const rel = relative(this.projectDir, file).split(sep).join('/');
    if (rel.startsWith('..') || rel === '') return null;
    return { rel, allowed: g.files.some((pattern) => matchesAppFile(pattern, rel)) };
  }

  grants(name: string): PackageGrants {
    let g = this.cache.get(name);
    if (!g) {
      g = grantsFor(name, Object.prototype.hasOwnProperty.call(this.policy.packages, name) ? this.policy.packages[name] : undefined);
      this.cache.set(name, g);
    }
    return g;
  }
}
