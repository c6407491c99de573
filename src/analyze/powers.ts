// The file-system powers the analyzer is given; tests pass an in-memory version, the CLI nodePowers.
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';

export interface DirEntry {
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

export interface ReadPowers {
  readFile(path: string): Buffer;
  readDir(path: string): DirEntry[];
  realpath(path: string): string;
  /** Follows symlinks; null when the path does not exist. */
  stat(path: string): { kind: 'file' | 'dir' | 'other'; size: number } | null;
  /** Does not follow symlinks; null when the path does not exist. */
  lstat(path: string): { kind: 'file' | 'dir' | 'symlink' | 'other'; size: number } | null;
}

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): 'file' | 'dir' | 'symlink' | 'other' {
  return s.isSymbolicLink() ? 'symlink' : s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
}

export const nodePowers: ReadPowers = {
  readFile: (p) => readFileSync(p),
  readDir: (p) => readdirSync(p, { withFileTypes: true }).map((d) => ({ name: d.name, kind: kindOf(d) })),
  realpath: (p) => realpathSync(p),
  stat(p) {
    try {
      const s = statSync(p);
      return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other', size: s.size };
    } catch {
      return null;
    }
  },
  lstat(p) {
    try {
      const s = lstatSync(p);
      return { kind: kindOf(s), size: s.size };
    } catch {
      return null;
    }
  },
};
