// event-stream@3.3.6 / flatmap-stream@0.1.1 (2018): an update adds a dependency whose encrypted payload
// only decrypts, with the app's npm_package_description as the key, inside the targeted wallet's build.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaks, type CapabilityDiffLayer, type Observation, type PackageSpec, type Replica } from '../harness/replica.js';
import { folderDir } from '../harness/world.js';

const TARGET = 'A Secure Bitcoin Wallet';
const SIBLING = 'node_modules/@zxing/library/esm5/core/common/reedsolomon/ReedSolomonDecoder.js';
const hex = (s: string) => Buffer.from(s).toString('hex');

/** Encrypts the stage in payload.js for the wallet's description and writes test/data.js as the original laid it out. */
function encryptPayload(files: Record<string, string>, vars: Record<string, string>): void {
  const code = readFileSync(join(folderDir('event-stream'), 'payload.js'), 'utf8').replace(/__ATTACKER__/g, vars.ATTACKER!);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(TARGET).digest(), iv);
  const encrypted = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]).toString('hex');
  const data = [encrypted, iv.toString('hex'), ...['crypto', 'env', 'npm_package_description', 'aes-256-cbc', 'createDecipheriv', '_compile', 'hex', 'utf8', 'createHash', 'sha256'].map(hex)];
  files['test/data.js'] = `module.exports = ${JSON.stringify(data)};\n`;
}

const packages: PackageSpec[] = [
  { dir: 'event-stream@3.3.4', age: '900d' },
  { dir: 'zxing-library@0.8.0', age: '200d' },
  { dir: 'event-stream@3.3.6', base: 'event-stream@3.3.4', age: '70d', npmUser: 'right9ctrl' },
  { dir: 'flatmap-stream@0.1.1', age: '70d', npmUser: 'right9ctrl', build: encryptPayload },
];

const app = (description: string) => ({
  description,
  dependencies: { 'event-stream': '3.3.4', '@zxing/library': '0.8.0' },
  files: {
    'app.js': `const es = require('event-stream');
const { decode } = require('@zxing/library');
const out = [];
es.fromArray([1, 2, 3]).pipe(es.map((x) => x * 2)).on('data', (x) => out.push(x)).on('end', () => {
  setTimeout(() => console.log('balance from', out.join(','), '—', decode('payment QR')), 300);
});
`,
  },
});

function effects(o: Observation): string[] {
  const out = leaks(o);
  const file = join(o.sb.project, SIBLING);
  if (existsSync(file) && readFileSync(file, 'utf8').includes('injected by the flatmap-stream replica')) out.push('@zxing/library rewritten');
  return out;
}

const diff: CapabilityDiffLayer = { layer: 'capability diff', kind: 'capability-diff', package: 'event-stream', gained: [/^packages:flatmap-stream$/] };

export const replicas: Replica[] = [
  {
    id: 'event-stream',
    folder: 'event-stream',
    title: 'event-stream (2018), matched',
    kind: 'attack',
    packages,
    app: app(TARGET),
    update: ['event-stream@3.3.6'],
    // npm sets npm_package_description when the app starts through `npm start` or `npm run`.
    start: { args: ['app.js'], env: { npm_package_description: TARGET } },
    effects,
    layers: [
      diff,
      { layer: 'runtime denial', kind: 'runtime', policy: 'accepted', run: 'app', denial: /"flatmap-stream" may not/ },
      { layer: 'integrity of the sibling', kind: 'integrity', tamper: 'app', package: '@zxing/library' },
    ],
  },
  {
    id: 'event-stream:dormant',
    folder: 'event-stream',
    title: 'event-stream (2018), dormant',
    kind: 'attack',
    packages,
    app: app('A todo list'),
    update: ['event-stream@3.3.6'],
    start: { args: ['app.js'], env: { npm_package_description: 'A todo list' } },
    plain: 'dormant',
    effects,
    layers: [diff],
  },
];
