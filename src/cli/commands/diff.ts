// `packsec diff <name>@<a> <name>@<b>`: the capability diff of two published versions, fetched
// from the registry (npm's configuration applies) and analysed without installing anything.
import { diffVersions, type PackageDiff } from '../../install/diff.js';
import { loadNpmConfig } from '../../install/npm.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';

/** `4.3.4` or `^4` after `debug@4.3.3` means `debug@4.3.4`. */
function secondSpec(a: string, b: string): string {
  if (/^[~^<>=v\d*]/.test(b) || b === 'latest' || b === 'next') {
    const at = a.lastIndexOf('@');
    if (at > 0) return `${a.slice(0, at)}@${b}`;
  }
  return b;
}

export const diffCommand: Command<PackageDiff> = {
  name: 'diff',
  summary: 'show what a package version can do that another could not, without installing either',
  usage: 'packsec diff <name>@<a> <name>@<b> [--json] [--exit-code]\n\n  --exit-code  exit 1 when the second version gains a capability or changes an install script',
  options: { 'exit-code': { type: 'boolean' }, registry: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 2) throw new CliError('USAGE', 'packsec diff takes two package specs, e.g. `packsec diff debug@4.3.4 debug@4.4.0`');
    const [a, b] = [positionals[0]!, secondSpec(positionals[0]!, positionals[1]!)];
    const config = await loadNpmConfig('view', typeof values.registry === 'string' ? [`--registry=${values.registry}`] : [], process.cwd());
    const diff = await diffVersions(a, b, config);
    const widened = diff.gained.length > 0 || diff.scripts.some((s) => s.after !== undefined);
    return { exit: values['exit-code'] && widened ? 1 : 0, data: diff };
  },
  print({ data }, d) {
    const c = d.color;
    d.out(`${c.bold(`${data.a.name}@${data.a.version}`)} → ${c.bold(`${data.b.name}@${data.b.version}`)}`);
    if (!data.gained.length && !data.lost.length) d.out('  capabilities unchanged');
    for (const g of data.gained) d.out(c.yellow(`  + ${g.capability}`) + (g.where ? c.dim(`  ${g.where}`) : ''));
    for (const l of data.lost) d.out(c.dim(`  - ${l}`));
    for (const s of data.scripts) {
      if (s.before === undefined) d.out(c.yellow(`  new install script ${s.event}: ${JSON.stringify(s.after)}`));
      else if (s.after === undefined) d.out(`  install script removed ${s.event}: ${JSON.stringify(s.before)}`);
      else d.out(c.yellow(`  install script ${s.event} changed: ${JSON.stringify(s.before)} → ${JSON.stringify(s.after)}`));
    }
    const deps = data.dependencies;
    for (const [k, v] of Object.entries(deps.added)) d.out(`  new dependency ${k}@${v}`);
    for (const [k, [x, y]] of Object.entries(deps.changed)) d.out(c.dim(`  dependency ${k}: ${x} → ${y}`));
    for (const k of deps.removed) d.out(c.dim(`  dependency removed: ${k}`));
    const f = data.files;
    d.out(c.dim(`  files: ${f.added.length} added, ${f.removed.length} removed, ${f.modified.length} modified`));
    for (const w of data.warnings) d.out(`  ${w.severity === 'block' ? c.yellow('warning') : 'note'}: ${w.message}`);
  },
};
