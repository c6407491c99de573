// Shared test helpers: repository paths, temporary projects written from object literals, and running the built CLI.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from build/test/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const cliPath = join(repoRoot, 'bin', 'packsec.js');

/** Files of a small project: path → contents (objects are written as JSON). */
export type Files = Record<string, string | object>;

export function writeFiles(root: string, files: Files): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = join(root, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
}

/** Rewrites a JSON file (a project's policy or lock) through `edit`. */
export function editJson(file: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  edit(json);
  writeFileSync(file, JSON.stringify(json, null, 2));
}

/** A fresh temporary folder holding `files`; returns its real path. */
export function tmpProject(files: Files = {}, prefix = 'packsec-test-'): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  writeFiles(root, { 'package.json': { name: 'app', version: '1.0.0', private: true }, ...files });
  return root;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cliOptions = (cwd: string, env: NodeJS.ProcessEnv) => ({ cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' as const, timeout: 120_000 });

/** Runs bin/packsec.js as a user would, in `cwd`, without colour. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], cliOptions(cwd, env));
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * The ways an installed package gets tampered with after it was recorded, each as a change to
 * node_modules/left-pad of a project made from fixtures/basic. check, verify and run must all catch them.
 */
export const TAMPERS: Array<{ what: string; tamper: (dir: string) => void }> = [
  { what: 'modified file', tamper: (d) => writeFileSync(join(d, 'node_modules/left-pad/index.js'), '// harmless but different\nmodule.exports = 1;\n') },
  { what: 'added file', tamper: (d) => writeFileSync(join(d, 'node_modules/left-pad/payload.js'), 'never loaded') },
  { what: 'deleted file', tamper: (d) => unlinkSync(join(d, 'node_modules/left-pad/index.js')) },
  {
    what: 'swapped package.json',
    tamper: (d) => {
      const file = join(d, 'node_modules/left-pad/package.json');
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...pkg, main: 'other.js' }));
    },
  },
  { what: 'symlink out of the package', tamper: (d) => symlinkSync('/etc', join(d, 'node_modules/left-pad/etc')) },
  {
    what: 'folder replaced by another version',
    tamper: (d) => {
      rmSync(join(d, 'node_modules/left-pad'), { recursive: true });
      mkdirSync(join(d, 'node_modules/left-pad'));
      writeFileSync(join(d, 'node_modules/left-pad/package.json'), JSON.stringify({ name: 'left-pad', version: '1.3.0' }));
      writeFileSync(join(d, 'node_modules/left-pad/index.js'), 'module.exports = (s) => s;\n');
    },
  },
];

/** runCli without blocking the event loop, for tests whose servers live in the test process. */
export function runCliAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** A copy of fixtures/basic after `packsec init`: a policy and a lock to tamper with. */
export function initialisedBasic(prefix: string): string {
  const dir = tmpProject({}, prefix);
  cpSync(join(fixturesDir, 'basic'), dir, { recursive: true });
  const r = runCli(['init'], dir);
  if (r.code !== 0) throw new Error(`packsec init failed (exit ${r.code}): ${r.stderr}`);
  return dir;
}
