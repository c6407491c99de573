// Which package a file belongs to, by its path: the folder after the last node_modules segment.
// Identity comes from where the installer put the package, never from its own package.json.
import { sep } from 'node:path';

export interface PackageLocation {
  name: string;
  /** The package folder: …/node_modules/<name>. */
  root: string;
}

const MARK = `${sep}node_modules${sep}`;

/** Whether Node keeps the paths of symlinks instead of resolving them (then a file's path is not its real one). */
export const PRESERVE_SYMLINKS = process.execArgv.includes('--preserve-symlinks') || process.env.NODE_PRESERVE_SYMLINKS === '1';

export function packageOfPath(file: string): PackageLocation | null {
  const i = file.lastIndexOf(MARK);
  if (i < 0) return null;
  const start = i + MARK.length;
  const rest = file.slice(start);
  const parts = rest.split(sep);
  if (parts[0] === undefined || parts[0] === '' || parts[0].startsWith('.')) return null;
  if (parts[0].startsWith('@')) {
    if (parts.length < 3 || !parts[1]) return null;
    const name = `${parts[0]}/${parts[1]}`;
    return { name, root: file.slice(0, start) + parts[0] + sep + parts[1] };
  }
  if (parts.length < 2) return null;
  return { name: parts[0], root: file.slice(0, start) + parts[0] };
}

/** The package whose folder is `path` or holds it. */
export function packageAt(path: string): PackageLocation | null {
  return packageOfPath(path + sep + '_');
}

/** True when `file` is inside `dir` (or is it). */
export function isInside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
