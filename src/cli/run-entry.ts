// The entry for `packsec run` / `npsx`: only what starting a contained app needs (no analyser, no
// other commands), since it loads into the app's own process.
import { runCommand } from './commands/run.js';
import { createDisplay } from './display.js';
import { describeError } from './errors.js';

export async function runEntry(argv: string[]): Promise<number> {
  const display = createDisplay({ json: false, quiet: false });
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`Usage: ${runCommand.usage}\n\n${runCommand.summary}\n`);
    return 0;
  }
  let start: (() => void) | undefined;
  try {
    const result = await runCommand.run({}, argv, display);
    start = result.data.start;
    if (!start) return result.exit;
  } catch (err) {
    const failure = describeError(err);
    display.out(`packsec: ${failure.message}${failure.hint ? `\n  ${failure.hint}` : ''}`);
    return failure.exit;
  }
  start();
  return -1;
}
