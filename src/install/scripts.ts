// Runs the install scripts the policy allows, after node_modules is written, contained:
// - every node process a script starts runs under packsec's runtime as that package (its policy:
//   no network, no env, no child processes unless granted), through NODE_OPTIONS;
// - under Node's permission model, it may write only to its own folder and a fresh temp dir;
// - the script's environment is rebuilt from scratch: no tokens, a temp HOME, npm's lifecycle variables.
// Shell commands themselves (sh, make, a compiler) are not contained beyond the clean environment and
// working directory; see docs/install.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { scriptsKey } from '../analyze/index.js';
import { parseBuiltinCapability, type PackagePolicy } from '../policy/index.js';
import { findNpm } from './npm.js';

const PREAMBLE = new URL('../runtime/preamble.js', import.meta.url);
const EVENTS = ['preinstall', 'install', 'postinstall'];
// Locale, toolchain, and how this machine reaches the network (proxies, extra CA certificates).
const PASS_ENV = [
  'LANG', 'LC_ALL', 'TERM', 'npm_config_nodedir', 'npm_config_python', 'PYTHON', 'CC', 'CXX',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
];

export interface ScriptCopy {
  location: string;
  name: string;
  scripts: Record<string, string>;
}

export interface ScriptResult {
  name: string;
  location: string;
  event: string;
  command: string;
  exit: number | null;
  ms: number;
  /** The last lines of output, kept when the script failed. */
  output?: string;
  /**
   * What packsec denied the script's node processes (their `packsec: …` lines), kept whatever the exit
   * code: a script that catches a denial and exits 0 still tried something its policy does not allow.
   */
  denials?: string[];
}

/** The runtime's denial lines in a script's output, each once, in order. */
export function denialLines(output: string): string[] {
  return [...new Set(output.split('\n').filter((l) => /^packsec(?: \(warn\))?: /.test(l)))];
}

function quote(path: string): string {
  return /[\s"]/.test(path) ? `"${path.replace(/(["\\])/g, '\\$1')}"` : path;
}

/** Node's permission flags for one script: write only here, start only what the policy grants. */
export function scriptPermissionFlags(entry: PackagePolicy, writable: string[], stable: boolean): string[] {
  // One flag per path: Node (20.20, 22, 24) no longer accepts comma-separated lists.
  const flags = [stable ? '--permission' : '--experimental-permission', '--allow-fs-read=*'];
  for (const w of writable) flags.push(`--allow-fs-write=${quote(w)}`);
  const builtins = (entry.builtins ?? []).map(parseBuiltinCapability);
  const trusted = entry.trust === 'full';
  if (trusted || builtins.some((b) => b.module === 'child_process')) flags.push('--allow-child-process');
  // On Node 20 packsec's ESM loader hooks run on a worker thread of their own; packages still get
  // workers only through the runtime, which grants worker_threads per package.
  if (trusted || !stable || builtins.some((b) => b.module === 'worker_threads')) flags.push('--allow-worker');
  if (trusted || entry.native) flags.push('--allow-addons');
  flags.push('--disable-warning=SecurityWarning', '--disable-warning=ExperimentalWarning');
  return flags;
}


function binDirs(projectDir: string, location: string): string[] {
  // npm puts every node_modules/.bin from the package up to the project on PATH.
  const dirs: string[] = [];
  const parts = location.split('/');
  for (let i = parts.length; i > 0; i--) {
    if (parts[i - 1] === 'node_modules') dirs.push(join(projectDir, ...parts.slice(0, i), '.bin'));
  }
  dirs.push(join(projectDir, 'node_modules', '.bin'));
  return [...new Set(dirs)];
}

export async function runInstallScripts(
  copies: ScriptCopy[],
  projectDir: string,
  policy: { packages: Record<string, PackagePolicy> },
  options: { timeoutMs?: number; onStart?: (name: string, event: string) => void } = {},
): Promise<ScriptResult[]> {
  const results: ScriptResult[] = [];
  // Dependencies before their dependents, as npm does: deeper locations first.
  const ordered = [...copies].sort((a, b) => b.location.split('/node_modules/').length - a.location.split('/node_modules/').length || (a.location < b.location ? -1 : 1));
  const npm = findNpm();
  const nodeGyp = npm ? join(npm, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : null;
  const stable = process.allowedNodeEnvironmentFlags.has('--permission');
  for (const copy of ordered) {
    const pkgDir = join(projectDir, copy.location);
    const entry = policy.packages[copy.name] ?? {};
    for (const event of EVENTS) {
      const command = copy.scripts[event];
      if (command === undefined) continue;
      options.onStart?.(copy.name, event);
      const temp = mkdtempSync(join(tmpdir(), 'packsec-script-'));
      const nodeOptions = [`--import=${quote(PREAMBLE.href)}`, ...scriptPermissionFlags(entry, [pkgDir, temp], stable)].join(' ');
      const env: NodeJS.ProcessEnv = {
        PATH: [dirname(process.execPath), ...binDirs(projectDir, copy.location), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter),
        HOME: temp,
        TMPDIR: temp,
        TMP: temp,
        TEMP: temp,
        NODE: process.execPath,
        NODE_OPTIONS: nodeOptions,
        PACKSEC_NODE_OPTIONS: nodeOptions,
        PACKSEC_PROJECT: projectDir,
        PACKSEC_AS_PACKAGE: copy.name,
        PACKSEC_NO_CACHE: '1',
        INIT_CWD: projectDir,
        npm_lifecycle_event: event,
        npm_lifecycle_script: command,
        npm_package_name: copy.name,
        npm_package_json: join(pkgDir, 'package.json'),
        npm_node_execpath: process.execPath,
        npm_config_user_agent: `packsec npm/? node/${process.version} ${process.platform} ${process.arch}`,
        ...(nodeGyp ? { npm_config_node_gyp: nodeGyp } : {}),
      };
      for (const k of PASS_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
      const started = performance.now();
      const { exit, output } = await new Promise<{ exit: number | null; output: string }>((done) => {
        const child = spawn('/bin/sh', ['-c', command], { cwd: pkgDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        const keep = (b: Buffer) => {
          out += b.toString('utf8');
          if (out.length > 64 * 1024) out = out.slice(-32 * 1024);
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10 * 60_000);
        child.on('error', (err) => {
          clearTimeout(timer);
          done({ exit: null, output: err.message });
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          done({ exit: code, output: out });
        });
      });
      rmSync(temp, { recursive: true, force: true });
      const result: ScriptResult = { name: copy.name, location: copy.location, event, command, exit, ms: Math.round(performance.now() - started) };
      if (exit !== 0) result.output = output.split('\n').slice(-20).join('\n');
      const denials = denialLines(output);
      if (denials.length) result.denials = denials;
      results.push(result);
      if (exit !== 0) break; // npm stops a package's lifecycle at the first failure
    }
  }
  return results;
}

/**
 * `npsm rebuild [names]`: runs the allowed install scripts of installed copies again, but only where
 * the installed scripts are exactly the ones recorded (reviewed) in the lock.
 */
export async function rebuildScripts(
  projectDir: string,
  policy: { packages: Record<string, PackagePolicy> },
  records: Record<string, { name: string; scripts?: Record<string, string> }>,
  installed: (location: string) => Record<string, string> | null,
  names: string[],
): Promise<{ ran: ScriptResult[]; skipped: { name: string; location: string; reason: string }[] }> {
  const skipped: { name: string; location: string; reason: string }[] = [];
  const copies: ScriptCopy[] = [];
  for (const [location, rec] of Object.entries(records)) {
    if (names.length && !names.includes(rec.name)) continue;
    const now = installed(location);
    if (!now || !Object.keys(now).length) continue;
    if (policy.packages[rec.name]?.scripts !== true) {
      skipped.push({ name: rec.name, location, reason: 'not allowed by the policy' });
      continue;
    }
    if (scriptsKey(now) !== scriptsKey(rec.scripts ?? {})) {
      skipped.push({ name: rec.name, location, reason: 'its scripts differ from the reviewed ones in packsec.lock.json' });
      continue;
    }
    copies.push({ location, name: rec.name, scripts: now });
  }
  return { ran: await runInstallScripts(copies, projectDir, policy), skipped };
}
