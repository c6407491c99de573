// Load on `packsec registry` (the publish-approval gateway) on loopback, as its own process with
// --approval required: install-style fetches from 200 concurrent clients (packument + tarball, integrity
// checked), 20 concurrent publishes (the document npm publish sends, racing duplicates included), both
// at once, and real `npm install` processes. Afterwards every accepted version must be stored exactly
// once with its tarball's integrity, and become installable once approved. Writes bench/results/registry.json.
//   BENCH_PACKAGES=100 BENCH_INSTALLS=6000 BENCH_CONCURRENCY=200 BENCH_PUBLISHES=100
//   BENCH_PUBLISH_CONCURRENCY=20 BENCH_NPM=20 BENCH_NPM_CONCURRENCY=10 node bench/registry.mjs
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH, describePacksec, fail, log } from './lib.mjs';

const BUILT = join(BENCH, '..', 'build', 'src', 'registry', 'index.js');
if (!existsSync(BUILT)) fail('build packsec first: npm run build');
const { createUserToken, FileStore, seedPackage, settleVersion } = await import(BUILT);

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const P = {
  packages: env('BENCH_PACKAGES', 100),
  installs: env('BENCH_INSTALLS', 6000),
  concurrency: env('BENCH_CONCURRENCY', 200),
  publishes: env('BENCH_PUBLISHES', 100),
  publishConcurrency: env('BENCH_PUBLISH_CONCURRENCY', 20),
  publishFileBytes: env('BENCH_PUBLISH_BYTES', 256 * 1024),
  npmInstalls: env('BENCH_NPM', 20),
  npmConcurrency: env('BENCH_NPM_CONCURRENCY', 10),
  npmDependencies: env('BENCH_NPM_DEPS', 5),
};
const CLI = join(BENCH, '..', 'bin', 'packsec.js');
const LOAD = join(BENCH, 'registry-load.mjs');
const work = mkdtempSync(join(tmpdir(), 'packsec-bench-registry-'));
const data = join(work, 'data');

function percentiles(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => +s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: +s[s.length - 1].toFixed(1) };
}

/** Text that compresses about as well as source code does (tarballs of 2 to 45 kB, as most on npm). */
function noise(seed, bytes) {
  const parts = [];
  let block = createHash('sha512').update(seed).digest();
  for (let n = 0; n < bytes; n += 86) {
    parts.push(`${block.toString('base64')}\n`);
    block = createHash('sha512').update(block).digest();
  }
  return parts.join('').slice(0, bytes);
}

function sri(bytes) {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Runs the load client as a second process. */
function load(job) {
  return new Promise((done, reject) => {
    execFile(process.execPath, [LOAD, JSON.stringify(job)], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load client failed: ${stderr || err.message}`));
      else done(JSON.parse(stdout));
    });
  });
}

function summarise(r, unit) {
  const seconds = r.wallMs / 1000;
  return {
    [unit]: r.latencies.length, errors: r.errors.length, firstErrors: r.errors.slice(0, 5),
    seconds: +seconds.toFixed(2), [`${unit}PerSecond`]: +(r.latencies.length / seconds).toFixed(1),
    ...(r.requestLatencies.length ? { requestsPerSecond: +(r.requestLatencies.length / seconds).toFixed(1) } : {}), mbPerSecond: +(r.bytes / 1e6 / seconds).toFixed(1),
    latencyMs: percentiles(r.latencies), ...(r.requestLatencies.length ? { requestLatencyMs: percentiles(r.requestLatencies) } : {}),
  };
}

// Publish jobs: 10 packages get new versions concurrently, and every tenth job races a duplicate
// (same name and version, other bytes) that must lose: exactly one of the two is stored.
let publishRound = 0;
function publishJobs(count) {
  const round = publishRound++;
  const jobs = [];
  for (let i = 0; jobs.length < count; i++) {
    const job = { name: i % 2 ? `bench-pub-${i % 10}` : `@bench/pub-${i % 10}`, version: `${round + 1}.${Math.floor(i / 10)}.${i % 10}`, seed: `${round}-${i}` };
    jobs.push(job);
    if (i % 10 === 0 && jobs.length < count) {
      job.race = true;
      jobs.push({ ...job, seed: `${job.seed}-twin` });
    }
  }
  return jobs.slice(0, count);
}

async function startGateway() {
  const child = spawn(process.execPath, [CLI, 'registry', '--data', data, '--port', '0', '--json', '--quiet', '--approval', 'required'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = JSON.parse((await lines.next()).value);
  return { url: first.url, child, lines };
}

function npmInstall(url, deps, i) {
  const dir = join(work, 'npm', String(i));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${i}`, version: '1.0.0', private: true, dependencies: Object.fromEntries(deps.map((d) => [d, '*'])) }));
  writeFileSync(join(dir, '.npmrc'), `registry=${url}/\naudit=false\nfund=false\nupdate-notifier=false\n`);
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const t = performance.now();
  return new Promise((done) => {
    execFile('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `--cache=${join(dir, 'cache')}`], { cwd: dir, env: { ...cleanEnv, npm_config_userconfig: join(dir, '.npmrc'), npm_config_globalconfig: join(work, 'none') } }, (err, _out, stderr) => {
      const ms = performance.now() - t;
      const missing = deps.filter((d) => !existsSync(join(dir, 'node_modules', d, 'package.json')));
      done({ ms, error: err ? `npm install ${i}: ${stderr.split('\n').find((l) => l.includes('error')) ?? err.message}` : missing.length ? `npm install ${i}: missing ${missing.join(', ')}` : null });
    });
  });
}

async function realNpm(url, names) {
  const results = [];
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: Math.min(P.npmConcurrency, P.npmInstalls) }, async () => {
    while (next < P.npmInstalls) {
      const i = next++;
      const deps = Array.from({ length: P.npmDependencies }, (_, k) => names[(i * P.npmDependencies + k * 7) % names.length]);
      results.push(await npmInstall(url, [...new Set(deps)], i));
    }
  }));
  const seconds = (performance.now() - t) / 1000;
  const errors = results.filter((r) => r.error).map((r) => r.error);
  return { installs: results.length, concurrency: P.npmConcurrency, dependenciesEach: P.npmDependencies, errors: errors.length, firstErrors: errors.slice(0, 5), seconds: +seconds.toFixed(2), installsPerSecond: +(results.length / seconds).toFixed(2), latencyMs: percentiles(results.map((r) => r.ms)) };
}

/** Every accepted publish stored exactly once, with the bytes that were sent; racing twins never both. */
async function checkStored(outcomes) {
  const store = new FileStore(data);
  const problems = [];
  const accepted = outcomes.filter((o) => o.status === 201);
  const byVersion = new Map();
  for (const o of accepted) byVersion.set(`${o.name}@${o.version}`, [...(byVersion.get(`${o.name}@${o.version}`) ?? []), o]);
  for (const [key, list] of byVersion) if (list.length !== 1) problems.push(`${key} accepted ${list.length} times`);
  const raced = new Set(outcomes.filter((o) => o.code === 'VERSION_EXISTS').map((o) => `${o.name}@${o.version}`));
  for (const key of raced) if (!byVersion.has(key)) problems.push(`${key}: refused as existing, but never accepted`);
  const stages = await store.listStages();
  const staged = new Map();
  for (const s of stages) staged.set(`${s.packageName}@${s.version}`, (staged.get(`${s.packageName}@${s.version}`) ?? 0) + 1);
  const names = new Set(accepted.map((o) => o.name));
  let versions = 0;
  for (const name of names) {
    const record = await store.readPackage(name);
    for (const [version, v] of Object.entries(record.versions)) {
      versions++;
      const o = byVersion.get(`${name}@${version}`)?.[0];
      if (!o) problems.push(`${name}@${version} stored but never accepted`);
      else if (v.integrity !== o.integrity) problems.push(`${name}@${version}: stored integrity is not the accepted upload's`);
      const bytes = await store.readPackageFile(name, v.tarball);
      if (!bytes || sri(bytes) !== v.integrity) problems.push(`${name}@${version}: tarball on disk does not match its integrity`);
      if (v.state !== 'pending') problems.push(`${name}@${version}: ${v.state}, expected pending`);
      if (staged.get(`${name}@${version}`) !== 1) problems.push(`${name}@${version}: ${staged.get(`${name}@${version}`) ?? 0} stage requests`);
    }
  }
  if (versions !== accepted.length) problems.push(`${versions} versions stored, ${accepted.length} accepted`);
  return { accepted: accepted.length, refusedAsDuplicates: raced.size, storedVersions: versions, stageRequests: stages.length, problems };
}

/** Approves every accepted version, then fetches each through the gateway and checks its integrity. */
async function approveAndFetch(url, outcomes) {
  const problems = [];
  const accepted = outcomes.filter((o) => o.status === 201);
  for (const o of accepted) await settleVersion(data, o.name, o.version, 'public');
  await Promise.all(accepted.map(async (o) => {
    const doc = await (await fetch(`${url}/${o.name.replace('/', '%2f')}/${o.version}`)).json();
    const res = await fetch(doc.dist?.tarball ?? `${url}/missing`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || sri(bytes) !== o.integrity || doc.dist.integrity !== o.integrity) problems.push(`${o.name}@${o.version}: not served as published after approval`);
  }));
  return { approved: accepted.length, problems };
}

// --- Run -----------------------------------------------------------------------------------------
// Other work on the machine skews every number here; the load average says how much there was.
const loadBefore = loadavg()[0];
log(`seeding ${P.packages} packages in ${data} ...`);
const names = [];
for (let i = 0; i < P.packages; i++) {
  const name = i % 4 === 0 ? `@bench/lib-${i}` : `bench-lib-${i}`;
  names.push(name);
  await seedPackage(data, { name, version: '1.0.0', files: { 'index.js': `module.exports = ${JSON.stringify(name)};\n`, 'README.md': noise(name, 2048 + (i % 10) * 6144) } });
}
const token = createUserToken(new FileStore(data), 'bench').token;
const gateway = await startGateway();
const url = gateway.url;
log(`gateway ${url} (pid ${gateway.child.pid})`);

const installJob = (total) => ({ mode: 'installs', url, names, concurrency: P.concurrency, total });
const publishJob = (count) => ({ mode: 'publishes', url, token, jobs: publishJobs(count), concurrency: P.publishConcurrency, fileBytes: P.publishFileBytes });

await load(installJob(Math.min(400, P.installs))); // warm-up: JIT and page cache, not reported
log(`installs: ${P.installs} install-style fetches, ${P.concurrency} concurrent ...`);
const installs = summarise(await load(installJob(P.installs)), 'installs');
log(`publishes: ${P.publishes}, ${P.publishConcurrency} concurrent ...`);
const published = await load(publishJob(P.publishes));
const publishes = { ...summarise(published, 'publishes'), tarballMb: +(published.tarballBytes / 1e6).toFixed(1) };
log('mixed: both at once ...');
const [mixedInstalls, mixedPublished] = await Promise.all([load(installJob(P.installs)), load(publishJob(P.publishes))]);
const mixed = { installs: summarise(mixedInstalls, 'installs'), publishes: summarise(mixedPublished, 'publishes') };
const outcomes = [...published.outcomes, ...mixedPublished.outcomes];
log('checking what was stored ...');
const stored = await checkStored(outcomes);
const served = await approveAndFetch(url, outcomes);
log(`real npm: ${P.npmInstalls} npm install processes, ${P.npmConcurrency} at once ...`);
const npm = P.npmInstalls > 0 ? await realNpm(url, names) : null;

gateway.child.kill('SIGTERM');
const stopped = JSON.parse((await gateway.lines.next()).value ?? '{}');
const exitCode = await new Promise((done) => gateway.child.on('exit', done));

const totalErrors = installs.errors + publishes.errors + mixed.installs.errors + mixed.publishes.errors + (npm?.errors ?? 0) + stored.problems.length + served.problems.length;
const result = {
  date: new Date().toISOString().slice(0, 10),
  machine: {
    cpus: availableParallelism(), cpu: cpus()[0]?.model ?? null, memoryGb: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: process.platform,
    loadAverage1m: { before: +loadBefore.toFixed(2), after: +loadavg()[0].toFixed(2) },
  },
  packsec: describePacksec(CLI),
  setup: { ...P, gateway: 'packsec registry --approval required, its own process on 127.0.0.1; clients in a second process (fetch, keep-alive)' },
  installs, publishes, mixed, npm,
  integrity: { stored, served },
  gatewayStopped: { ...stopped, exitCode },
  totalErrors,
};
writeFileSync(join(BENCH, 'results', 'registry.json'), JSON.stringify(result, null, 2) + '\n');
rmSync(work, { recursive: true, force: true });

const line = (label, s, unit) => `${label.padEnd(22)} ${String(s[unit]).padStart(6)} ${unit.padEnd(9)} ${String(s[`${unit}PerSecond`]).padStart(8)}/s  p50 ${s.latencyMs?.p50} ms  p99 ${s.latencyMs?.p99} ms  errors ${s.errors}`;
console.log(line('installs', installs, 'installs'));
console.log(line('publishes', publishes, 'publishes'));
console.log(line('mixed: installs', mixed.installs, 'installs'));
console.log(line('mixed: publishes', mixed.publishes, 'publishes'));
if (npm) console.log(line('real npm install', npm, 'installs'));
console.log(`stored exactly once: ${stored.accepted} accepted, ${stored.refusedAsDuplicates} racing duplicates refused, ${stored.problems.length} problems; served after approval: ${served.problems.length} problems`);
console.log(`total errors: ${totalErrors}  (bench/results/registry.json)`);
process.exitCode = totalErrors ? 1 : 0;
