// Finer grants at run time: which hosts and paths each package may reach, and who is asking. A call is
// charged to the package whose facade it came through (lexically) and to every contained package with
// code on the synchronous stack above the nearest frame of the app (a package that has another package
// or Node connect or read for it is still held to its own grants), plus the owners a request carries
// across Node's own asynchronous steps (see net-guard.ts). Calls of Node's functions that no code can
// be found for (a bound built-in run straight from a timer, a promise job or an event) are held to what
// every loaded restricted package allows.
import { realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalHost, formatPathGrant, hostAllowed, parseHostPattern, parsePathGrant, pathInside, type HostPattern, type PathGrant, type Policy,
} from '../policy/index.js';
import type { Monitor } from './denial.js';
import { packageOfPath } from './packages.js';

export type Access = 'read' | 'write';
export type GrantKind = 'net' | 'fs';

interface PackageReach {
  name: string;
  /** Host patterns, or null when `net` is absent (not restricted). */
  hosts: HostPattern[] | null;
  /** Unix socket grants (`unix:` entries of `net`). */
  sockets: PathGrant[];
  /** Path grants, or null when `fs` is absent. */
  paths: { read: PathGrant[]; write: PathGrant[] } | null;
  trusted: boolean;
  /** Real folders of the installed copies of this name seen so far ($package). */
  roots: Set<string>;
  /** File descriptors it opened itself, with the access they were opened for. */
  fds: Map<number, Access>;
  resolved: { key: number; read: string[]; write: string[]; sockets: string[] } | null;
}

/** Who a call is charged to, from the stack. */
export interface Attribution {
  /** Contained (not trusted) packages with code on the stack above the nearest app frame, innermost first. */
  packages: string[];
  /** Contained code that cannot be told apart (evaluated code or a data: module without a name). */
  unknown: boolean;
  /** The first frame that is not packsec's own: 'app', 'package', 'unknown', a Node file ('node:net'), or 'none'. */
  caller: string;
  /** Whether the walk ended at a frame of the app (what lies below it is the app's doing). */
  app?: boolean;
}

/** A shared gate: which of Node's own files call it in ordinary use (any other caller is unattributed). */
export interface GateInfo {
  expected: readonly string[];
}

interface CallSite {
  getFileName(): string | null | undefined;
  getScriptNameOrSourceURL?(): string | null | undefined;
  isEval(): boolean;
  getEvalOrigin(): string | undefined;
}

export interface ReachOptions {
  projectDir: string;
  /** Folders of packsec's own code (its frames are never anybody's). */
  ownDirs: string[];
  /** The real Error, for stack traces untouched by any package. */
  Error: ErrorConstructor;
  mainAs: { name: string; root: string } | null;
}

export const EVAL_URL_PREFIX = 'packsec-eval:';
const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';

/** Where the runtime checks hosts and paths. One per runtime (main thread or worker). */
export class Reach {
  /** Whether the policy restricts the hosts (the paths) of any package at all: nothing is checked otherwise. */
  readonly netActive: boolean;
  readonly fsActive: boolean;
  /** Whether a package with such a restriction has been set up: until then nobody's stack needs looking at. */
  private netLoaded = false;
  private fsLoaded = false;
  private readonly packages = new Map<string, PackageReach>();
  /** Owners carried by an object across Node's own asynchronous steps (an HTTP request's creators). */
  private ambientOwners: readonly string[] | null = null;
  private readonly bases: { $project: string; $tmp: string; $home: string };
  private rootsVersion = 0;

  constructor(
    private readonly policy: Policy,
    private readonly monitor: Monitor,
    private readonly o: ReachOptions,
  ) {
    const entries = Object.values(policy.packages);
    this.netActive = entries.some((e) => e.net !== undefined && !e.net.includes('*') && e.trust !== 'full');
    this.fsActive = entries.some((e) => e.fs !== undefined && e.trust !== 'full');
    this.bases = { $project: real(o.projectDir), $tmp: real(tmpdir()), $home: real(homedir()) };
  }

  get warn(): boolean {
    return this.monitor.warn;
  }

  private entry(name: string): PackageReach {
    let p = this.packages.get(name);
    if (p) return p;
    const e = Object.prototype.hasOwnProperty.call(this.policy.packages, name) ? this.policy.packages[name] : undefined;
    const patterns = (e?.net ?? []).map(parseHostPattern).filter((x): x is HostPattern => typeof x !== 'string');
    const grants = (list: string[] | undefined) => (list ?? []).map(parsePathGrant).filter((x): x is PathGrant => typeof x !== 'string');
    p = {
      name,
      // "*" (any host) restricts nothing; the hosts beside it are only a record of what inference saw.
      hosts: e?.net && !e.net.includes('*') ? patterns : null,
      sockets: patterns.flatMap((x) => (x.kind === 'unix' ? [x.path] : [])),
      paths: e?.fs ? { read: grants(e.fs.read), write: grants(e.fs.write) } : null,
      trusted: e?.trust === 'full',
      roots: new Set(),
      fds: new Map(),
      resolved: null,
    };
    this.packages.set(name, p);
    return p;
  }

  restricts(kind: GrantKind, name: string): boolean {
    const p = this.entry(name);
    return !p.trusted && (kind === 'net' ? p.hosts !== null : p.paths !== null);
  }

  /** A package's code is about to run (its context was made, or one of its files loads from `root`). */
  noteLoaded(name: string, root?: string): void {
    const p = this.entry(name);
    if (root && !p.roots.has(root)) {
      p.roots.add(real(root));
      this.rootsVersion++;
    }
    if (p.trusted) return;
    if (p.hosts !== null) this.netLoaded = true;
    if (p.paths !== null) this.fsLoaded = true;
  }

  /** Whether anybody's stack can matter for `kind` yet. */
  live(kind: GrantKind): boolean {
    return kind === 'net' ? this.netLoaded : this.fsLoaded;
  }

  // ---------------------------------------------------------------- who is calling

  /**
   * Walks the stack above `skip` (a packsec function, left out with everything above it). Most calls
   * reach the app's own code within a few frames, so a short stack is taken first and the whole one
   * only when the short one ends before any frame of the app.
   */
  attribution(skip: Function): Attribution {
    const short = this.frames(skip, 12);
    const out = this.walk(short);
    if (out.app || short.length < 12) return out;
    return this.walk(this.frames(skip, Infinity));
  }

  private frames(skip: Function, limit: number): CallSite[] {
    const E = this.o.Error as ErrorConstructor & { prepareStackTrace?: unknown };
    const savedPrepare = E.prepareStackTrace;
    const savedLimit = E.stackTraceLimit;
    try {
      E.prepareStackTrace = (_e: Error, s: CallSite[]) => s;
      E.stackTraceLimit = limit;
      const holder: { stack?: CallSite[] } = {};
      E.captureStackTrace(holder, skip);
      return Array.isArray(holder.stack) ? holder.stack : [];
    } finally {
      E.prepareStackTrace = savedPrepare;
      E.stackTraceLimit = savedLimit;
    }
  }

  private walk(sites: CallSite[]): Attribution {
    const out: Attribution = { packages: [], unknown: false, caller: 'none' };
    for (const site of sites) {
      const kind = this.classify(site);
      if (kind === null) continue;
      if (out.caller === 'none') out.caller = kind.startsWith('node:') ? kind : kind === 'app' ? 'app' : kind === '\0unknown' ? 'unknown' : 'package';
      if (kind === 'app') {
        out.app = true;
        break;
      }
      if (kind.startsWith('node:')) continue;
      if (kind === '\0unknown') {
        out.unknown = true;
        continue;
      }
      if (!out.packages.includes(kind)) out.packages.push(kind);
    }
    return out;
  }

  /**
   * A frame's owner: a package name, 'app' (also a trusted package, which runs as the app does), a
   * Node file ("node:net"), '\0unknown' for contained code without a name, or null for frames that
   * belong to nobody (packsec's own, SES's, native functions).
   */
  private classify(site: CallSite): string | null {
    let file = site.getFileName() ?? undefined;
    if (!file) {
      if (!site.isEval()) return null;
      const origin = site.getEvalOrigin() ?? '';
      return this.o.ownDirs.some((d) => origin.includes(d)) ? '\0unknown' : 'app';
    }
    if (file.startsWith('node:')) return file;
    if (file.startsWith(EVAL_URL_PREFIX)) {
      // Code a compartment evaluated, named after its package by the compartment's transform.
      const origin = site.isEval() ? site.getEvalOrigin() ?? '' : '';
      const name = file.slice(EVAL_URL_PREFIX.length);
      if (!this.o.ownDirs.some((d) => origin.includes(d))) return '\0unknown';
      return this.packageFrame(name, null);
    }
    if (file.startsWith('packsec:data?')) {
      const p = new URLSearchParams(file.slice('packsec:data?'.length)).get('p');
      return p ? this.packageFrame(p, null) : '\0unknown';
    }
    if (file.startsWith('data:') || file.startsWith('packsec:')) return '\0unknown';
    if (file.startsWith('file:')) {
      try {
        file = fileURLToPath(file);
      } catch {
        return '\0unknown';
      }
    }
    if (this.o.ownDirs.some((d) => file!.startsWith(d))) return null;
    if (site.isEval()) {
      // A script named by whoever made it (vm, a sourceURL): it proves nothing about who wrote it.
      const origin = site.getEvalOrigin() ?? '';
      if (this.o.ownDirs.some((d) => origin.includes(d))) return '\0unknown';
    }
    const main = this.o.mainAs;
    if (main && file === main.root) return this.packageFrame(main.name, null);
    const loc = packageOfPath(file);
    if (!loc) return 'app';
    return this.packageFrame(loc.name, loc.root);
  }

  private packageFrame(name: string, root: string | null): string {
    const p = this.entry(name);
    if (root && !p.roots.has(root)) {
      p.roots.add(real(root));
      this.rootsVersion++;
    }
    return p.trusted ? 'app' : name;
  }

  /** Runs `fn` with `owners` charged for what it does synchronously (an HTTP request's events, its queued socket). */
  withOwners<T>(owners: readonly string[] | null | undefined, fn: () => T): T {
    if (!owners || owners.length === 0) return fn();
    const saved = this.ambientOwners;
    this.ambientOwners = saved ? [...new Set([...saved, ...owners])] : owners;
    try {
      return fn();
    } finally {
      this.ambientOwners = saved;
    }
  }

  /**
   * The restricted packages a call is charged to: the holder of the facade it came through, the
   * restricted packages on the stack, and the carried owners. `unattributed` when a shared gate was
   * reached without any code to charge it to, or through contained code without a name.
   */
  owners(kind: GrantKind, holder: string | null, skip: Function, gate: GateInfo | null, extra?: readonly string[]): { owners: string[]; unattributed: boolean } {
    const owners: string[] = [];
    const add = (n: string) => {
      if (!owners.includes(n) && this.restricts(kind, n)) owners.push(n);
    };
    if (holder) add(holder);
    for (const n of extra ?? []) add(n);
    for (const n of this.ambientOwners ?? []) add(n);
    if (!this.live(kind)) return { owners, unattributed: false };
    // The stack can only add a restricted package that has run; when those are all charged already
    // (a tree with one restricted package, calling through its own facade), it is not looked at.
    if (holder !== null && this.loadedRestricted(kind).every((n) => owners.includes(n))) return { owners, unattributed: false };
    const a = this.attribution(skip);
    for (const n of a.packages) add(n);
    let unattributed = a.unknown;
    // A gate reached by Node's own code is the app's doing when the app's code is further down the stack;
    // with nobody's code below, only the callers the gate expects are Node's ordinary work.
    if (gate && holder === null && a.packages.length === 0 && !a.app && !extra?.length && !this.ambientOwners?.length) {
      unattributed ||= a.caller === 'none' || a.caller === 'unknown' || (a.caller.startsWith('node:') && !gate.expected.includes(a.caller));
    }
    return { owners, unattributed };
  }

  /** Every loaded package with a restriction of `kind` (what unattributed code is held to). */
  private loadedRestricted(kind: GrantKind): readonly string[] {
    return this.loaded[kind];
  }

  /** Restricted packages whose code has been set up to run, by kind (a package's code runs only after its context is made). */
  private readonly loaded: Record<GrantKind, string[]> = { net: [], fs: [] };
  private readonly contexts = new Set<string>();

  /** Called when a package's context is made: it counts as loaded from then on. */
  noteContext(name: string): void {
    if (!this.contexts.has(name)) {
      this.contexts.add(name);
      for (const kind of ['net', 'fs'] as const) if (this.restricts(kind, name)) this.loaded[kind].push(name);
    }
    this.noteLoaded(name);
  }

  // ---------------------------------------------------------------- hosts

  /**
   * Checks a connection (or a lookup, `port` null) to `host` for everyone it is charged to. Denies (throws,
   * unless in warn mode) for the first one that may not; returns the restricted packages it was charged to.
   */
  checkHost(holder: string | null, host: string, port: number | null, skip: Function, gate: GateInfo | null = null, extra?: readonly string[], verb = 'connect to'): string[] {
    if (!this.netActive) return [];
    const charge = this.owners('net', holder, skip, gate, extra);
    this.allowHost(charge, host, port, verb);
    return charge.owners;
  }

  allowHost(charge: { owners: string[]; unattributed: boolean }, host: string, port: number | null, verb = 'connect to'): void {
    const allows = (n: string) => hostAllowed(this.entry(n).hosts ?? [], host, port);
    for (const n of charge.owners) if (!allows(n)) this.denyHost(n, host, port, verb);
    if (charge.unattributed) {
      const blocking = this.loadedRestricted('net').filter((n) => !allows(n));
      const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      if (blocking.length) this.denyUnattributed('net', `${verb} ${port === null ? shown : `${shown}:${port}`}`, blocking);
    }
  }

  private denyHost(name: string, host: string, port: number | null, verb: string): void {
    const canon = canonicalHost(host) ?? host.toLowerCase();
    const shown = canon.includes(':') && !canon.startsWith('[') ? `[${canon}]` : canon;
    const grant = port === null ? shown : `${shown}:${port}`;
    this.monitor.deny({ package: name, kind: 'net', capability: grant, detail: `${verb} ${grant}` });
  }

  /** Taking over an open socket by its file descriptor or handle: the host it leads to cannot be checked. */
  denyAdopt(name: string, fd: unknown): void {
    this.monitor.deny({ package: name, kind: 'net', capability: `fd:${String(fd)}`, detail: `use the open socket ${fd === undefined ? 'handle' : `file descriptor ${String(fd)}`}, whose host cannot be checked` });
  }

  /**
   * A unix socket: `net` must grant it (as "unix:<path>") and, where `fs` restricts the package, write
   * access too. Returns the packages the connection was charged to for `net`.
   */
  checkSocketPath(holder: string | null, path: string, skip: Function, gate: GateInfo | null = null, extra?: readonly string[]): string[] {
    if (!this.netActive && !this.fsActive) return [];
    const net = this.netActive ? this.owners('net', holder, skip, gate, extra) : { owners: [], unattributed: false };
    this.allowSocket(net, path, holder, skip, gate, extra);
    return net.owners;
  }

  /** Judges a unix socket path for a `net` charge already made (and charges `fs` for it where paths are restricted). */
  allowSocket(net: { owners: string[]; unattributed: boolean }, path: string, holder: string | null, skip: Function, gate: GateInfo | null, extra?: readonly string[]): void {
    const target = this.realTarget(absolute(path), true);
    const allowsNet = (n: string) => this.resolvedOf(this.entry(n)).sockets.some((d) => pathInside(target, d, CASE_INSENSITIVE));
    for (const n of net.owners) {
      if (!allowsNet(n)) this.monitor.deny({ package: n, kind: 'net', capability: `unix:${this.suggest(n, target)}`, detail: `connect to the unix socket ${target}` });
    }
    if (net.unattributed) {
      const blocking = this.loadedRestricted('net').filter((n) => !allowsNet(n));
      if (blocking.length) this.denyUnattributed('net', `connect to the unix socket ${target}`, blocking);
    }
    if (this.fsActive) this.judge(this.owners('fs', holder, skip, gate, extra), target, 'write');
  }

  // ---------------------------------------------------------------- paths

  /**
   * The folders a package may read and write, resolved for this process ($package: every copy seen so
   * far; grants through symlinks: their targets). Re-resolved when a new copy shows up.
   */
  private resolvedOf(p: PackageReach): { read: string[]; write: string[]; sockets: string[] } {
    if (p.resolved && p.resolved.key === this.rootsVersion) return p.resolved;
    // Before any file of it was seen (it runs as a child's entry, say), a package's folder is where npm puts it.
    const roots = p.roots.size ? [...p.roots] : [real(`${this.o.projectDir}/node_modules/${p.name}`)];
    const expand = (g: PathGrant): string[] => {
      const bases = g.base === '$package' ? roots : g.base === '/' ? ['/'] : [this.bases[g.base]];
      return bases.map((b) => {
        const joined = g.rest ? (b.endsWith('/') ? b + g.rest : `${b}/${g.rest}`) : b;
        return real(joined);
      });
    };
    const write = (p.paths?.write ?? []).flatMap(expand);
    const read = [...write, ...(p.paths?.read ?? []).flatMap(expand)];
    p.resolved = { key: this.rootsVersion, read, write, sockets: p.sockets.flatMap(expand) };
    return p.resolved;
  }

  /**
   * Where a path leads, as the kernel would resolve it: the real path of what exists (so a symlink
   * inside an allowed folder that points out of it is judged by its target, and `a/link/..` by the
   * link's parent, not lexically), with the part that does not exist yet appended. With `follow` false
   * the last component itself is judged (lstat, unlink, rename, the new name of a link).
   */
  realTarget(abs: string, follow: boolean): string {
    const name = basename(abs);
    if (!follow && name !== '..' && name !== '.' && abs !== '/') {
      const parent = this.realTarget(dirname(abs), true);
      return parent === '/' ? `/${name}` : `${parent}/${name}`;
    }
    try {
      return realpathSync.native(abs);
    } catch {
      const parent = dirname(abs);
      if (parent === abs) return abs;
      const realParent = this.realTarget(parent, true);
      if (name === '..') return dirname(realParent);
      if (name === '.' || name === '') return realParent;
      return realParent === '/' ? `/${name}` : `${realParent}/${name}`;
    }
  }

  /** Checks access to `path` (absolute, as given) for everyone the call is charged to. */
  checkPath(holder: string | null, path: string, access: Access, follow: boolean, skip: Function, gate: GateInfo | null = null, extra?: readonly string[]): void {
    if (!this.fsActive) return;
    const charge = this.owners('fs', holder, skip, gate, extra);
    if (!charge.owners.length && !charge.unattributed) return;
    this.judge(charge, this.realTarget(path, follow), access);
  }

  /** Judges an already resolved target (see realTarget) for a charge. */
  judge(charge: { owners: string[]; unattributed: boolean }, target: string, access: Access): void {
    const { owners, unattributed } = charge;
    const allows = (n: string) => {
      const r = this.resolvedOf(this.entry(n));
      return (access === 'write' ? r.write : r.read).some((d) => pathInside(target, d, CASE_INSENSITIVE));
    };
    for (const n of owners) {
      if (!allows(n)) {
        this.monitor.deny({ package: n, kind: access === 'write' ? 'fs-write' : 'fs-read', capability: this.suggest(n, target), detail: target });
      }
    }
    if (unattributed) {
      const blocking = this.loadedRestricted('fs').filter((n) => !allows(n));
      if (blocking.length) this.denyUnattributed('fs', `${access} ${target}`, blocking);
    }
  }

  /** The grant that would allow `target`: under $package, $project, $tmp or $home when it is, else the path. */
  suggest(name: string, target: string): string {
    const p = this.entry(name);
    const under = (dir: string) => pathInside(target, dir, CASE_INSENSITIVE);
    for (const root of p.roots) if (under(root)) return formatPathGrant({ base: '$package', rest: rel(root, target) });
    // The longest of the other bases wins ($home may hold the project).
    const bases = (Object.entries(this.bases) as [keyof Reach['bases'], string][]).filter(([, d]) => under(d)).sort((a, b) => b[1].length - a[1].length);
    const best = bases[0];
    if (best) return formatPathGrant({ base: best[0], rest: rel(best[1], target) });
    return target;
  }

  // ---------------------------------------------------------------- file descriptors

  /** Records a file descriptor opened for these packages (the holder and the restricted ones on the stack). */
  recordFd(owners: readonly string[], fd: unknown, access: Access): void {
    if (typeof fd !== 'number') return;
    for (const n of owners) this.entry(n).fds.set(fd, access);
  }

  forgetFd(owners: readonly string[], fd: unknown): void {
    if (typeof fd !== 'number') return;
    for (const n of owners) this.entry(n).fds.delete(fd);
  }

  /**
   * A file descriptor may be used by a package whose paths are restricted only when it opened it
   * itself (the standard streams 0, 1 and 2 excepted): a number could name any file the app has open.
   */
  allowFd(charge: { owners: string[]; unattributed: boolean }, fd: unknown, access: Access): void {
    if (typeof fd !== 'number') return;
    const allows = (n: string) => {
      if (fd === 0) return access === 'read' || this.entry(n).fds.has(0);
      if (fd === 1 || fd === 2) return true;
      const had = this.entry(n).fds.get(fd);
      return had !== undefined && (access === 'read' || had === 'write');
    };
    for (const n of charge.owners) {
      if (!allows(n)) {
        this.monitor.deny({
          package: n, kind: 'fd', capability: `fd ${fd}`,
          detail: `${access === 'write' ? 'write to' : 'use'} file descriptor ${fd}, which it did not open itself: its paths are restricted by packages[${JSON.stringify(n)}].fs in packsec.policy.json, so it may use only the descriptors it opened (and 0, 1, 2)`,
        });
      }
    }
    if (charge.unattributed) {
      const blocking = this.loadedRestricted('fs').filter((n) => !allows(n));
      if (blocking.length) this.denyUnattributed('fs', `use file descriptor ${fd}`, blocking);
    }
  }

  /** A stream's own fs used on a descriptor that stream did not open. */
  denyForeignFd(holder: string | null, fd: unknown, skip: Function): void {
    const name = holder ?? this.attribution(skip).packages[0] ?? '(unattributed)';
    this.monitor.deny({ package: name, kind: 'fd', capability: `fd ${String(fd)}`, detail: `use file descriptor ${String(fd)} through a stream's own fs functions, which did not open it` });
  }

  /** What cannot be checked against path grants (bytes that are not UTF-8, an fs function packsec does not know). */
  refuseUncheckable(charge: { owners: string[]; unattributed: boolean }, capability: string, what: string): void {
    const names = charge.owners.length ? charge.owners : ['(unattributed)'];
    for (const n of names) {
      this.monitor.deny({ package: n, kind: 'unsupported', capability, detail: `${capability} with ${what} cannot be checked against its paths in packages[${JSON.stringify(n)}].fs` });
    }
  }

  denyBuiltin(name: string, capability: string): void {
    this.monitor.deny({ package: name, kind: 'builtin', capability });
  }

  private denyUnattributed(kind: GrantKind, what: string, blocking: string[]): void {
    const shown = blocking.slice(0, 3).map((n) => JSON.stringify(n)).join(', ') + (blocking.length > 3 ? ` and ${blocking.length - 3} more` : '');
    this.monitor.deny({
      package: '(unattributed)',
      kind: 'unattributed',
      capability: `${kind}:${what}`,
      detail: `a built-in function was called to ${what} with no code on the stack to charge it to (a bound function run straight from a timer, a promise or an event), while ${shown} may not ${kind === 'net' ? 'connect there' : 'do that'}`,
    });
  }
}

function real(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

function rel(dir: string, target: string): string {
  const d = dir.endsWith('/') ? dir : dir + '/';
  return target === dir ? '' : target.slice(d.length);
}

/** A path made absolute against the working folder without normalising it (the kernel resolves `..` after links). */
export function absolute(path: string): string {
  if (path.startsWith('/')) return path;
  const cwd = process.cwd();
  return path === '' ? cwd : `${cwd === '/' ? '' : cwd}/${path}`;
}

