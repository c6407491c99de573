#!/usr/bin/env node
// The escape suites under `packsec run` as users run it, with verified loading: every case's dependency
// that changed after `packsec init` is refused before it runs. Passes when nothing leaks, every escape
// is blocked, and every legit case works, or was refused by verification because it changed after init.
// Usage: node .ci/escapes-verified.mjs [CASES.mjs ...] (PACKSEC as for the suite's run.mjs)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('../../shared/escapes/run.mjs', import.meta.url));
const r = spawnSync(process.execPath, [runner, '--json', ...process.argv.slice(2)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
let results;
try {
  // The runner ends its JSON with a summary line of its own.
  results = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('\n]') + 2));
} catch {
  console.error(`escape suite output is not JSON:\n${r.stdout}`);
  process.exit(1);
}
let failed = 0;
for (const c of results) {
  const refused = c.kind === 'legit' && c.verdict === 'BROKEN' && /failed verification/.test(c.detail);
  const ok = c.leaks.length === 0 && c.init === 0 && (c.kind === 'legit' ? c.verdict === 'WORKS' || refused : c.verdict === 'BLOCKED');
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.kind.padEnd(6)} ${c.name.padEnd(28)} ${refused ? 'REFUSED (changed after init)' : c.verdict}${c.leaks.length ? ` (${c.leaks.join(', ')})` : ''}${ok ? '' : `\n       ${c.detail}`}`);
}
console.log(`verified: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
