// Locating the user's project from --prefix / the working directory.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';

export function projectDir(prefix: string | boolean | string[] | undefined): string {
  const dir = resolve(typeof prefix === 'string' ? prefix : process.cwd());
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError('NO_PROJECT', `${dir} is not a folder`);
  return dir;
}

/**
 * Refuses a project whose dependencies are not installed. One whose package.json declares none has no
 * node_modules after `npm install` either: it is taken as it is (an app with no packages).
 */
export function requireNodeModules(dir: string): void {
  if (existsSync(join(dir, 'node_modules')) || declaresNoDependencies(dir)) return;
  throw new CliError('NO_NODE_MODULES', `no node_modules in ${dir}`);
}

function declaresNoDependencies(dir: string): boolean {
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return false; // no package.json, or a broken one: say what is missing
  }
  if (typeof pkg !== 'object' || pkg === null) return false;
  const fields = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies'];
  return fields.every((f) => {
    const v = (pkg as Record<string, unknown>)[f];
    return v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  });
}

/** "a, b, c and 4 more" */
export function listNames(names: string[], max = 8): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
