// Hashing speed of `packsec verify`: MB/s of installed files on the large pinned tree, with one
// worker and with every core, warm (page cache) runs, and `packsec verify --offline` end to end
// against `sha256sum` over the same files, measured in the same run. Target: >= 500 MB/s.
// Writes bench/results/verify.json.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BENCH, installTree, log, median } from './lib.mjs';

const { hashCopies } = await import('../build/src/verify/hash-pool.js');
const { nodePowers } = await import('../build/src/analyze/index.js');
const { findPackages } = await import('../build/src/analyze/tree.js');

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const dir = installTree('large');
const { copies } = findPackages(dir, nodePowers);
const dirs = copies.map((c) => c.dir);
const cli = join(BENCH, '..', 'bin', 'packsec.js');
const init = spawnSync(process.execPath, [cli, 'init', '--offline', '--quiet'], { cwd: dir, encoding: 'utf8' });
if (init.status !== 0) throw new Error(`packsec init failed: ${init.stderr}`);

async function rate(workers) {
  const times = [];
  let bytes = 0;
  await hashCopies(dirs, { workers }); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    const r = await hashCopies(dirs, { workers });
    times.push(r.ms);
    bytes = r.bytes;
  }
  const ms = median(times);
  return { workers, ms, mb: +(bytes / 1e6).toFixed(1), mbPerSecond: Math.round(bytes / 1e6 / (ms / 1000)) };
}

function timed(cmd, args, options) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, options);
    times.push(performance.now() - t);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  }
  return Math.round(median(times));
}

const one = await rate(1);
const all = await rate(availableParallelism());
const verifyMs = timed(process.execPath, [cli, 'verify', '--offline', '--quiet'], { cwd: dir, encoding: 'utf8' });
// The same bytes through coreutils, as a floor for what reading and hashing them costs here.
const list = spawnSync('sh', ['-c', 'find node_modules -type f -print0 > .files0'], { cwd: dir });
if (list.status !== 0) throw new Error('find failed');
const shaMs = timed('sh', ['-c', 'xargs -0 -P ' + availableParallelism() + ' -n 200 sha256sum < .files0 > /dev/null'], { cwd: dir });

const result = {
  node: process.version, cores: availableParallelism(), copies: copies.length, mb: all.mb, runs: RUNS,
  hashing: [one, all],
  verifyOffline: { ms: verifyMs, mbPerSecond: Math.round(all.mb / (verifyMs / 1000)) },
  sha256sum: { ms: shaMs, mbPerSecond: Math.round(all.mb / (shaMs / 1000)), ratio: +(verifyMs / shaMs).toFixed(2) },
};
log(`large tree: ${copies.length} copies, ${all.mb} MB`);
for (const h of result.hashing) log(`  hashing, ${h.workers} worker${h.workers === 1 ? '' : 's'}: ${h.ms} ms = ${h.mbPerSecond} MB/s`);
log(`  packsec verify --offline (process start, lock, walk, hash, compare): ${verifyMs} ms = ${result.verifyOffline.mbPerSecond} MB/s`);
log(`  sha256sum over the same files (${availableParallelism()} in parallel): ${shaMs} ms = ${result.sha256sum.mbPerSecond} MB/s; verify/sha256sum ${result.sha256sum.ratio}x`);
writeFileSync(join(BENCH, 'results', 'verify.json'), JSON.stringify(result, null, 2) + '\n');
