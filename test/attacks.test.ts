// The attack gallery (examples/attacks/) as tests: every replica must work under plain npm and node, and
// be stopped by each layer it lists (or, for the negative controls, behave as documented). One registry
// and one run serve every replica; a deliberately wrong expectation shows that results are observed.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runGallery, type GalleryReport } from '../examples/attacks/harness/gallery.js';
import type { Replica } from '../examples/attacks/harness/replica.js';
import { markdownTable, textTable } from '../examples/attacks/harness/table.js';
import { replicas } from '../examples/attacks/replicas.js';

const eslintScope = replicas.find((r) => r.id === 'eslint-scope')!;
// The same attack with expectations that do not hold: a capability it does not gain, and the runtime
// letting it through. Both must come out as mismatches.
const wrong: Replica = {
  ...eslintScope,
  id: 'eslint-scope:wrong',
  title: 'eslint-scope, wrong expectations',
  layers: [
    { layer: 'capability diff (claims child_process)', kind: 'capability-diff', package: 'eslint-scope', gained: [/^builtins:child_process/] },
    { layer: 'runtime (claims not stopped)', kind: 'runtime', policy: 'reviewed', run: { scripts: 'eslint-scope' }, denial: /"eslint-scope" may not/, expect: 'not-stopped' },
  ],
};

let report: GalleryReport;
before(async () => {
  report = await runGallery([...replicas, wrong], { jobs: 2 });
}, { timeout: 15 * 60_000 });

describe('attack gallery', () => {
  for (const r of replicas) {
    it(`${r.title}: works under plain npm/node, and each listed layer ${r.kind === 'control' ? 'behaves as documented' : 'stops it'}`, () => {
      const got = report.results.find((x) => x.id === r.id);
      assert.ok(got, `no result for ${r.id}`);
      assert.ok(got.plain.ok, `plain npm/node: expected ${got.plain.expected}, got: ${got.plain.detail}`);
      assert.deepEqual(got.layers.map((l) => l.layer), r.layers.map((l) => l.layer));
      for (const l of got.layers) assert.ok(l.ok, `${l.layer}: expected ${l.expect}, got: ${l.detail}`);
      if (r.kind === 'attack') assert.ok(got.layers.every((l) => l.stopped));
    });
  }

  it('reports expectations that do not hold as mismatches, from what happened', () => {
    const got = report.results.find((x) => x.id === 'eslint-scope:wrong')!;
    assert.equal(got.ok, false);
    assert.ok(got.plain.ok, 'the attack itself still works under plain npm');
    const [diff, runtime] = got.layers;
    assert.equal(diff!.ok, false);
    assert.match(diff!.detail, /gains builtins:http\.get.*not shown: \/\^builtins:child_process\//);
    assert.equal(runtime!.ok, false);
    assert.equal(runtime!.stopped, true);
    assert.match(runtime!.detail, /^denied: "eslint-scope" may not/);
  });

  it('prints the table with every replica and layer, as text and as Markdown', () => {
    const ok = { ...report, results: report.results.filter((r) => r.id !== 'eslint-scope:wrong') };
    ok.ok = ok.results.every((r) => r.ok);
    const text = textTable(ok, Infinity);
    const md = markdownTable(ok);
    for (const r of replicas) {
      assert.ok(text.includes(r.title), r.title);
      for (const l of r.layers) assert.ok(md.includes(`| ${l.layer} |`), l.layer);
    }
    assert.match(text, /all as expected/);
    assert.match(textTable(report, Infinity), /MISMATCH/);
  });
});
