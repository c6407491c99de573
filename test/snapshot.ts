// A small snapshot helper for CLI output: normalises timings and temp paths, compares with
// test/snapshots/<name>.txt, and rewrites snapshots only when UPDATE_SNAPSHOTS=1.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

const dir = join(repoRoot, 'test', 'snapshots');

export function normalize(text: string, project: string): string {
  return text
    .split(project).join('<project>')
    .replace(/in \d+(\.\d+)? s\b/g, 'in <t> s')
    .replace(/"ms": \d+/g, '"ms": <t>')
    .replace(/\r/g, '');
}

export function matchSnapshot(name: string, actual: string): void {
  const file = join(dir, `${name}.txt`);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${name} is missing; run the tests with UPDATE_SNAPSHOTS=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from test/snapshots/${name}.txt`);
}
