#!/usr/bin/env node
// Regenerates data/popular-packages.json, the names the install gate compares new package names with
// (typosquat warnings). Run: node scripts/popular-packages.mjs <registry-list.tsv> [--top N] [--seed-min M]
//
// <registry-list.tsv> is a dated list of the npm registry's packages with monthly download counts, one
// package a line: name <TAB> latest version <TAB> downloads a month [<TAB> anything]; a first line that
// does not end its third column in digits is taken as a header. The list is:
//   - the N most downloaded names (default 2200), then
//   - every name in scripts/popular-seeds.txt (packages people name directly: frameworks, tools, clients)
//     that the registry list has with at least M downloads a month (default 100000).
// A name is dropped when the registry list does not have it or when its latest version is one of npm's
// security placeholders (`0.0.1-security`: the name was taken away from a malicious publisher).
// The registry list is the existence check: no name is looked up one by one.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const args = process.argv.slice(2);
const option = (flag, fallback) => {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a whole number, got ${args[i + 1]}`);
  args.splice(i, 2);
  return n;
};
const top = option('--top', 2200);
const seedMin = option('--seed-min', 100_000);
const listFile = args[0];
if (!listFile || args.length !== 1) {
  process.stderr.write('usage: node scripts/popular-packages.mjs <registry-list.tsv> [--top N] [--seed-min M]\n');
  process.exit(2);
}

/** name → { version, downloads } from the registry list. */
const registry = new Map();
for (const line of readFileSync(listFile, 'utf8').split('\n')) {
  const [name, version, downloads] = line.split('\t');
  if (!name || !version || !/^\d+$/.test(downloads ?? '')) continue;
  registry.set(name, { version, downloads: Number(downloads) });
}
if (registry.size < 10_000) throw new Error(`${listFile}: only ${registry.size} packages; is this the registry list?`);

const placeholder = (v) => /-security(\.\d+)?$/.test(v);
const ranked = [...registry].filter(([, r]) => !placeholder(r.version)).sort((a, b) => b[1].downloads - a[1].downloads || (a[0] < b[0] ? -1 : 1));
const chosen = new Map(ranked.slice(0, top));

const seeds = readFileSync(new URL('scripts/popular-seeds.txt', root), 'utf8')
  .split('\n').map((l) => l.replace(/#.*/, '')).join(' ').split(/\s+/).filter(Boolean);
const dropped = [];
for (const name of new Set(seeds)) {
  const r = registry.get(name);
  if (!r) dropped.push(`${name} (not in the registry list)`);
  else if (placeholder(r.version)) dropped.push(`${name} (security placeholder)`);
  else if (r.downloads < seedMin) dropped.push(`${name} (${r.downloads} downloads a month)`);
  else chosen.set(name, r);
}

const packages = [...chosen].sort((a, b) => b[1].downloads - a[1].downloads || (a[0] < b[0] ? -1 : 1)).map(([name]) => name);
const out = {
  description: 'Popular npm package names, most downloaded first, for packsec install typosquat warnings.',
  generated: new Date().toISOString().slice(0, 10),
  method: `scripts/popular-packages.mjs: the ${top} most downloaded names of a dated registry list (${registry.size} packages with monthly downloads), plus the names of scripts/popular-seeds.txt with at least ${seedMin} downloads a month; npm security placeholders dropped`,
  count: packages.length,
  packages,
};
const target = fileURLToPath(new URL('data/popular-packages.json', root));
writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
process.stderr.write(`${target}: ${packages.length} names (${top} by downloads, ${packages.length - top} more from the seeds)\n`);
for (const d of dropped) process.stderr.write(`  seed dropped: ${d}\n`);
