// `packsec registry`: runs the npm-compatible registry until SIGINT/SIGTERM; `packsec registry token`
// creates a user if needed and prints a new publish token, `registry advisory` adds and lists the
// advisories it serves (both safe while the server runs).
import { resolve } from 'node:path';
import { createUserToken, FileStore, startRegistry, type ApprovalMode } from '../../registry/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { ADVISORY_OPTIONS, ADVISORY_USAGE, printAdvisories, runAdvisory, type AdvisoryData } from './registry-advisory.js';
import { APPROVAL_OPTIONS, APPROVAL_USAGE, printApproval, runApproval, type ApprovalData } from './registry-approval.js';

export interface RegistryTokenData {
  user: string;
  token: string;
  userCreated: boolean;
  readonly: boolean;
}

type RegistryData = RegistryTokenData | AdvisoryData | ApprovalData | undefined;

function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function dataDir(values: Record<string, unknown>): string {
  const dir = stringOption(values, 'data');
  if (!dir) throw new CliError('USAGE', 'the registry needs a data folder: --data DIR');
  return resolve(dir);
}

function port(text: string | undefined): number {
  if (text === undefined) return 4873;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CliError('USAGE', `--port: expected a number from 0 to 65535, got ${JSON.stringify(text)}`);
  return n;
}

function url(option: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return u.href;
  } catch {
    throw new CliError('USAGE', `${option}: expected an http(s) URL, got ${JSON.stringify(text)}`);
  }
}

export const registryCommand: Command<RegistryData> = {
  name: 'registry',
  summary: 'run an npm-compatible registry where publishes wait for approval (`registry token`, `advisory`, `login-link`, `group`)',
  usage: [
    'packsec registry --data DIR [--port 4873] [--host 127.0.0.1] [--public-url URL] [--upstream URL]',
    '                 [--approval required|off] [--approval-database embedded|postgres://…] [--signup] [--quiet] [--json]',
    '       packsec registry token --data DIR --user NAME [--email ADDRESS] [--readonly] [--json]',
    ADVISORY_USAGE,
    APPROVAL_USAGE,
  ].join('\n'),
  options: {
    data: { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    'public-url': { type: 'string' },
    upstream: { type: 'string' },
    approval: { type: 'string' },
    'approval-database': { type: 'string' },
    signup: { type: 'boolean' },
    user: { type: 'string' },
    email: { type: 'string' },
    readonly: { type: 'boolean' },
    ...ADVISORY_OPTIONS,
    ...APPROVAL_OPTIONS,
  },
  async run(values, positionals, display) {
    const [sub, ...extra] = positionals;
    if (sub === 'token') {
      if (extra.length) throw new CliError('USAGE', `unexpected argument ${extra[0]}`);
      const user = stringOption(values, 'user');
      if (!user) throw new CliError('USAGE', 'registry token needs --user NAME');
      const store = new FileStore(dataDir(values));
      store.init();
      const email = stringOption(values, 'email');
      const made = createUserToken(store, user, { readonly: values.readonly === true, ...(email ? { email } : {}) });
      return { exit: 0, data: { user, token: made.token, userCreated: made.created, readonly: made.record.readonly } };
    }
    if (sub === 'advisory') {
      const store = new FileStore(dataDir(values));
      store.init();
      return { exit: 0, data: runAdvisory(store, extra, (name) => stringOption(values, name)) };
    }
    if (sub === 'login-link' || sub === 'group') return { exit: 0, data: await runApproval(sub, dataDir(values), extra, (name) => stringOption(values, name)) };
    if (sub !== undefined) throw new CliError('USAGE', `unknown registry subcommand "${sub}" (expected nothing, token, advisory, login-link or group)`);
    // Every publish waits for its approval groups unless the operator turns that off.
    const approval = stringOption(values, 'approval') ?? 'required';
    if (approval !== 'off' && approval !== 'required') throw new CliError('USAGE', `--approval: expected off or required, got ${JSON.stringify(approval)}`);
    const quiet = values.quiet === true;
    const upstream = url('--upstream', stringOption(values, 'upstream'));
    const publicUrl = url('--public-url', stringOption(values, 'public-url'));
    let running;
    try {
      running = await startRegistry({
        dataDir: dataDir(values),
        port: port(stringOption(values, 'port')),
        host: stringOption(values, 'host') ?? '127.0.0.1',
        approval: approval as ApprovalMode,
        signup: values.signup === true,
        ...(stringOption(values, 'approval-database') ? { approvalDatabase: stringOption(values, 'approval-database')! } : {}),
        ...(upstream ? { upstream } : {}),
        ...(publicUrl ? { publicUrl } : {}),
        ...(quiet ? {} : { log: (line: string) => process.stderr.write(line + '\n') }),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new CliError('SERVER', `cannot listen: ${(err as Error).message}`, 'pick another --port (0 picks a free one) or --host');
      throw err;
    }
    const c = display.color;
    const web = running.gateway?.webUrl;
    if (display.json) display.line({ event: 'listening', url: running.url, port: running.port, data: running.dataDir, keyid: running.keyid, approval, upstream: upstream ?? null, approveUrl: web ? `${web}/-/approve/` : null });
    display.out(`packsec registry listening on ${c.bold(running.url)}  (data ${running.dataDir}${upstream ? `, upstream ${upstream}` : ''}, approval ${approval})`);
    if (web) display.out(`approvers sign in at ${web}/-/approve/ (one-time links: packsec registry login-link --data ${running.dataDir} --user NAME)`);
    const stop = await new Promise<NodeJS.Signals>((done) => {
      const on = (s: NodeJS.Signals) => () => done(s);
      process.once('SIGINT', on('SIGINT'));
      process.once('SIGTERM', on('SIGTERM'));
    });
    await running.close();
    if (display.json) display.line({ event: 'stopped', signal: stop });
    display.info(`packsec registry stopped (${stop})`);
    return { exit: 0, data: undefined };
  },
  print({ data }, d) {
    if (!data) return;
    if ('advisories' in data) return printAdvisories(data, d);
    if ('action' in data) return printApproval(data, d);
    // The token alone on stdout, so `TOKEN=$(packsec registry token …)` works; the rest is for humans.
    process.stdout.write(data.token + '\n');
    d.info(`${data.userCreated ? 'created user' : 'user'} ${data.user}; new ${data.readonly ? 'read-only ' : ''}token above. In .npmrc: //HOST:PORT/:_authToken=<token>`);
  },
};
