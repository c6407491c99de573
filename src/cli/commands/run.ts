// `packsec run [--warn] [--report file] <entry> [args…]` (npsx): runs the app in a child node process
// whose preamble contains every package by the committed policy. Child node processes inherit it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { POLICY_FILE, readPolicy } from '../../policy/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';

export interface RunData {
  exitCode: number;
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
  entry: string;
  args: string[];
}

/** Options come before the entry; everything after it belongs to the app. */
export function parseRunArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { warn: false, report: null, prefix: null, entry: '', args: [] };
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
  usage: 'packsec run [--warn] [--report violations.json] <entry> [args…]',
  options: {},
  rawArgs: true,
  async run(_values, argv) {
    const opts = parseRunArgs(argv);
    const dir = opts.prefix ? resolve(opts.prefix) : findProject(process.cwd());
    if (!dir) throw new CliError('NO_PROJECT', `no ${POLICY_FILE} in ${process.cwd()} or any folder above it`, 'run `packsec init` in the project first');
    // Validate here, so a broken policy is a clear exit 2 before the app starts.
    if (!readPolicy(dir)) throw new CliError('NO_PROJECT', `no ${POLICY_FILE} in ${dir}`, 'run `packsec init` first');
    const importFlag = `--import=${PREAMBLE.href}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PACKSEC_PROJECT: dir,
      PACKSEC_NODE_OPTIONS: importFlag,
      NODE_OPTIONS: `${importFlag} ${process.env.NODE_OPTIONS ?? ''}`.trim(),
    };
    if (opts.warn) env.PACKSEC_WARN = '1';
    else delete env.PACKSEC_WARN;
    if (opts.report) env.PACKSEC_REPORT = resolve(opts.report);
    else delete env.PACKSEC_REPORT;
    const child = spawn(process.execPath, [opts.entry, ...opts.args], { stdio: 'inherit', env });
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

function osSignal(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal];
}


