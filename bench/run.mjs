// Benchmark of `packsec run`: an app's runtime under plain node, under packsec run (warm compiled-module
// cache; also with --permission, and cold for start-up; start-up also with --no-verify, to show what
// verified loading costs) and under LavaMoat (`lavamoat <entry>` with a policy written beforehand by
// `--autopolicy`), on four workloads:
//   start-up      typescript  require('typescript')
//                 eslint      require('eslint') and new ESLint()
//   steady state  express     requests/s of a small express server on loopback, driven by a load
//                             generator in a separate plain-node process
//                 marked      ms per render of a ~2 MB markdown document, after warm-up renders
// and the peak RSS of each process (GNU time's %M).
//
// `npm run bench:run -- [--runs=N] [--steady-runs=N] [--lavamoat-runs=N] [--duration=S] [--warmup=S]
// [--connections=N] [--only=typescript,eslint,express,marked] [--no-lavamoat] [--packsec=<bin/packsec.js>]
// [--out=file.json]`
//
// The project is pinned by bench/trees/run/package.json and the package-lock.json beside it, installed
// once under bench/.work/run/ (npm ci --ignore-scripts) and reused while those files are unchanged;
// LavaMoat is bench/init.mjs's install (bench/.work/lavamoat). Results go to bench/results/run.json.
//
// The machine is shared, so the variants are interleaved: each round runs every variant once (the
// order reversed every other round), and a burst of outside load hits all of them alike.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { BENCH, WORK, describePacksec, fail, hash, installLavamoat, installTree, log, median } from './lib.mjs';

const ROOT = dirname(BENCH);
const RUN_TIMEOUT_MS = 3 * 60_000;

// From the issue.
const TARGETS = { startup: 1.3, steady: 0.98, rss: 1.2, aheadOfLavamoat: true, verifiedLoading: 1.05 };

const args = parseArgs(process.argv.slice(2));
const PACKSEC = args.packsec ?? join(ROOT, 'bin', 'packsec.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
if (!TIME) log('warning: no /usr/bin/time, so no peak RSS');
if (!args.packsec && !existsSync(join(ROOT, 'build', 'src', 'cli', 'index.js'))) {
  fail('packsec is not built: run `npm run build` first');
}

const WORKLOADS = [
  // Reference only (no target): what containing an app costs before it loads anything.
  { name: 'empty', kind: 'startup', entry: 'startup-empty.js', what: 'an empty app (the fixed cost)', reference: true },
  { name: 'typescript', kind: 'startup', entry: 'startup-typescript.js', what: "require('typescript')" },
  { name: 'eslint', kind: 'startup', entry: 'startup-eslint.js', what: "require('eslint') + new ESLint()" },
  { name: 'express', kind: 'express', entry: 'express-server.js', what: 'express requests/s on loopback' },
  // LavaMoat 11 takes no .mjs entry, so it runs a CommonJS twin of the app that loads marked with import().
  { name: 'marked', kind: 'marked', entry: 'marked-render.mjs', lavamoatEntry: 'marked-render-lavamoat.js', what: 'marked, ms per render of a ~2 MB document' },
].filter((w) => !args.only || args.only.includes(w.name));

// Express: connections kept open, each with one request in flight (like autocannon's default).
const EXPRESS = { warmupMs: args.warmup * 1000, durationMs: args.duration * 1000, connections: args.connections };
const MARKED = { warmupRenders: 3, renders: 10, docBytes: 2 * 1024 * 1024 };

// Processes run in their own groups (so a timeout ends node, not only GNU time); Ctrl-C ends them too.
const running = new Set();
process.on('SIGINT', () => {
  for (const kill of running) kill();
  process.exit(130);
});

const measured = describePacksec(PACKSEC);
const lavamoat = args.lavamoat ? installLavamoat() : null;
const dir = installTree('run');
writeApps(dir);
const started = Date.now();

// The policy comes from the current packsec; the run cache is emptied so the current build fills it
// (the untimed first run of each workload does).
{
  log('packsec init in the benchmark project ...');
  const r = spawnSync(process.execPath, [PACKSEC, 'init', '--quiet'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) fail(`packsec init failed (exit ${r.status}):\n${r.stderr}`);
  rmSync(runCache(), { recursive: true, force: true });
}

const VARIANTS = [
  { id: 'plain', label: 'node', argv: (e) => [e] },
  { id: 'packsec', label: 'packsec run (warm)', argv: (e) => [PACKSEC, 'run', e] },
  // What verified loading costs: the same run with it turned off.
  { id: 'unverified', label: 'packsec run --no-verify (warm)', argv: (e) => [PACKSEC, 'run', '--no-verify', e], startupOnly: true },
  { id: 'permission', label: 'packsec run --permission (warm)', argv: (e) => [PACKSEC, 'run', '--permission', e] },
  { id: 'cold', label: 'packsec run (cold)', argv: (e) => [PACKSEC, 'run', e], before: () => rmSync(runCache(), { recursive: true, force: true }), startupOnly: true },
  { id: 'lavamoat', label: 'lavamoat', argv: null },
];

const results = [];
for (const w of WORKLOADS) {
  const startup = w.kind === 'startup';
  const runs = startup ? args.runs : args.steadyRuns;
  log(`\n== ${w.name}: ${w.what}; ${runs} interleaved round(s)`);
  const variants = VARIANTS.filter((v) => (v.id !== 'lavamoat' || lavamoat) && (!v.startupOnly || startup)).map((v) => ({ ...v }));
  const lm = variants.find((v) => v.id === 'lavamoat');
  if (lm) {
    const policy = await lavamoatPolicy(w);
    lm.policy = policy;
    lm.argv = (e) => [lavamoat.bin, '--policy', policy.policy, '--policyOverride', policy.override, w.lavamoatEntry ?? e];
    if (!policy.ok) lm.failed = { stage: 'lavamoat --autopolicy', error: policy.error };
  }
  // Untimed first run of each variant: fills the page cache and packsec's run cache, and gives the
  // output every later run must match.
  let reference = null;
  for (const v of variants) {
    if (v.failed) continue;
    v.before?.();
    const r = await once(w, v, true);
    if (!r.ok) {
      v.failed = { stage: 'first run', error: r.error };
      log(`  ${v.label.padEnd(32)} FAILED:\n${indent(r.error, 6)}`);
    } else if (v.id === 'plain') reference = r.output;
    else if (reference !== null && r.output !== reference) {
      v.failed = { stage: 'first run', error: `output differs from plain node's (exit 0):\n  node: ${clip(reference)}\n  this: ${clip(r.output) || '(nothing)'}${r.stderr.trim() ? `\n  stderr: ${errorExcerpt(r.stderr)}` : ''}` };
      log(`  ${v.label.padEnd(32)} FAILED:\n${indent(v.failed.error, 6)}`);
    }
  }
  if (variants[0].failed) {
    results.push({ workload: w, failed: variants[0].failed });
    continue;
  }
  const samples = Object.fromEntries(variants.map((v) => [v.id, []]));
  const lmRuns = Math.min(runs, args.lavamoatRuns ?? runs);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      if (v.failed || (v.id === 'lavamoat' && i >= lmRuns)) continue;
      v.before?.();
      const r = await once(w, v, false);
      if (r.ok && reference !== null && r.output !== reference) {
        r.ok = false;
        r.error = `output differs from plain node's: ${clip(r.output) || '(nothing)'}${r.stderr.trim() ? `\n  stderr: ${errorExcerpt(r.stderr)}` : ''}`;
      }
      if (!r.ok) {
        v.failed = { stage: `round ${i + 1}`, error: r.error };
        log(`  ${v.label.padEnd(32)} round ${i + 1}: FAILED\n${indent(r.error, 6)}`);
        continue;
      }
      samples[v.id].push(r);
      log(`  ${v.label.padEnd(32)} round ${i + 1}/${runs}: ${fmtValue(w, r.value)}${r.rssMb ? `, peak RSS ${r.rssMb} MB` : ''}${r.note ? ` (${r.note})` : ''}`);
    }
  }
  results.push(summarise(w, variants, samples, runs, lmRuns));
}

const elapsedS = Math.round((Date.now() - started) / 1000);
printTable(results);
writeResults(results);

// ---- one run of one variant --------------------------------------------------------------------

/** Runs a workload once; value is ms (start-up: whole process; marked: per render) or requests/s. */
async function once(w, v, first) {
  const argv = v.argv(w.entry);
  if (w.kind === 'startup') {
    const r = await timed(process.execPath, argv, dir);
    return { ...r, value: r.ms, output: r.stdout.trim() };
  }
  if (w.kind === 'marked') {
    const env = first ? { BENCH_WARMUP: '0', BENCH_RENDERS: '1' } : { BENCH_WARMUP: String(MARKED.warmupRenders), BENCH_RENDERS: String(MARKED.renders) };
    const r = await timed(process.execPath, argv, dir, env);
    if (!r.ok) return r;
    try {
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      return { ...r, value: median(out.samples), output: `${out.htmlLength} chars of html, sha256 ${out.htmlHash}`, samplesMs: out.samples.map((s) => Math.round(s * 10) / 10) };
    } catch (e) {
      return { ...r, ok: false, error: `unexpected output (${e.message}): ${clip(r.stdout)}` };
    }
  }
  return expressRun(argv, first);
}

/** The server under GNU time, the load from a separate plain-node process, then /__stop. */
async function expressRun(argv, first) {
  const server = start(process.execPath, argv, dir);
  const port = await new Promise((done) => {
    const check = () => {
      const m = /LISTENING (\d+)/.exec(server.out.stdout);
      if (m) done(Number(m[1]));
    };
    server.child.stdout.on('data', check);
    server.exited.then(() => done(null));
    setTimeout(() => done(null), 60_000).unref();
  });
  if (port === null) {
    server.kill();
    const r = await server.exited;
    return { ...r, ok: false, error: r.error ?? `the server did not start listening:\n${errorExcerpt(r.stderr || r.stdout)}` };
  }
  let load = { rps: 0 };
  let loadError = null;
  if (!first) {
    const lg = await timed(process.execPath, [join(dir, 'loadgen.mjs'), String(port), String(EXPRESS.warmupMs), String(EXPRESS.durationMs), String(EXPRESS.connections)], dir, {}, false);
    try {
      load = JSON.parse(lg.stdout.trim().split('\n').pop());
      if (load.bad || load.errors.length) loadError = `load generator: ${load.bad} bad responses (${load.firstBad}), errors: ${load.errors.slice(0, 3).join('; ')}`;
    } catch {
      loadError = `load generator failed: ${errorExcerpt(lg.stderr || lg.stdout)}`;
    }
  }
  const stopped = await get(port, '/__stop');
  const stopTimer = setTimeout(() => server.kill(), 15_000);
  const r = await server.exited;
  clearTimeout(stopTimer);
  // The server's own output is what every variant must match: the check of one response.
  const out = { ...r, value: Math.round(load.rps), output: stopped ?? 'no answer to /__stop', note: first ? '' : `${load.requests} requests in ${load.seconds} s` };
  if (loadError) return { ...out, ok: false, error: loadError };
  if (!r.ok) return { ...out, ok: false, error: r.error ?? 'the server failed' };
  return out;
}

function get(port, path) {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => done(`${res.statusCode} ${body}`));
    });
    req.on('error', () => done(null));
    req.end();
  });
}

/** One process, wall-clock from spawn to exit; peak RSS from GNU time. */
async function timed(cmd, argv, cwd, env = {}, rss = true) {
  return start(cmd, argv, cwd, env, rss).exited;
}

function start(cmd, argv, cwd, env = {}, rss = true) {
  const rssFile = join(tmpdir(), `packsec-bench-run-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, list] = TIME && rss ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  // Its own process group, so a timeout ends node and not only GNU time.
  const child = spawn(file, list, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  let timedOut = false;
  const kill = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch { /* gone */ }
  };
  running.add(kill);
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, RUN_TIMEOUT_MS);
  const exited = new Promise((done) => {
    child.on('error', (err) => done({ ok: false, ms: 0, rssMb: null, stdout: '', stderr: '', error: `cannot start ${file}: ${err.message}` }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(kill);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let rssMb = null;
      if (TIME && rss) {
        try {
          const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
          const kb = Number(lines.pop());
          if (Number.isFinite(kb) && kb > 0) rssMb = Math.round(kb / 1024);
        } catch { /* killed before writing */ }
        rmSync(rssFile, { force: true });
      }
      const ok = code === 0 && !signal && !timedOut;
      const error = ok ? undefined : timedOut ? `timed out after ${RUN_TIMEOUT_MS / 1000} s` : `exit ${code ?? signal}: ${errorExcerpt(out.stderr || out.stdout)}`;
      done({ ok, ms: Math.round(ms), rssMb, stdout: out.stdout, stderr: out.stderr, error });
    });
  });
  return { child, out, exited, kill };
}

// ---- LavaMoat's policy ------------------------------------------------------------------------------

/** `lavamoat --autopolicy` once per workload entry (remembered while the install and entry are unchanged). */
async function lavamoatPolicy(w) {
  const pdir = join(dir, 'lavamoat', w.name);
  const policy = join(pdir, 'policy.json');
  const override = join(pdir, 'policy-override.json');
  const entry = w.lavamoatEntry ?? w.entry;
  const key = hash(`${readFileSync(join(dir, '.installed'), 'utf8')} lavamoat@${lavamoat.version} ${readFileSync(join(dir, entry), 'utf8')}`);
  const statusFile = join(pdir, 'status.json');
  try {
    const status = JSON.parse(readFileSync(statusFile, 'utf8'));
    if (status.key === key && (!status.ok || existsSync(policy))) return { policy, override, ...status };
  } catch { /* not generated yet */ }
  rmSync(pdir, { recursive: true, force: true });
  mkdirSync(pdir, { recursive: true });
  log(`  lavamoat --autopolicy ${entry} (once; remembered in ${relative(ROOT, statusFile)}) ...`);
  const r = await timed(process.execPath, [lavamoat.bin, '--autopolicy', '--policy', policy, '--policyOverride', override, entry], dir, {}, false);
  const status = { key, ok: r.ok && existsSync(policy), ms: r.ms, error: r.ok ? (existsSync(policy) ? undefined : 'no policy written') : r.error };
  // An override file must exist for the run; LavaMoat writes one only when there is something in it.
  if (status.ok && !existsSync(override)) writeFileSync(override, '{"resources":{}}\n');
  writeFileSync(statusFile, JSON.stringify(status, null, 2));
  log(status.ok ? `    written in ${fmtMs(r.ms)}` : `    FAILED:\n${indent(status.error, 6)}`);
  return { policy, override, ...status };
}

// ---- the benchmark project ----------------------------------------------------------------------

function runCache() {
  return join(dir, 'node_modules', '.cache', 'packsec', 'run');
}

function writeApps(d) {
  const files = {
    'startup-empty.js': `// bench/run.mjs reference: an app that loads nothing\nconsole.log('empty');\n`,
    'startup-typescript.js': `// bench/run.mjs start-up workload (a)\nconst ts = require('typescript');\nconsole.log('typescript', ts.version);\n`,
    'startup-eslint.js': `// bench/run.mjs start-up workload (b)\nconst { ESLint } = require('eslint');\nconst eslint = new ESLint();\nconsole.log('eslint', ESLint.version, typeof eslint.lintText);\n`,
    'express-server.js': `// bench/run.mjs steady-state workload (c): prints its port, serves until GET /__stop.
const express = require('express');

const app = express();
app.use(express.json());
app.use((req, res, next) => { res.set('x-bench', '1'); next(); });
app.get('/hello/:name', (req, res) => res.json({ hello: req.params.name }));
app.get('/__stop', (req, res) => {
  res.send('stopping');
  res.on('finish', () => process.exit(0));
});
const server = app.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
`,
    'loadgen.mjs': loadgenSource(),
    'marked-render.mjs': `// bench/run.mjs steady-state workload (d): renders bench-doc.md, prints the ms of each timed render.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { marked } from 'marked';

const md = readFileSync(new URL('./bench-doc.md', import.meta.url), 'utf8');
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const renders = Number(process.env.BENCH_RENDERS ?? 10);
let html = '';
for (let i = 0; i < warmup; i++) html = marked.parse(md);
const samples = [];
for (let i = 0; i < renders; i++) {
  const t = performance.now();
  html = marked.parse(md);
  samples.push(performance.now() - t);
}
console.log(JSON.stringify({ samples, htmlLength: html.length, htmlHash: createHash('sha256').update(html).digest('hex').slice(0, 16) }));
`,
    'marked-render-lavamoat.js': `// bench/run.mjs workload (d) for LavaMoat, which takes no .mjs entry: marked-render.mjs in CommonJS.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');

(async () => {
  const { marked } = await import('marked');
  const md = readFileSync(__dirname + '/bench-doc.md', 'utf8');
  const warmup = Number(process.env.BENCH_WARMUP ?? 3);
  const renders = Number(process.env.BENCH_RENDERS ?? 10);
  let html = '';
  for (let i = 0; i < warmup; i++) html = marked.parse(md);
  const samples = [];
  for (let i = 0; i < renders; i++) {
    const t = performance.now();
    html = marked.parse(md);
    samples.push(performance.now() - t);
  }
  console.log(JSON.stringify({ samples, htmlLength: html.length, htmlHash: createHash('sha256').update(html).digest('hex').slice(0, 16) }));
})().catch((err) => { console.error(err); process.exitCode = 1; });
`,
    'bench-doc.md': markdownDocument(MARKED.docBytes),
  };
  for (const [name, text] of Object.entries(files)) {
    const file = join(d, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  }
}

// A plain-node client over raw keep-alive sockets (as autocannon does): little work per request, so
// the server is what is measured. Prints {rps, requests, seconds, bad, errors}.
function loadgenSource() {
  return `// bench/run.mjs load generator: node loadgen.mjs <port> <warmup ms> <duration ms> <connections>
import net from 'node:net';

const [port, warmupMs, durationMs, connections] = process.argv.slice(2).map(Number);
const REQUEST = Buffer.from('GET /hello/bench HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nConnection: keep-alive\\r\\n\\r\\n');
const EXPECT = '{"hello":"bench"}';
let measuring = false;
let stopped = false;
let requests = 0;
let bad = 0;
let firstBad = null;
const errors = [];

for (let i = 0; i < connections; i++) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let pending = '';
  socket.on('connect', () => socket.write(REQUEST));
  socket.on('error', (e) => errors.push(e.message));
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    for (;;) {
      const end = pending.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const head = pending.slice(0, end);
      const m = /\\r\\ncontent-length: *(\\d+)/i.exec(head);
      if (!m) { errors.push('response without content-length: ' + head.split('\\r\\n')[0]); socket.destroy(); return; }
      const length = Number(m[1]);
      if (pending.length < end + 4 + length) return;
      const body = pending.slice(end + 4, end + 4 + length);
      pending = pending.slice(end + 4 + length);
      const ok = head.startsWith('HTTP/1.1 200') && body === EXPECT;
      if (!ok) { bad++; firstBad ??= head.split('\\r\\n')[0] + ' ' + body.slice(0, 80); }
      else if (measuring) requests++;
      if (!stopped) socket.write(REQUEST);
    }
  });
}

setTimeout(() => {
  measuring = true;
  const t0 = process.hrtime.bigint();
  setTimeout(() => {
    measuring = false;
    stopped = true;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ rps: requests / seconds, requests, seconds: Math.round(seconds * 100) / 100, bad, firstBad, errors: [...new Set(errors)] }));
    process.exit(0);
  }, durationMs);
}, warmupMs);
`;
}

/** A deterministic markdown document of about `bytes` bytes: the usual mix of block and inline syntax. */
function markdownDocument(bytes) {
  let seed = 0x2545f491;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum'.split(' ');
  const word = () => {
    const w = pick(WORDS);
    const r = rnd();
    if (r < 0.04) return `*${w}*`;
    if (r < 0.07) return `**${w}**`;
    if (r < 0.1) return `\`${w}()\``;
    if (r < 0.12) return `[${w}](https://example.com/${w}?q=${Math.floor(rnd() * 1000)})`;
    if (r < 0.13) return `${w} &amp; ${pick(WORDS)}`;
    return w;
  };
  const sentence = () => {
    const n = 6 + Math.floor(rnd() * 14);
    const ws = Array.from({ length: n }, word);
    ws[0] = ws[0].charAt(0).toUpperCase() + ws[0].slice(1);
    return `${ws.join(' ')}.`;
  };
  const paragraph = () => Array.from({ length: 2 + Math.floor(rnd() * 5) }, sentence).join(' ');
  const blocks = [];
  let size = 0;
  let section = 0;
  while (size < bytes) {
    section++;
    const parts = [`${'#'.repeat(1 + (section % 3))} Section ${section}: ${sentence().slice(0, -1)}`, paragraph(), paragraph()];
    const r = rnd();
    if (r < 0.25) parts.push(Array.from({ length: 3 + Math.floor(rnd() * 5) }, (_, i) => `${rnd() < 0.5 ? '-' : `${i + 1}.`} ${sentence()}${rnd() < 0.3 ? `\n    - ${sentence()}` : ''}`).join('\n'));
    else if (r < 0.45) parts.push(`\`\`\`js\n${Array.from({ length: 4 + Math.floor(rnd() * 8) }, (_, i) => `const ${pick(WORDS)}${i} = ${JSON.stringify(sentence())}; // ${pick(WORDS)}`).join('\n')}\n\`\`\``);
    else if (r < 0.6) parts.push(`| ${pick(WORDS)} | ${pick(WORDS)} | ${pick(WORDS)} |\n|---|:---:|---:|\n${Array.from({ length: 3 + Math.floor(rnd() * 6) }, () => `| ${word()} | ${word()} | ${Math.floor(rnd() * 1e6)} |`).join('\n')}`);
    else if (r < 0.75) parts.push(`> ${sentence()}\n> ${sentence()}\n>\n> ${paragraph()}`);
    parts.push(paragraph());
    const block = parts.join('\n\n') + '\n\n';
    blocks.push(block);
    size += Buffer.byteLength(block);
  }
  return blocks.join('');
}




// ---- summary ------------------------------------------------------------------------------------

function summarise(w, variants, samples, runs, lmRuns) {
  const out = { workload: w, runs, lavamoatRuns: lmRuns, variants: {} };
  for (const v of variants) {
    const s = samples[v.id];
    const m = {
      label: v.label,
      ok: !v.failed,
      runs: s.length,
      median: s.length ? median(s.map((r) => r.value)) : null,
      values: s.map((r) => r.value),
      rssMb: s.some((r) => r.rssMb) ? median(s.map((r) => r.rssMb ?? 0)) : null,
    };
    if (w.kind === 'marked') m.processMs = median(s.map((r) => r.ms));
    if (v.failed) Object.assign(m, { failedAt: v.failed.stage, error: v.failed.error });
    out.variants[v.id] = m;
  }
  const plain = out.variants.plain;
  // Start-up and marked: time (lower is better), ratio = variant / node. Express: throughput, ratio = variant / node.
  // Steady state is judged as throughput: for marked that is node's ms / the variant's ms.
  const timeRatio = (m) => (m?.ok && plain.median ? m.median / plain.median : null);
  const throughputRatio = (m) => (m?.ok && plain.median ? (w.kind === 'express' ? m.median / plain.median : plain.median / m.median) : null);
  out.ratios = {};
  for (const [id, m] of Object.entries(out.variants)) {
    if (id === 'plain') continue;
    out.ratios[id] = {
      ...(w.kind === 'startup' ? { time: round2(timeRatio(m)) } : { throughput: round2(throughputRatio(m)) }),
      rss: m.ok && m.rssMb && plain.rssMb ? round2(m.rssMb / plain.rssMb) : null,
    };
  }
  const unverified = out.variants.unverified;
  if (unverified?.ok && out.variants.packsec?.ok) out.ratios.verifiedOverUnverified = round2(out.variants.packsec.median / unverified.median);
  if (w.reference) {
    out.verdicts = { 'reference, no target': '-' };
    return out;
  }
  const ps = out.variants.packsec;
  const lm = out.variants.lavamoat;
  const better = w.kind === 'express' ? (a, b) => a > b : (a, b) => a < b;
  out.verdicts = {
    [w.kind === 'startup' ? `start-up ≤ ${TARGETS.startup}×` : `throughput ≥ ${TARGETS.steady}×`]: w.kind === 'startup'
      ? verdict(out.ratios.packsec?.time, (r) => r <= TARGETS.startup)
      : verdict(out.ratios.packsec?.throughput, (r) => r >= TARGETS.steady),
    [`peak RSS ≤ ${TARGETS.rss}×`]: verdict(out.ratios.packsec?.rss, (r) => r <= TARGETS.rss),
    ...(w.kind === 'startup' ? { [`verified loading ≤ ${TARGETS.verifiedLoading}× --no-verify`]: verdict(out.ratios.verifiedOverUnverified, (r) => r <= TARGETS.verifiedLoading) } : {}),
    // LavaMoat failing to run the workload at all counts as packsec being ahead, and says so.
    'ahead of LavaMoat': !ps?.ok ? 'FAIL' : !lm ? 'n/a' : !lm.ok ? 'PASS (LavaMoat failed)' : better(ps.median, lm.median) ? 'PASS' : 'FAIL',
  };
  return out;
}

function verdict(x, ok) {
  return x === null || x === undefined ? 'n/a' : ok(x) ? 'PASS' : 'FAIL';
}

function printTable(rows) {
  const head = ['workload', 'metric', 'node', 'packsec', '×node', '--no-verify', '×node', '--permission', '×node', 'cold', '×node', 'LavaMoat', '×node'];
  const body = [];
  const rssBody = [];
  for (const r of rows) {
    if (r.failed) {
      body.push([r.workload.name, '-', `FAILED: ${clip(r.failed.error)}`, ...Array(head.length - 3).fill('')]);
      continue;
    }
    const w = r.workload;
    const metric = w.kind === 'startup' ? 'ms (process)' : w.kind === 'express' ? 'requests/s' : 'ms/render';
    const ratioKey = w.kind === 'startup' ? 'time' : 'throughput';
    const cellOf = (id) => {
      const m = r.variants[id];
      if (!m) return ['-', '-'];
      if (!m.ok) return ['FAILED', '-'];
      return [fmtValue(w, m.median), id === 'plain' ? '' : `${r.ratios[id][ratioKey].toFixed(2)}×`];
    };
    body.push([w.name, metric, cellOf('plain')[0], ...cellOf('packsec'), ...cellOf('unverified'), ...cellOf('permission'), ...cellOf('cold'), ...cellOf('lavamoat')]);
    const rssOf = (id) => {
      const m = r.variants[id];
      if (!m) return ['-', '-'];
      if (!m.ok || m.rssMb === null) return [m.ok ? '?' : 'FAILED', '-'];
      return [`${m.rssMb} MB`, id === 'plain' ? '' : `${r.ratios[id].rss.toFixed(2)}×`];
    };
    rssBody.push([w.name, 'peak RSS', rssOf('plain')[0], ...rssOf('packsec'), ...rssOf('unverified'), ...rssOf('permission'), ...rssOf('cold'), ...rssOf('lavamoat')]);
  }
  const all = [...body, ...rssBody];
  const widths = head.map((h, i) => Math.max(h.length, ...all.map((b) => b[i].length)));
  const line = (cols) => cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  console.log(`\n${line(head)}\n${rule}`);
  for (const b of body) console.log(line(b));
  console.log(rule);
  for (const b of rssBody) console.log(line(b));
  const startupRuns = rows.find((r) => r.workload.kind === 'startup' && !r.failed);
  const steadyRuns = rows.find((r) => r.workload.kind !== 'startup' && !r.failed);
  console.log(`\nmedians: start-up of ${startupRuns?.runs ?? '-'} whole-process runs (LavaMoat ${startupRuns?.lavamoatRuns ?? '-'}), steady state of ${steadyRuns?.runs ?? '-'} processes (LavaMoat ${steadyRuns?.lavamoatRuns ?? '-'});`);
  console.log(`variants interleaved round by round (order reversed every other round) to share the noise of a busy ${availableParallelism()}-core machine;`);
  console.log(`express: ${EXPRESS.connections} keep-alive connections from a separate plain-node process, ${EXPRESS.warmupMs / 1000} s warm-up then ${EXPRESS.durationMs / 1000} s counted;`);
  console.log(`marked: median of ${MARKED.renders} renders after ${MARKED.warmupRenders} warm-up renders per process; ratios of steady state are throughput (×node > 1 is faster).`);
  console.log(`peak RSS: median over runs of GNU time's %M (with --permission the app runs in a child; %M is the larger of the two processes, not their sum).`);
  const verifiedCost = rows.filter((r) => r.ratios?.verifiedOverUnverified).map((r) => `${r.workload.name} ${r.ratios.verifiedOverUnverified.toFixed(2)}×`);
  if (verifiedCost.length) console.log(`verified loading (packsec run / packsec run --no-verify, start-up): ${verifiedCost.join(', ')}`);
  console.log(`\ntargets (packsec run, warm): start-up ≤ ${TARGETS.startup}× node, steady-state throughput ≥ ${TARGETS.steady}× node, peak RSS ≤ ${TARGETS.rss}× node, ahead of LavaMoat on every workload`);
  for (const r of rows) {
    if (r.failed) {
      console.log(`  ${r.workload.name}: plain node failed:\n${indent(r.failed.error, 4)}`);
      continue;
    }
    console.log(`  ${r.workload.name.padEnd(10)} ${Object.entries(r.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const [id, m] of Object.entries(r.variants)) {
      if (!m.ok) console.log(`    ${m.label} failed (${m.failedAt}):\n${indent(m.error, 6)}`);
    }
  }
  console.log(`\n${elapsedS} s of measuring`);
}

function writeResults(rows) {
  const builtAfter = describePacksec(PACKSEC).built;
  if (builtAfter !== measured.built) log(`warning: packsec was rebuilt while the bench ran (${measured.built} → ${builtAfter})`);
  const out = {
    date: new Date().toISOString(),
    packsec: { ...measured, ...(builtAfter !== measured.built ? { rebuiltDuringRun: builtAfter } : {}) },
    lavamoat: lavamoat ? lavamoat.version : null,
    node: process.version,
    machine: { cpus: availableParallelism(), cpu: cpus()[0]?.model ?? null, memoryGb: Math.round(totalmem() / 2 ** 30), loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    method: {
      interleaved: 'each round runs every variant once, order reversed every other round; the machine is shared',
      startup: `median wall-clock ms of ${args.runs} whole-process runs (spawn to exit); cold = run cache removed before each run; --no-verify = verified loading off (ratios.verifiedOverUnverified = packsec / --no-verify)`,
      express: `median requests/s over ${args.steadyRuns} server processes; ${EXPRESS.connections} keep-alive connections, one request in flight each, from a separate plain-node process over raw sockets; ${EXPRESS.warmupMs / 1000} s warm-up, ${EXPRESS.durationMs / 1000} s counted`,
      marked: `median over ${args.steadyRuns} processes of each one's median ms per render (${MARKED.renders} renders after ${MARKED.warmupRenders} warm-up) of a ${MARKED.docBytes / 2 ** 20} MB document`,
      rss: "median over runs of GNU time's %M (--permission: the larger of launcher and app process)",
      lavamoat: 'lavamoat --policy <p> --policyOverride <o> <entry>, the policy written beforehand by lavamoat --autopolicy on the same entry',
    },
    targets: TARGETS,
    elapsedS,
    workloads: rows.map((r) => (r.failed
      ? { name: r.workload.name, what: r.workload.what, failed: r.failed }
      : {
        name: r.workload.name,
        what: r.workload.what,
        unit: r.workload.kind === 'startup' ? 'ms' : r.workload.kind === 'express' ? 'requests/s' : 'ms/render',
        runs: r.runs,
        lavamoatRuns: r.lavamoatRuns,
        variants: r.variants,
        ratios: r.ratios,
        verdicts: r.verdicts,
      })),
  };
  const file = args.out ?? join(BENCH, 'results', 'run.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${relative(process.cwd(), file)}`);
}


// ---- small helpers ------------------------------------------------------------------------------

function parseArgs(argv) {
  const out = { runs: 7, steadyRuns: 5, lavamoatRuns: undefined, duration: 5, warmup: 1, connections: 10, only: null, lavamoat: true, packsec: undefined, out: undefined };
  const int = (v) => (Number(v) >= 1 ? Math.floor(Number(v)) : fail(`expected a positive number, got ${v}`));
  for (const a of argv) {
    const [k, v] = [a.split('=')[0], a.slice(a.indexOf('=') + 1)];
    if (k === '--runs') out.runs = int(v);
    else if (k === '--steady-runs') out.steadyRuns = int(v);
    else if (k === '--lavamoat-runs') out.lavamoatRuns = int(v);
    else if (k === '--duration') out.duration = int(v);
    else if (k === '--warmup') out.warmup = int(v);
    else if (k === '--connections') out.connections = int(v);
    else if (k === '--only' && v) out.only = v.split(',');
    else if (k === '--no-lavamoat') out.lavamoat = false;
    else if (k === '--packsec' && v) out.packsec = resolve(v);
    else if (k === '--out' && v) out.out = resolve(v);
    else fail(`unknown argument ${a}; usage: node bench/run.mjs [--runs=N] [--steady-runs=N] [--lavamoat-runs=N] [--duration=S] [--warmup=S] [--connections=N] [--only=typescript,eslint,express,marked] [--no-lavamoat] [--packsec=bin/packsec.js] [--out=file.json]`);
  }
  return out;
}

function round2(x) {
  return x === null || x === undefined ? null : Math.round(x * 100) / 100;
}
function fmtValue(w, v) {
  if (v === null || v === undefined) return '-';
  if (w.kind === 'express') return `${Math.round(v)} req/s`;
  if (w.kind === 'marked') return `${v.toFixed(1)} ms`;
  return fmtMs(v);
}
function fmtMs(ms) {
  return `${Math.round(ms)} ms`;
}
function clip(s, n = 160) {
  const one = String(s).replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}
/** The first line that names an error and a few after it (its stack's top); else the last lines. */
function errorExcerpt(text) {
  const lines = String(text).trim().split('\n');
  const i = lines.findIndex((l) => /\b[A-Z]?\w*Error\b|^error\b/i.test(l));
  return (i >= 0 ? lines.slice(Math.max(0, i - 1), i + 6) : lines.slice(-6)).join('\n');
}
function indent(s, n) {
  return String(s).split('\n').map((l) => ' '.repeat(n) + l).join('\n');
}
