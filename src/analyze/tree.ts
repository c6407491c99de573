// Finds every installed package copy under a project's node_modules (nested, scoped, symlinked),
// guarding against symlink loops and unreadable folders.
import { basename, dirname, join, relative, sep } from 'node:path';
import type { ReadPowers } from './powers.js';

export interface FoundCopy {
  /** Where it is linked from, relative to the project: node_modules/a/node_modules/b. */
  path: string;
  /** Real folder on disk. */
  dir: string;
  /** The name it is installed under (the folder name, which is what require() resolves). */
  installedAs: string;
}

export interface TreeProblem {
  path: string;
  message: string;
}

const MAX_DEPTH = 64;

export function findPackages(projectDir: string, powers: ReadPowers): { copies: FoundCopy[]; problems: TreeProblem[] } {
  const copies: FoundCopy[] = [];
  const problems: TreeProblem[] = [];
  const seen = new Set<string>();
  const rel = (p: string) => relative(projectDir, p).split(sep).join('/');
  // Links are followed after every real folder, so a copy is found at its own place and under its own
  // name whatever order the walk meets the links to it in.
  const links: { linkPath: string; installedAs: string; depth: number }[] = [];

  const walked = new Set<string>();

  const walkNodeModules = (nmDir: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      problems.push({ path: rel(nmDir), message: `node_modules nested more than ${MAX_DEPTH} levels; not followed` });
      return;
    }
    let entries;
    try {
      const real = powers.realpath(nmDir);
      if (walked.has(real)) return;
      walked.add(real);
      entries = powers.readDir(nmDir);
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const full = join(nmDir, e.name);
      if (e.name.startsWith('@')) {
        let scoped;
        try {
          scoped = powers.readDir(full);
        } catch {
          continue;
        }
        for (const s of scoped.sort((a, b) => (a.name < b.name ? -1 : 1))) {
          if (!s.name.startsWith('.')) visitPackage(join(full, s.name), `${e.name}/${s.name}`, s.kind, depth);
        }
      } else visitPackage(full, e.name, e.kind, depth);
    }
  };

  const visitPackage = (linkPath: string, installedAs: string, kind: string, depth: number, deferred = false): void => {
    if (kind !== 'dir' && kind !== 'symlink') return;
    if (kind === 'symlink' && !deferred) {
      links.push({ linkPath, installedAs, depth });
      return;
    }
    let real: string;
    try {
      real = powers.realpath(linkPath);
    } catch {
      problems.push({ path: rel(linkPath), message: 'broken symlink' });
      return;
    }
    if (powers.stat(real)?.kind !== 'dir') return;
    // Symlinked folders outside any node_modules are the app's own workspaces: not dependencies.
    if (kind === 'symlink' && !real.split(sep).includes('node_modules')) return;
    if (seen.has(real)) {
      if (kind === 'symlink') return; // a second link to a copy already found
      return;
    }
    seen.add(real);
    copies.push({ path: rel(linkPath), dir: real, installedAs });
    walkNodeModules(join(real, 'node_modules'), depth + 1);
    // Isolated layouts (pnpm: node_modules/.pnpm/a@1/node_modules/{a,b}) keep a package's dependencies
    // beside it, in the node_modules folder that holds it; Node finds them there, and so must we.
    const holder = installedAs.includes('/') ? dirname(dirname(real)) : dirname(real);
    if (basename(holder) === 'node_modules') walkNodeModules(holder, depth + 1);
  };

  walkNodeModules(join(projectDir, 'node_modules'), 0);
  for (let i = 0; i < links.length; i++) {
    const l = links[i]!;
    visitPackage(l.linkPath, l.installedAs, 'symlink', l.depth, true);
  }
  return { copies, problems };
}

const MAX_FILES_PER_PACKAGE = 50_000;

export interface PackageFile {
  /** Relative to the package folder, with forward slashes. */
  rel: string;
  kind: 'file' | 'symlink';
}

/**
 * Every file of a package copy, not descending into its nested node_modules. For the app's own code
 * (`app`), hidden folders and node_modules at any depth are skipped too.
 */
export function listPackageFiles(dir: string, powers: ReadPowers, app = false): { files: PackageFile[]; problems: string[] } {
  const files: PackageFile[] = [];
  const problems = walkPackageFiles(dir, powers, (rel, kind) => files.push({ rel, kind }), app);
  return { files: files.sort(byRel), problems };
}

/**
 * Visits every file of a package copy in no particular order (what listPackageFiles lists, without
 * building and sorting the list: the runtime walks a copy at its first load). Returns the problems.
 */
export function walkPackageFiles(dir: string, powers: ReadPowers, visit: (rel: string, kind: 'file' | 'symlink') => void, app = false): string[] {
  const problems: string[] = [];
  const stack: string[] = [''];
  let count = 0;
  while (stack.length) {
    const sub = stack.pop()!;
    let entries;
    try {
      entries = powers.readDir(sub === '' ? dir : join(dir, sub));
    } catch (err) {
      problems.push(`${sub || '.'}: cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    for (const e of entries) {
      const rel = sub === '' ? e.name : `${sub}/${e.name}`;
      if (e.kind === 'dir') {
        if (rel !== 'node_modules' && !(app && (e.name === 'node_modules' || e.name.startsWith('.')))) stack.push(rel);
      } else if (e.kind === 'file' || e.kind === 'symlink') {
        visit(rel, e.kind);
        if (++count >= MAX_FILES_PER_PACKAGE) {
          problems.push(`more than ${MAX_FILES_PER_PACKAGE} files; the rest were not listed`);
          return problems;
        }
      }
    }
  }
  return problems;
}

function byRel(a: PackageFile, b: PackageFile): number {
  return a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0;
}

/** How the lock records a file: "sha256-<base64>" of its bytes' SHA-256 digest. */
export function fileRecord(digest: Buffer): string {
  return `sha256-${digest.toString('base64')}`;
}

/** How the lock records a symlink: "symlink:<target, relative to the package folder>" ("?" when broken). */
export function symlinkRecord(dir: string, rel: string, powers: ReadPowers): string {
  let target = '?';
  try {
    target = relative(dir, powers.realpath(join(dir, rel))).split(sep).join('/');
  } catch { /* broken link */ }
  return `symlink:${target}`;
}
