// `packsec install` / `npsm`: npm's install, ci, update and uninstall behind the install gate. npm's
// own arguments pass through; packsec adds --accept, --json and its warnings.
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { join, relative } from 'node:path';
import { installScripts, readManifest } from '../../analyze/index.js';
import { readLock, requirePolicy } from '../../policy/index.js';
import { rebuildScripts, type ScriptResult } from '../../install/scripts.js';
import { runGate, type GateResult } from '../../install/gate.js';
import { loadNpmConfig } from '../../install/npm.js';
import type { NpmCommand } from '../../install/plan.js';
import type { PackageReview, Review } from '../../install/review.js';
import { installWarnings } from '../../install/warn.js';
import type { Command } from '../command.js';
import type { Display } from '../display.js';
import { CliError } from '../errors.js';

const ALIASES: Record<string, NpmCommand> = {
  install: 'install', i: 'install', add: 'install', in: 'install', ins: 'install', isntall: 'install',
  ci: 'ci', 'clean-install': 'ci', 'install-clean': 'ci', ic: 'ci',
  update: 'update', up: 'update', upgrade: 'update', udpate: 'update',
  uninstall: 'uninstall', remove: 'uninstall', rm: 'uninstall', r: 'uninstall', un: 'uninstall', unlink: 'uninstall',
};
const REBUILD = new Set(['rebuild', 'rb']);

export const USAGE = `npsm [install|ci|update|uninstall] [npm arguments…] [--accept] [--json]

  npsm install [<pkg>…]   npm install through the install gate
  npsm ci                 npm ci: exactly the lockfile, refused if anything in it is unreviewed and widens a capability
  npsm update [<pkg>…]    npm update through the gate
  npsm uninstall <pkg>…   npm uninstall (removals never need review)
  npsm rebuild [<pkg>…]   run the allowed, reviewed install scripts again

  --accept=ID             accept exactly the capability changes of review ID, which npsm prints when it refuses
  --accept                accept whatever capability changes there are (on a TTY you are asked instead)
  --allow-scripts <names> allow these packages' install scripts (comma-separated), recorded in the policy
  --min-release-age <days>  flag versions published less than this long ago (npm's own option; default 1)
  --json                  one JSON document on stdout
Every other argument is npm's (--save-dev, --registry, --prefix, …); .npmrc files apply as with npm.
Install scripts never run unless the policy sets "scripts": true for the package.`;

type RebuildResult = Awaited<ReturnType<typeof rebuildScripts>>;

export const installCommand: Command<GateResult | RebuildResult> = {
  name: 'install',
  summary: 'npm install behind the install gate: capability review before anything lands (also: npsm)',
  usage: USAGE,
  options: {},
  rawArgs: true,
  async run(_values, argv, display) {
    let accept: boolean | string = false;
    let json = false;
    const npmArgs: string[] = [];
    let sub: NpmCommand | null = null;
    const allowScripts: string[] = [];
    let rebuild = false;
    // Only the first positional argument can name npm's command.
    let first = true;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--accept' || a === '--yes' || a === '-y') accept = true;
      else if (a.startsWith('--accept=')) {
        accept = a.slice('--accept='.length);
        if (!/^[0-9a-f]{12}$/.test(accept)) throw new CliError('USAGE', `--accept=: expected the review id npsm printed (12 hex digits), got ${JSON.stringify(accept.slice(0, 40))}`);
      }
      else if (a === '--json') json = true;
      else if (a === '--allow-scripts' || a.startsWith('--allow-scripts=')) {
        const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
        if (!v) throw new CliError('USAGE', '--allow-scripts needs package names, e.g. --allow-scripts=esbuild,sharp');
        allowScripts.push(...v.split(',').map((n) => n.trim()).filter(Boolean));
      } else if (first && REBUILD.has(a)) rebuild = true;
      else if (first && ALIASES[a]) sub = ALIASES[a]!;
      else npmArgs.push(a);
      if (!a.startsWith('-')) first = false;
    }
    if (rebuild) return rebuildCommand(npmArgs, json, display);
    // `packsec install x` and `npsm install x` both install x; `npsm ci` / `packsec install ci` run ci.
    const command = sub ?? 'install';
    const config = await loadNpmConfig(command, npmArgs, process.cwd());
    if (command === 'uninstall' && config.positionals.length === 0) throw new CliError('USAGE', 'npsm uninstall: name the packages to remove');
    const minAgeDays = numberOr(config.get('min-release-age'), 1);
    const ask = !accept && !json && process.stdin.isTTY === true && process.stderr.isTTY === true && !process.env.CI;
    const result = await runGate({
      command,
      config,
      accept,
      allowScripts,
      confirm: ask ? (review) => confirm(review, display) : null,
      warnings: (_plan, packuments) => installWarnings(packuments, { now: new Date(), minReleaseAgeMinutes: minAgeDays * 24 * 60 }),
      onProgress: (text) => display.progress(text),
    });
    display.endProgress();
    if (json) {
      display.result(result);
      return { exit: result.outcome === 'installed' || result.outcome === 'nothing-to-do' ? 0 : 1, data: result };
    }
    printResult(result, display);
    // The CLI's generic printing is skipped: `print` below does nothing for this command.
    return { exit: result.outcome === 'installed' || result.outcome === 'nothing-to-do' ? 0 : 1, data: result };
  },
  print() {},
};

async function rebuildCommand(args: string[], json: boolean, display: Display): Promise<{ exit: number; data: RebuildResult }> {
  const config = await loadNpmConfig('rebuild', args, process.cwd());
  const dir = config.localPrefix;
  const policy = requirePolicy(dir);
  const lock = readLock(dir);
  if (!lock) throw new CliError('NO_PROJECT', `no packsec.lock.json in ${dir}`, 'install with npsm (or run `packsec init`) first');
  const installed = (location: string): Record<string, string> | null => {
    const pkgDir = join(dir, location);
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(pkgDir, 'package.json'));
    } catch {
      return null;
    }
    return installScripts(readManifest(bytes), existsSync(join(pkgDir, 'binding.gyp')));
  };
  const { ran, skipped } = await rebuildScripts(dir, policy, lock.packages, installed, config.positionals);
  const data: RebuildResult = { ran, skipped };
  if (json) display.result(data);
  else {
    printScripts(ran, display, '');
    for (const s of skipped) display.out(`skipped ${s.location}: ${s.reason}`);
    if (!ran.length && !skipped.length) display.out('npsm rebuild: no install scripts to run');
  }
  return { exit: ran.some((r) => r.exit !== 0) ? 1 : 0, data };
}

function numberOr(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

async function confirm(review: Review, display: Display): Promise<boolean> {
  display.endProgress();
  printReview(review, display);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${review.escalations} package${review.escalations === 1 ? '' : 's'} widen${review.escalations === 1 ? 's' : ''} what dependencies can do. Install anyway? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

let reviewPrinted = false;

export function printReview(review: Review, d: Display): void {
  reviewPrinted = true;
  for (const p of review.packages) printPackage(p, d);
}

function printPackage(p: PackageReview, d: Display): void {
  const c = d.color;
  const mark = p.escalations.length ? c.yellow('!') : ' ';
  if (p.kind === 'removed') {
    d.out(`${mark}${c.red('-')} ${p.name}@${p.from.join(', ')}`);
    return;
  }
  if (p.kind === 'added') {
    d.out(`${mark}${c.green('+')} ${c.bold(`${p.name}@${p.to.join(', ')}`)} ${c.dim('(new)')}`);
    if (!p.capabilities.length) d.out(c.dim('      no capabilities'));
    for (const cap of p.capabilities) {
      const g = p.gained.find((x) => x.capability === cap);
      d.out(`      ${cap}${g?.where ? c.dim(`  ${g.where}`) : ''}`);
    }
  } else {
    d.out(`${mark}${c.cyan('~')} ${c.bold(p.name)} ${p.from.join(', ')} → ${p.to.join(', ')}`);
    if (!p.gained.length && !p.lost.length) d.out(c.dim('      capabilities unchanged'));
    for (const g of p.gained) d.out(c.yellow(`      + ${g.capability}`) + (g.where ? c.dim(`  ${g.where}`) : ''));
    for (const l of p.lost) d.out(c.dim(`      - ${l}`));
    for (const n of p.newDependencies) d.out(`      new dependency: ${n}`);
  }
  for (const s of p.scripts) {
    const state = s.allowed ? (s.status === 'reviewed' ? 'allowed, reviewed' : c.yellow(`allowed, ${s.status} — needs review`)) : 'will not run (not allowed)';
    d.out(`      install script ${s.event}: ${JSON.stringify(s.command)} — ${state}`);
  }
  for (const w of p.warnings) d.out(`      ${w.severity === 'block' ? c.yellow('warning') : c.dim('note')}: ${w.message}`);
}

function printScripts(results: ScriptResult[], d: Display, indent: string): void {
  const c = d.color;
  for (const s of results) {
    d.out(`${indent}ran ${s.name} ${s.event} (${JSON.stringify(s.command)}), contained: ${s.exit === 0 ? 'ok' : c.red(`failed with exit ${s.exit ?? 'signal'}`)} (${s.ms} ms)`);
    if (s.output) for (const line of s.output.split('\n')) d.out(c.dim(`    | ${line}`));
    // A failed script's output already shows its denials.
    else for (const line of s.denials ?? []) d.out(c.red(`    denied: ${line.replace(/^packsec(?: \(warn\))?: /, '')}`));
  }
}

function printResult(r: GateResult, d: Display): void {
  const c = d.color;
  const counts = { added: 0, updated: 0, removed: 0 };
  for (const ch of r.changes) counts[ch.kind]++;
  const where = relative(process.cwd(), r.projectDir) || '.';
  d.out(`${c.bold('npsm ' + r.command)} (${where}): ${counts.added} to add, ${counts.updated} to update, ${counts.removed} to remove, ${r.unchanged} unchanged — fetched and analysed in ${(r.timings.stageMs / 1000).toFixed(1)} s`);
  if (!reviewPrinted) printReview(r.review, d);
  if (r.outcome === 'refused' || r.outcome === 'declined') {
    d.out(c.red(`npsm: refused: ${r.reason}.`));
    const names = r.review.packages.filter((p) => p.escalations.length).map((p) => `${p.name} (${p.escalations.join('; ')})`);
    for (const n of names) d.out(`  ${n}`);
    d.out(`  node_modules, package.json and the lockfile are unchanged. After reviewing the above, run again with --accept=${r.review.id} (exactly these changes; --accept takes whatever is there then).`);
    if (r.firstRun) d.out(`  This project has no packsec.policy.json yet: \`packsec init\` records what is installed now, so that npsm only asks about what changes.`);
    return;
  }
  printScripts(r.scripts, d, '  ');
  if (r.scriptsSkipped.length) {
    d.out(c.dim(`  install scripts not run (not allowed by the policy): ${r.scriptsSkipped.map((s) => `${s.name} (${s.events.join(', ')})`).join(', ')}`));
    d.out(c.dim('  to allow one: `npsm install --allow-scripts=<name>`, or set "scripts": true in its packsec.policy.json entry and run `npsm rebuild <name>`'));
  }
  const pc = r.policyChanges;
  if (pc && (pc.added.length || pc.removed.length || pc.changed.length)) {
    d.out(`  policy: ${pc.added.length} added, ${pc.changed.length} changed, ${pc.removed.length} removed; wrote packsec.policy.json and packsec.lock.json`);
  }
  if (r.outcome === 'script-failed') d.out(c.red('npsm: installed, but an install script failed (above)'));
  else d.out(r.outcome === 'nothing-to-do' ? 'npsm: up to date' : `npsm: installed in ${(r.timings.totalMs / 1000).toFixed(1)} s`);
}
