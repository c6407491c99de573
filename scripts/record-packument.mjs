#!/usr/bin/env node
// Records a registry packument as a test fixture, trimmed to a few versions and to the fields the install
// warnings read. Run: node scripts/record-packument.mjs <name> <version,version,…> [registry]
// Writes test/fixtures/packuments/<name with / as __>.json.
import { mkdirSync, writeFileSync } from 'node:fs';

const [name, versionList, registry = 'https://registry.npmjs.org'] = process.argv.slice(2);
if (!name || !versionList) {
  process.stderr.write('usage: node scripts/record-packument.mjs <name> <version,version,…> [registry]\n');
  process.exit(2);
}
const url = `${registry.replace(/\/$/, '')}/${name.replace('/', '%2f')}`;
const res = await fetch(url, { headers: { accept: 'application/json' } });
if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
const doc = await res.json();

const keep = versionList.split(',');
const VERSION_FIELDS = ['name', 'version', 'deprecated', 'repository', '_npmUser', 'maintainers'];
const pick = (obj, fields) => Object.fromEntries(fields.filter((f) => Object.hasOwn(obj, f)).map((f) => [f, obj[f]]));
const versions = {};
const time = {};
for (const v of keep) {
  if (!doc.versions?.[v]) throw new Error(`${name}@${v} is not in the document`);
  versions[v] = pick(doc.versions[v], VERSION_FIELDS);
  if (doc.time?.[v]) time[v] = doc.time[v];
}
for (const t of ['created', 'modified']) if (doc.time?.[t]) time[t] = doc.time[t];
const out = {
  _fixture: `Recorded from ${url} on ${new Date().toISOString().slice(0, 10)} by scripts/record-packument.mjs: versions ${keep.join(', ')} of ${Object.keys(doc.versions ?? {}).length}, fields ${VERSION_FIELDS.join(', ')} when present.`,
  ...pick(doc, ['name', 'maintainers', 'repository']),
  'dist-tags': Object.fromEntries(Object.entries(doc['dist-tags'] ?? {}).filter(([, v]) => keep.includes(v))),
  versions,
  time,
};
const dir = new URL('../test/fixtures/packuments/', import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL(`${name.replace('/', '__')}.json`, dir);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
process.stderr.write(`${file.pathname}\n`);
