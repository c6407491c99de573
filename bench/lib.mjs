// What the benchmarks share: pinned trees installed once under bench/.work/ (reused while their
// package.json and lock are unchanged), LavaMoat from its own pinned tree, and small helpers.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const WORK = join(BENCH, '.work');

export function log(s) {
  process.stderr.write(s + '\n');
}

export function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

export function hash(s) {
  return createHash('sha256').update(s).digest('hex');
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function npm(cwd, command) {
  const r = spawnSync('npm', [command, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) fail(`npm ${command} failed in ${cwd}`);
}

/** Installs bench/trees/<name> into bench/.work/<name> (npm ci from the committed lock), once. */
export function installTree(name) {
  const spec = join(BENCH, 'trees', name);
  const dir = join(WORK, name);
  const lockIn = join(spec, 'package-lock.json');
  const inputs = [join(spec, 'package.json'), ...(existsSync(lockIn) ? [lockIn] : [])];
  const key = hash(inputs.map((f) => readFileSync(f, 'utf8')).join('\0'));
  const marker = join(dir, '.installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === key && existsSync(join(dir, 'node_modules'))) return dir;

  mkdirSync(dir, { recursive: true });
  rmSync(marker, { force: true });
  copyFileSync(join(spec, 'package.json'), join(dir, 'package.json'));
  const ci = existsSync(lockIn);
  if (ci) copyFileSync(lockIn, join(dir, 'package-lock.json'));
  else rmSync(join(dir, 'package-lock.json'), { force: true });
  log(`installing tree ${name} (${ci ? 'npm ci from the committed lock' : 'npm install, no lock yet'}) ...`);
  npm(dir, ci ? 'ci' : 'install');
  // First install: keep the resolved lock so the next machine installs exactly this tree.
  if (!ci) copyFileSync(join(dir, 'package-lock.json'), lockIn);
  writeFileSync(marker, hash([join(spec, 'package.json'), lockIn].map((f) => readFileSync(f, 'utf8')).join('\0')));
  return dir;
}

export function installLavamoat() {
  const dir = installTree('lavamoat');
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', 'lavamoat', 'package.json'), 'utf8'));
  return { dir, version: pkg.version, bin: join(dir, 'node_modules', 'lavamoat', pkg.bin.lavamoat) };
}

/** Which packsec build is measured: its commit, whether src/ has local changes, and when it was built. */
export function describePacksec(packsecBin) {
  const root = dirname(BENCH);
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' });
  const built = join(dirname(dirname(packsecBin)), 'build', 'src', 'cli', 'index.js');
  return {
    bin: relative(root, packsecBin),
    commit: git.stdout.trim() || null,
    srcModified: dirty.stdout.trim() !== '',
    built: existsSync(built) ? statSync(built).mtime.toISOString() : null,
  };
}
