// The shape of a CLI command: it parses its own options, does its work through the domain modules,
// and returns data plus an exit code; printing happens in its `print`, never in `run`.
import type { Display } from './display.js';
import type { OptionSpec } from './args.js';

export interface CommandResult<T = unknown> {
  data: T;
  /** 0 ok, 1 a check found a problem or a run was denied (`run` passes the app's own code on). */
  exit: number;
}

export interface Command<T = unknown> {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  /** The command parses its own arguments (everything after the command name, untouched). */
  rawArgs?: boolean;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[], display: Display): Promise<CommandResult<T>>;
  print(result: CommandResult<T>, display: Display): void;
}
