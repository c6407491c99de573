// The load side of bench/registry.mjs, run as its own process so the gateway and the clients do not
// share an event loop. Reads a JSON job from argv[2], writes one JSON result to stdout.
//   { mode: 'installs', url, names, concurrency, total }: each install-style fetch is what npm does per
//     package: the abbreviated packument, then the tarball of the latest version, checked against
//     dist.integrity.
//   { mode: 'publishes', url, token, jobs: [{ name, version, seed }], concurrency, fileBytes }: the
//     document `npm publish` sends (base64 tarball), built before the clock starts.
import { createHash } from 'node:crypto';

const { createTarball } = await import('../build/src/registry/index.js');
const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

const job = JSON.parse(process.argv[2]);
const errors = [];
const latencies = [];
const requestLatencies = [];
let bytes = 0;

function note(message) {
  errors.push(message.slice(0, 300));
}

function sri(data) {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

async function timedFetch(url, init) {
  const t = performance.now();
  const res = await fetch(url, init);
  const body = Buffer.from(await res.arrayBuffer());
  requestLatencies.push(performance.now() - t);
  bytes += body.length;
  return { res, body };
}

/** Runs `count` tasks with at most `concurrency` at once. */
async function pool(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function install(name) {
  const t = performance.now();
  try {
    const doc = await timedFetch(`${job.url}/${name.replace('/', '%2f')}`, { headers: { accept: CORGI } });
    if (doc.res.status !== 200) return note(`GET ${name}: ${doc.res.status}`);
    const packument = JSON.parse(doc.body.toString('utf8'));
    const dist = packument.versions[packument['dist-tags'].latest].dist;
    const tgz = await timedFetch(dist.tarball);
    if (tgz.res.status !== 200) return note(`GET ${dist.tarball}: ${tgz.res.status}`);
    if (sri(tgz.body) !== dist.integrity) return note(`${dist.tarball}: integrity mismatch`);
    latencies.push(performance.now() - t);
  } catch (err) {
    note(`install ${name}: ${err.cause?.code ?? err.message}`);
  }
}

/** A package folder as npm packs it: pseudo-random content so gzip cannot shrink it to nothing. */
function publishBody({ name, version, seed }) {
  const manifest = { name, version, description: `bench ${name}`, main: 'index.js', license: 'MIT' };
  let block = createHash('sha512').update(`${name}@${version}#${seed}`).digest();
  const parts = [];
  for (let n = 0; n < job.fileBytes; n += block.length) {
    parts.push(block);
    block = createHash('sha512').update(block).digest();
  }
  const tarball = createTarball({
    'package.json': JSON.stringify(manifest, null, 2),
    'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`,
    'data.txt': Buffer.concat(parts).subarray(0, job.fileBytes).toString('base64'),
  });
  const integrity = sri(tarball);
  const file = `${name.slice(name.indexOf('/') + 1)}-${version}.tgz`;
  const body = JSON.stringify({
    _id: name, name, 'dist-tags': { latest: version }, access: 'public',
    versions: { [version]: { ...manifest, _id: `${name}@${version}`, dist: { integrity, shasum: createHash('sha1').update(tarball).digest('hex'), tarball: `${job.url}/${name}/-/${file}` } } },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  });
  return { body, integrity, tarballBytes: tarball.length };
}

const started = performance.now();
let result;
if (job.mode === 'installs') {
  await pool(job.total, job.concurrency, (i) => install(job.names[i % job.names.length]));
  result = { installs: latencies.length };
} else {
  const prepared = job.jobs.map((j) => ({ ...j, ...publishBody(j) }));
  const outcomes = [];
  const t0 = performance.now();
  await pool(prepared.length, job.concurrency, async (i) => {
    const p = prepared[i];
    const t = performance.now();
    try {
      const res = await fetch(`${job.url}/${p.name.replace('/', '%2f')}`, { method: 'PUT', headers: { authorization: `Bearer ${job.token}`, 'content-type': 'application/json' }, body: p.body });
      const answer = await res.json();
      latencies.push(performance.now() - t);
      bytes += p.body.length;
      outcomes.push({ name: p.name, version: p.version, integrity: p.integrity, status: res.status, code: answer.code ?? null, pending: answer.pending === true });
      if (res.status !== 201 && !(p.race && answer.code === 'VERSION_EXISTS')) note(`PUT ${p.name}@${p.version}: ${res.status} ${answer.error ?? ''}`);
    } catch (err) {
      note(`PUT ${p.name}@${p.version}: ${err.cause?.code ?? err.message}`);
    }
  });
  result = { outcomes, sendMs: performance.now() - t0, tarballBytes: prepared.reduce((n, p) => n + p.tarballBytes, 0) };
}
const wallMs = job.mode === 'installs' ? performance.now() - started : result.sendMs;
process.stdout.write(JSON.stringify({ ...result, wallMs, latencies, requestLatencies, bytes, errors }));
