// `packsec run [--warn] [--report file] <entry> [args…]` (npsx): runs the app (in this process, or in a
// child node process) with a preamble that contains every package by the committed policy and verifies
// what loads from node_modules against the lock. Child node processes inherit it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LOCK_FILE, POLICY_FILE, readLock, readPolicy, type Lock } from '../../policy/index.js';
import { permissionFlags, permissionNeeds, stablePermissionModel } from '../../runtime/permission.js';
import type { Command } from '../command.js';
import type { Display } from '../display.js';
import { CliError } from '../errors.js';

export interface RunData {
  exitCode: number;
  /** In-process runs: starts the app; called outside packsec's own error handling. */
  start?: () => void;
}

const PREAMBLE = new URL('../../runtime/preamble.js', import.meta.url);

/** The nearest folder upwards holding packsec.policy.json, like npm finds a package root. */
function findProject(from: string): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, POLICY_FILE))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

export interface RunOptions {
  warn: boolean;
  report: string | null;
  prefix: string | null;
  /** Start the app in a child node process (needed for Node flags such as the permission model). */
  spawn: boolean;
  /** Node's permission model on top (default: on where Node has a stable one, 22.13+ and 24). */
  permission: boolean | null;
  /** Verify what loads from node_modules against the lock (`--no-verify` turns it off). */
  verify: boolean;
  /** Refuse to run without a lock, instead of warning that nothing is verified. */
  requireLock: boolean;
  nodeFlags: string[];
  entry: string;
  args: string[];
}

/** Options come before the entry; everything after it belongs to the app. */
export function parseRunArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { warn: false, report: null, prefix: null, spawn: false, permission: null, verify: true, requireLock: false, nodeFlags: [], entry: '', args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-')) break;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new CliError('USAGE', `${flag} needs a value`);
      return v;
    };
    if (flag === '--warn') opts.warn = true;
    else if (flag === '--report') opts.report = value();
    else if (flag === '--prefix' || flag === '-C') opts.prefix = value();
    else if (flag === '--spawn') opts.spawn = true;
    else if (flag === '--permission') opts.permission = true;
    else if (flag === '--no-permission') opts.permission = false;
    else if (flag === '--no-verify') opts.verify = false;
    else if (flag === '--require-lock') opts.requireLock = true;
    else throw new CliError('USAGE', `unknown option ${flag} for run (options go before the entry file)`);
  }
  const entry = argv[i];
  if (!entry) throw new CliError('USAGE', 'run needs an entry file: packsec run [--warn] [--report file] <entry> [args…]');
  opts.entry = entry;
  opts.args = argv.slice(i + 1);
  return opts;
}

export const runCommand: Command<RunData> = {
  name: 'run',
  summary: 'run an app with every package contained by packsec.policy.json (npsx)',
  usage: 'packsec run [--warn] [--report violations.json] [--[no-]permission] [--spawn] [--no-verify] [--require-lock] <entry> [args…]',
  options: {},
  rawArgs: true,
  async run(_values, argv, display) {
    const opts = parseRunArgs(argv);
    const dir = opts.prefix ? resolve(opts.prefix) : findProject(process.cwd());
    if (!dir) throw new CliError('NO_PROJECT', `no ${POLICY_FILE} in ${process.cwd()} or any folder above it`, 'run `packsec init` in the project first');
    // Validate here, so a broken policy or lock is a clear exit 2 before the app starts.
    const policy = readPolicy(dir);
    if (!policy) throw new CliError('NO_PROJECT', `no ${POLICY_FILE} in ${dir}`, 'run `packsec init` first');
    const permission = opts.permission ?? stablePermissionModel();
    const lock = opts.verify || opts.requireLock || permission ? readLock(dir) : null;
    const verify = verifying(opts, lock, dir, display);
    if (permission) {
      opts.spawn = true;
      opts.nodeFlags.push(...permissionFlags(permissionNeeds(policy, lock?.app), stablePermissionModel()));
    }
    const importFlag = `--import=${PREAMBLE.href}`;
    const env: Record<string, string | undefined> = {
      PACKSEC_PROJECT: dir,
      PACKSEC_NODE_OPTIONS: importFlag,
      // Child node processes inherit the runtime through NODE_OPTIONS.
      NODE_OPTIONS: `${importFlag} ${process.env.NODE_OPTIONS ?? ''}`.trim(),
      PACKSEC_WARN: opts.warn ? '1' : undefined,
      PACKSEC_REPORT: opts.report ? resolve(opts.report) : undefined,
      PACKSEC_AS_PACKAGE: undefined,
      PACKSEC_VERIFY: verify ? '1' : '0',
    };
    if (!opts.spawn) {
      if (verify && lock) (await import('../../runtime/lock-view.js')).handOverLock(lock);
      // In this process: no second node start-up. The preamble locks down and installs the loaders,
      // then Node runs the entry exactly as `node <entry>` would.
      for (const [k, v] of Object.entries(env)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      const entry = resolve(opts.entry);
      process.argv = [process.argv[0]!, entry, ...opts.args];
      const preamble = (await import(`${PREAMBLE.href}?in-process`)) as { runMain(entry: string): void };
      // From a fresh tick, so an error the app does not catch is an uncaught exception, as under node.
      const start = () => process.nextTick(() => preamble.runMain(entry));
      return { exit: -1, data: { exitCode: -1, start } };
    }
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete childEnv[k];
      else childEnv[k] = v;
    }
    const child = spawn(process.execPath, [...opts.nodeFlags, opts.entry, ...opts.args], { stdio: 'inherit', env: childEnv });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const exitCode = await new Promise<number>((done) => {
      child.on('error', (err) => {
        process.stderr.write(`packsec: cannot start node: ${err.message}\n`);
        done(2);
      });
      child.on('exit', (code, signal) => done(code ?? (signal ? 128 + (osSignal(signal) ?? 1) : 1)));
    });
    for (const [s, h] of handlers) process.off(s, h);
    return { exit: exitCode, data: { exitCode } };
  },
  print() {
    // The app printed what it had to say.
  },
};

/**
 * Whether loads are verified: with a lock, unless --no-verify. Without one the app still runs, with a
 * warning (printed here: it must come before the app's own output), unless --require-lock.
 */
function verifying(opts: RunOptions, lock: Lock | null, dir: string, display: Display): boolean {
  if (!lock && opts.requireLock) throw new CliError('NO_LOCK', `no ${LOCK_FILE} in ${dir}, and --require-lock was given`);
  if (!opts.verify) return false;
  if (!lock) display.out(`packsec: no ${LOCK_FILE} in ${dir}: the code in node_modules is not verified (run \`packsec init\` to record it)`);
  return lock !== null;
}

function osSignal(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal];
}


