#!/usr/bin/env node
// Writes packsec's pinned Sigstore trust material (data/sigstore/) from the seeds that the installed
// @sigstore/tuf ships, byte for byte, so anyone can regenerate and compare it. `--check` only compares.
// Run: node scripts/sigstore-trust.mjs [--check]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';

const MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const OUT = new URL('../data/sigstore/', import.meta.url);
const require = createRequire(import.meta.url);
const tufPackage = require('@sigstore/tuf/package.json');
const seed = require('@sigstore/tuf/seeds.json')[MIRROR];
if (!seed) throw new Error(`@sigstore/tuf ${tufPackage.version} has no seed for ${MIRROR}`);

const target = (name) => {
  const b64 = seed.targets?.[name];
  if (typeof b64 !== 'string') throw new Error(`@sigstore/tuf ${tufPackage.version}: seed target ${name} is missing`);
  return Buffer.from(b64, 'base64');
};

const files = {
  'tuf-root.json': Buffer.from(seed['root.json'], 'base64'),
  'trusted_root.json': target('trusted_root.json'),
  'npm-keys.json': target('registry.npmjs.org%2Fkeys.json'),
};
for (const bytes of Object.values(files)) JSON.parse(bytes.toString('utf8')); // each must be JSON

const rootVersion = JSON.parse(files['tuf-root.json']).signed.version;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const source = {
  source: `@sigstore/tuf@${tufPackage.version} seeds.json, mirror ${MIRROR}`,
  tufRootVersion: rootVersion,
  files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, { sha256: sha256(bytes) }])),
};
files['source.json'] = Buffer.from(JSON.stringify(source, null, 2) + '\n');

if (process.argv.includes('--check')) {
  const stale = Object.entries(files).filter(([name, bytes]) => {
    try {
      return !readFileSync(new URL(name, OUT)).equals(bytes);
    } catch {
      return true;
    }
  });
  for (const [name] of stale) process.stderr.write(`data/sigstore/${name} differs from ${source.source}\n`);
  process.exit(stale.length ? 1 : 0);
}
mkdirSync(OUT, { recursive: true });
for (const [name, bytes] of Object.entries(files)) writeFileSync(new URL(name, OUT), bytes);
process.stderr.write(`wrote data/sigstore/ from ${source.source} (TUF root version ${rootVersion})\n`);
