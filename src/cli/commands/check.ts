// `packsec check`: for CI. Re-infers from node_modules and fails (exit 1) when anything installed
// differs from what the committed policy and lock say was reviewed.
import { analyzeProject } from '../../analyze/index.js';
import { checkTree, type CheckResult } from '../../install/check.js';
import { readLock, requirePolicy } from '../../policy/index.js';
import type { Command } from '../command.js';
import { projectDir, requireNodeModules } from '../project.js';

const LABELS: Record<string, string> = {
  gained: 'gained capabilities',
  'not-in-policy': 'not in the policy',
  'not-in-lock': 'not in the lock',
  'version-changed': 'another version than reviewed',
  'files-changed': 'installed files changed',
  'script-changed': 'install scripts changed',
  'integrity-mismatch': 'integrity disagrees with npm\'s lockfile',
};

export const checkCommand: Command<CheckResult> = {
  name: 'check',
  summary: 'CI: fail when an installed package gained a capability or differs from what was reviewed',
  usage: 'packsec check [--json] [--no-cache] [--prefix <dir>]',
  options: { 'no-cache': { type: 'boolean' } },
  async run(values, _positionals, display) {
    const dir = projectDir(values.prefix);
    requireNodeModules(dir);
    const policy = requirePolicy(dir);
    const lock = readLock(dir);
    const analysis = await analyzeProject(dir, {
      cacheFile: values['no-cache'] ? null : undefined,
      onProgress: (done, total) => display.progress(`analysing packages ${done}/${total}`),
    });
    display.endProgress();
    const result = checkTree(analysis, policy, lock, dir);
    return { exit: result.ok ? 0 : 1, data: result };
  },
  print({ data }, d) {
    const c = d.color;
    if (data.ok) {
      d.out(`${c.bold('packsec check')}: ok — ${data.stats.packages} packages (${data.stats.copies} copies) match the policy and the lock`);
    } else {
      d.out(`${c.bold('packsec check')}: ${c.red(`${data.problems.length} problem${data.problems.length === 1 ? '' : 's'}`)} in ${data.stats.packages} packages`);
      let last = '';
      for (const p of data.problems) {
        if (p.kind !== last) d.out(`\n${c.bold(LABELS[p.kind] ?? p.kind)}:`);
        last = p.kind;
        d.out(`  ${p.message}`);
        for (const line of p.details) d.out(`      ${p.kind === 'gained' ? c.yellow('+ ' + line) : line}`);
      }
      d.out(`\nReview these changes; if they are expected, \`npsm install --accept\` (or \`packsec init\`) records them in packsec.policy.json and packsec.lock.json.`);
    }
    for (const n of data.notes) d.info(c.dim(`  note: ${n}`));
  },
};
