// Argument parsing on node:util parseArgs, with npm-style global flags and usage errors as CliError.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  prefix: { type: 'string', short: 'C' },
  help: { type: 'boolean', short: 'h' },
};

export function parse(argv: string[], options: OptionSpec): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    throw new CliError('USAGE', (err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}
