// Locating the user's project from --prefix / the working directory.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';

export function projectDir(prefix: string | boolean | string[] | undefined): string {
  const dir = resolve(typeof prefix === 'string' ? prefix : process.cwd());
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError('NO_PROJECT', `${dir} is not a folder`);
  return dir;
}

export function requireNodeModules(dir: string): void {
  if (!existsSync(join(dir, 'node_modules'))) {
    throw new CliError('NO_NODE_MODULES', `no node_modules in ${dir}`);
  }
}

/** "a, b, c and 4 more" */
export function listNames(names: string[], max = 8): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
