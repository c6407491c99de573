// The packsec command line: picks the command, parses its options, runs it, prints through the
// display layer, and turns the outcome into an exit code.
import { readFileSync } from 'node:fs';
import { parse } from './args.js';
import type { Command } from './command.js';
import { createDisplay } from './display.js';
import { CliError, describeError } from './errors.js';

// Each command is loaded when it runs: the registry's and the approval gateway's modules (a database
// driver, a web framework, WebAuthn) cost a `packsec check` or `npsm` start-up ~100 ms otherwise.
const COMMANDS: Record<string, () => Promise<Command<any>>> = {
  init: async () => (await import('./commands/init.js')).initCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  install: async () => (await import('./commands/install.js')).installCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  registry: async () => (await import('./commands/registry.js')).registryCommand,
  trust: async () => (await import('./commands/trust.js')).trustCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function help(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const lines = [
    `packsec ${version()} — capability security for npm packages`,
    '',
    'Usage: packsec <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Options for every command:',
    '  --json          one JSON document on stdout (human text goes to stderr)',
    '  -C, --prefix    the project folder (default: the current folder)',
    '  -q, --quiet     less output',
    '  -h, --help      this help, or a command\'s usage with `packsec <command> --help`',
    '',
    'Exit codes: 0 ok, 1 a check found a problem or a run was denied, 2 usage or bad input.',
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await help()) + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const wantsJson = rest.includes('--json');
  const display = createDisplay({ json: wantsJson, quiet: rest.includes('--quiet') || rest.includes('-q') });
  try {
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new CliError('USAGE', `unknown command "${name}"`);
    const command = await load();
    if (command.rawArgs) {
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n`);
        return 0;
      }
      const result = await command.run({}, rest, display);
      return result.exit;
    }
    const { values, positionals } = parse(rest, command.options);
    if (values.help) {
      process.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n`);
      return 0;
    }
    const result = await command.run(values, positionals, display);
    // Long-running commands (the registry) report as they go and return no final document.
    if (display.json) {
      if (result.data !== undefined) display.result(result.data);
    }
    else command.print(result, display);
    return result.exit;
  } catch (err) {
    display.endProgress();
    const failure = describeError(err);
    if (display.json) display.result({ error: { code: failure.code, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) } });
    display.out(`packsec: ${failure.message}${failure.hint ? `\n  ${failure.hint}` : ''}`);
    return failure.exit;
  }
}
