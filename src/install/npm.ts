// npm's own libraries, loaded the way npm loads them: its configuration (every .npmrc, the
// environment, the command line) through @npmcli/config, resolution and reification through
// @npmcli/arborist, fetching through pacote. packsec never resolves or fetches on its own.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The subset of an Arborist node packsec reads. */
export interface ArbNode {
  name: string;
  packageName: string;
  version: string;
  location: string;
  path: string;
  resolved: string | null;
  integrity: string | null;
  isRoot: boolean;
  isLink: boolean;
  inBundle: boolean;
  hasInstallScript: boolean;
  dev: boolean;
  optional: boolean;
  package: Record<string, unknown>;
  target: ArbNode;
}

export interface ArbTree {
  inventory: Map<string, ArbNode>;
  meta?: { loadedFromDisk: boolean };
}

export interface Arborist {
  loadActual(options?: object): Promise<ArbTree>;
  loadVirtual(options?: object): Promise<ArbTree>;
  buildIdealTree(options?: object): Promise<ArbTree>;
  reify(options?: object): Promise<ArbTree>;
  idealTree: ArbTree | null;
}

export interface Pacote {
  extract(spec: string, dest: string, options: object): Promise<{ resolved: string; integrity: string; from: string }>;
  packument(spec: string, options: object): Promise<Record<string, unknown>>;
  manifest(spec: string, options: object): Promise<Record<string, unknown>>;
  tarball(spec: string, options: object): Promise<Buffer>;
}

/** A response of npm-registry-fetch (minipass-fetch): the body is a stream of Buffers. */
export interface RegistryResponse {
  status: number;
  body: AsyncIterable<Buffer>;
}

/** npm-registry-fetch: a request to the configured registry with npm's auth, proxy, TLS and retry settings. */
export type RegistryFetch = (path: string, options: object) => Promise<RegistryResponse>;

export function registryFetch(): RegistryFetch {
  return require('npm-registry-fetch') as RegistryFetch;
}

export function arborist(options: object): Arborist {
  const Ctor = require('@npmcli/arborist') as new (options: object) => Arborist;
  return new Ctor(options);
}

export function pacote(): Pacote {
  return require('pacote') as Pacote;
}

export interface NpmConfig {
  /** Flat options as npm hands them to arborist and pacote (registry, auth, scopes, save flags, …). */
  flat: Record<string, unknown> & { registry?: string; before?: Date | null };
  /** Positional arguments after the npm command. */
  positionals: string[];
  /** The project: the nearest folder with package.json or node_modules, as npm finds it. */
  localPrefix: string;
  /** A raw config value, e.g. get('min-release-age'). */
  get(key: string): unknown;
}

let cachedNpmPath: string | null | undefined;

/** Where the user's npm lives (its builtin npmrc and version); null when there is no npm to find. */
export function findNpm(): string | null {
  if (cachedNpmPath !== undefined) return cachedNpmPath;
  const isNpm = (dir: string): boolean => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'npm-cli.js'));
  const execpath = process.env.npm_execpath;
  const candidates = [
    ...(execpath && /npm-cli\.js$/.test(execpath) ? [dirname(dirname(execpath))] : []),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'),
  ];
  for (const c of candidates) if (isNpm(c)) return (cachedNpmPath = realpathSync(c));
  // Only when npm is not beside node: ask the npm on PATH (a process start).
  try {
    const root = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    if (root && isNpm(join(root, 'npm'))) return (cachedNpmPath = realpathSync(join(root, 'npm')));
  } catch {
    // no npm on PATH
  }
  return (cachedNpmPath = null);
}

/**
 * Loads npm's configuration for `npm <command> <args…>` run in `cwd`: builtin, global, user and
 * project .npmrc files, npm_config_* variables and the command-line flags, exactly as npm would.
 */
export async function loadNpmConfig(command: string, args: string[], cwd: string): Promise<NpmConfig> {
  const Config = require('@npmcli/config') as new (options: object) => {
    load(): Promise<void>;
    flat: NpmConfig['flat'];
    parsedArgv: { remain: string[] };
    localPrefix: string;
    get(key: string): unknown;
  };
  const defs = require('@npmcli/config/lib/definitions') as { definitions: object; shorthands: object; flatten: object; nerfDarts: string[] };
  const npmPath = findNpm() ?? dirname(dirname(require.resolve('@npmcli/config/package.json')));
  const config = new Config({
    npmPath,
    definitions: defs.definitions,
    shorthands: defs.shorthands,
    flatten: defs.flatten,
    nerfDarts: defs.nerfDarts,
    argv: [process.execPath, 'npm', command, ...args],
    cwd,
    excludeNpmCwd: true,
    env: process.env,
  });
  // npm's config logs warnings (unknown keys in .npmrc…) through process 'log' events; npm prints
  // them. So do we, once each, on stderr.
  const seen = new Set<string>();
  const onLog = (level: string, ...parts: unknown[]): void => {
    if (level !== 'warn' && level !== 'error') return;
    const line = parts.map(String).join(' ');
    if (seen.has(line)) return;
    seen.add(line);
    process.stderr.write(`npm ${level} ${line}\n`);
  };
  process.on('log', onLog);
  try {
    await config.load();
  } finally {
    process.off('log', onLog);
  }
  const remain = config.parsedArgv.remain;
  return { flat: config.flat, positionals: remain[0] === command ? remain.slice(1) : remain, localPrefix: config.localPrefix, get: (k) => config.get(k) };
}
