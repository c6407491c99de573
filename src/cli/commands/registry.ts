// `packsec registry`: runs the npm-compatible registry until SIGINT/SIGTERM; `packsec registry token`
// creates a user if needed and prints a new publish token, `registry advisory` adds and lists the
// advisories it serves (both safe while the server runs). --database (or PACKSEC_REGISTRY_DATABASE)
// says where the records are.
import { resolve } from 'node:path';
import { chooseDatabase, migrateToDatabase, registryToken, startRegistry, type ApprovalMode, type MadeToken, type Migrated } from '../../registry/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { ADVISORY_OPTIONS, ADVISORY_USAGE, printAdvisories, runAdvisory, type AdvisoryData } from './registry-advisory.js';
import { APPROVAL_OPTIONS, APPROVAL_USAGE, printApproval, runApproval, type ApprovalData } from './registry-approval.js';

export type RegistryTokenData = MadeToken;

type RegistryData = RegistryTokenData | AdvisoryData | ApprovalData | { migrated: Migrated } | undefined;

function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function dataDir(values: Record<string, unknown>): string {
  const dir = stringOption(values, 'data');
  if (!dir) throw new CliError('USAGE', 'the registry needs a data folder: --data DIR');
  return resolve(dir);
}

/** The env var keeps a PostgreSQL password out of the command line (which other local users can see). */
export const DATABASE_ENV = 'PACKSEC_REGISTRY_DATABASE';

/** The store for the data folder: --database, else the env var, else what the folder holds (a new one: embedded). */
export function databaseFor(dir: string, values: Record<string, unknown>): string {
  const given = stringOption(values, 'database') ?? (process.env[DATABASE_ENV] || undefined);
  if (given === 'memory') throw new CliError('USAGE', '--database: expected files, embedded or a postgres:// URL, got "memory"');
  return chooseDatabase(dir, given);
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
    'packsec registry --data DIR [--database files|embedded|postgres://…] [--port 4873] [--host 127.0.0.1]',
    '                 [--public-url URL] [--upstream URL] [--approval required|off] [--approval-database embedded|postgres://…]',
    '                 [--signup] [--quiet] [--json]',
    '       packsec registry token --data DIR [--database …] --user NAME [--email ADDRESS] [--readonly]\n                              [--packages NAME,@SCOPE,…] [--expires DAYS] [--json]',
    ADVISORY_USAGE,
    APPROVAL_USAGE,
    '       packsec registry migrate --data DIR --database embedded|postgres://… [--json]   (JSON files into a database)',
  ].join('\n'),
  options: {
    data: { type: 'string' },
    database: { type: 'string' },
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
    packages: { type: 'string' },
    expires: { type: 'string' },
    ...ADVISORY_OPTIONS,
    ...APPROVAL_OPTIONS,
  },
  async run(values, positionals, display) {
    const [sub, ...extra] = positionals;
    if (sub === 'token') {
      if (extra.length) throw new CliError('USAGE', `unexpected argument ${extra[0]}`);
      const user = stringOption(values, 'user');
      if (!user) throw new CliError('USAGE', 'registry token needs --user NAME');
      const dir = dataDir(values);
      const email = stringOption(values, 'email');
      const packages = stringOption(values, 'packages')?.split(',').map((p) => p.trim()).filter(Boolean);
      const expires = stringOption(values, 'expires');
      if (expires !== undefined && !/^\d+$/.test(expires)) throw new CliError('USAGE', `--expires: expected a number of days, got ${JSON.stringify(expires)}`);
      const made = await registryToken(dir, databaseFor(dir, values), {
        user, readonly: values.readonly === true, ...(email ? { email } : {}),
        ...(packages ? { packages } : {}), ...(expires !== undefined ? { expiresInDays: Number(expires) } : {}),
      });
      return { exit: 0, data: made };
    }
    if (sub === 'advisory') {
      const dir = dataDir(values);
      return { exit: 0, data: await runAdvisory(dir, databaseFor(dir, values), extra, (name) => stringOption(values, name)) };
    }
    if (sub === 'migrate') {
      if (extra.length) throw new CliError('USAGE', `unexpected argument ${extra[0]}`);
      const target = stringOption(values, 'database') ?? (process.env[DATABASE_ENV] || undefined);
      if (target === undefined) throw new CliError('USAGE', 'registry migrate needs --database embedded or --database postgres://…');
      return { exit: 0, data: { migrated: await migrateToDatabase(dataDir(values), target) } };
    }
    if (sub === 'login-link' || sub === 'group') return { exit: 0, data: await runApproval(sub, dataDir(values), extra, (name) => stringOption(values, name)) };
    if (sub !== undefined) throw new CliError('USAGE', `unknown registry subcommand "${sub}" (expected nothing, token, advisory, login-link, group or migrate)`);
    // Every publish waits for its approval groups unless the operator turns that off.
    const approval = stringOption(values, 'approval') ?? 'required';
    if (approval !== 'off' && approval !== 'required') throw new CliError('USAGE', `--approval: expected off or required, got ${JSON.stringify(approval)}`);
    const quiet = values.quiet === true;
    const upstream = url('--upstream', stringOption(values, 'upstream'));
    const publicUrl = url('--public-url', stringOption(values, 'public-url'));
    const dir = dataDir(values);
    const database = databaseFor(dir, values);
    let running;
    try {
      running = await startRegistry({
        dataDir: dir,
        database,
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
    // Listen for the signals before saying that it listens: a supervisor may stop it right after that line.
    const stopSignal = new Promise<NodeJS.Signals>((done) => {
      const on = (s: NodeJS.Signals) => () => done(s);
      process.once('SIGINT', on('SIGINT'));
      process.once('SIGTERM', on('SIGTERM'));
    });
    const c = display.color;
    const web = running.gateway?.webUrl;
    const store = running.database.kind === 'files' ? 'files' : running.database.kind === 'embedded' ? `embedded database ${running.database.location}` : running.database.location;
    if (display.json) {
      display.line({
        event: 'listening', url: running.url, port: running.port, data: running.dataDir, store: running.database.kind, database: running.database.location,
        keyid: running.keyid, approval, upstream: upstream ?? null, approveUrl: web ? `${web}/-/approve/` : null,
      });
    }
    display.out(`packsec registry listening on ${c.bold(running.url)}  (data ${running.dataDir}, store ${store}${upstream ? `, upstream ${upstream}` : ''}, approval ${approval})`);
    if (web) display.out(`approvers sign in at ${web}/-/approve/ (one-time links: packsec registry login-link --data ${running.dataDir} --user NAME)`);
    for (const note of running.notes) display.info(`note: ${note}`);
    const stop = await stopSignal;
    await running.close();
    if (display.json) display.line({ event: 'stopped', signal: stop });
    display.info(`packsec registry stopped (${stop})`);
    return { exit: 0, data: undefined };
  },
  print({ data }, d) {
    if (!data) return;
    if ('migrated' in data) {
      const m = data.migrated;
      d.out(`moved ${m.packages} packages, ${m.users} users, ${m.tokens} tokens, ${m.stages} pending requests and ${m.advisories} advisories into ${m.database}`);
      if (m.orphanTokens) d.out(`left out ${m.orphanTokens} tokens of users that no longer exist`);
      d.info('the JSON records stay in the folder but are no longer read; start the registry with the same --database');
      return;
    }
    if ('advisories' in data) return printAdvisories(data, d);
    if ('action' in data) return printApproval(data, d);
    // The token alone on stdout, so `TOKEN=$(packsec registry token …)` works; the rest is for humans.
    process.stdout.write(data.token + '\n');
    const limits = [data.packages ? `writes only ${data.packages.join(', ')}` : '', data.expiresAt ? `expires ${data.expiresAt}` : ''].filter(Boolean).join('; ');
    d.info(`${data.userCreated ? 'created user' : 'user'} ${data.user}; new ${data.readonly ? 'read-only ' : ''}token above${limits ? ` (${limits})` : ''}. In .npmrc: //HOST:PORT/:_authToken=<token>`);
  },
};
