// `packsec status`: notices from the registry about what is installed (advisories, signed maintainer
// notices, deprecations, publisher changes, newer versions), for every package version in packsec.lock.json.
import { loadNpmConfig } from '../../install/npm.js';
import { readLock } from '../../policy/index.js';
import { AUDIT_LEVELS, collectStatus, displayRegistry, npmStatusPowers, statusExitCode, type AuditLevel, type PackageStatus, type StatusReport } from '../../status/index.js';
import type { Command } from '../command.js';
import type { Colors, Display } from '../display.js';
import { CliError } from '../errors.js';
import { listNames, projectDir } from '../project.js';

function auditLevel(flag: unknown, fromNpmrc: unknown): AuditLevel {
  const level = typeof flag === 'string' ? flag : typeof fromNpmrc === 'string' ? fromNpmrc : 'low';
  if (!(AUDIT_LEVELS as readonly string[]).includes(level)) {
    throw new CliError('USAGE', `--audit-level: expected one of ${AUDIT_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  return level as AuditLevel;
}

export const statusCommand: Command<StatusReport> = {
  name: 'status',
  summary: 'notices from the registry about installed packages: advisories, signed maintainer notices, deprecations, publisher changes',
  usage: [
    'packsec status [--audit-level info|low|moderate|high|critical|none] [--registry URL] [--json] [--prefix <dir>]',
    '',
    '  --audit-level  exit 1 for advisories of this severity or higher (npm\'s option; default low)',
    'Signed maintainer notices (from a packsec registry) fail like advisories of their severity; one that does not verify fails',
    'like one of unknown severity. Exit 1 also when a publisher change affects an installed version. npm\'s configuration (.npmrc) applies.',
  ].join('\n'),
  options: { 'audit-level': { type: 'string' }, registry: { type: 'string' } },
  async run(values, _positionals, display) {
    const dir = projectDir(values.prefix);
    const lock = readLock(dir);
    if (!lock) throw new CliError('NO_PROJECT', `no packsec.lock.json in ${dir}`, 'run `packsec init` (or install with npsm) first');
    const config = await loadNpmConfig('audit', typeof values.registry === 'string' ? [`--registry=${values.registry}`] : [], dir);
    const level = auditLevel(values['audit-level'], config.get('audit-level'));
    const report = await collectStatus(lock, npmStatusPowers(config), {
      registry: displayRegistry(config.flat.registry ?? 'https://registry.npmjs.org/'),
      auditLevel: level,
      onProgress: (done, total) => display.progress(`asking the registry about packages ${done}/${total}`),
    });
    display.endProgress();
    return { exit: statusExitCode(report), data: report };
  },
  print({ data }, d) {
    const c = d.color;
    const s = data.summary;
    d.out(`${c.bold('packsec status')}: ${s.packages} package version${s.packages === 1 ? '' : 's'} (${s.copies} installed cop${s.copies === 1 ? 'y' : 'ies'}) checked against ${data.registry}`);
    if (!data.advisories.available) {
      d.out(c.yellow(`  advisories: not available from ${data.registry} (${data.advisories.reason}); installed versions were not checked for known vulnerabilities`));
    } else if (data.advisories.unreadable) {
      d.out(c.yellow(`  advisories: ${data.advisories.unreadable} entr${data.advisories.unreadable === 1 ? 'y' : 'ies'} of the registry's answer could not be read`));
    }
    const n = data.notices;
    if (!n.offered) d.out(c.dim(`  notices: ${data.registry} offers no signed maintainer notices`));
    else if (!n.available) d.out(c.yellow(`  notices: not available from ${data.registry} (${n.reason}); signed maintainer notices were not checked`));
    else if (n.unreadable) d.out(c.yellow(`  notices: ${n.unreadable} entr${n.unreadable === 1 ? 'y' : 'ies'} of the registry's answer could not be read`));
    for (const p of data.packages) printPackage(p, d);
    printFootnotes(data, d);
    printSummary(data, d);
  },
};

function hasNotice(p: PackageStatus): boolean {
  return p.advisories.length > 0 || p.unclearAdvisories.length > 0 || p.notices.length > 0 || p.unverifiedNotices.length > 0
    || p.deprecated !== undefined || p.publishers.length > 0 || p.problem !== undefined;
}

function printPackage(p: PackageStatus, d: Display): void {
  if (!hasNotice(p)) return;
  const c = d.color;
  const as = p.installedAs ? c.dim(` (installed as ${p.installedAs.join(', ')})`) : '';
  d.out(`\n${c.bold(`${p.name}@${p.version}`)}${as}  ${c.dim(listNames(p.paths, 3))}`);
  for (const a of p.advisories) {
    const label = a.fails ? c.red(`${a.severity} advisory`) : `${a.severity} advisory`;
    d.out(`  ${label} #${a.id}: ${a.title} (${a.range})${a.url ? c.dim(`  ${a.url}`) : ''}`);
  }
  for (const a of p.unclearAdvisories) d.out(c.yellow(`  ${a.severity} advisory #${a.id}: ${a.title} — its range "${a.range}" cannot be read; check whether ${p.version} is affected`));
  for (const n of p.notices) {
    const label = n.fails ? c.red(`${n.severity} notice`) : `${n.severity} notice`;
    d.out(`  ${label} from ${n.author}, signed by the registry (${n.createdAt.slice(0, 10)}): ${n.title}`);
    for (const line of n.body ? n.body.split('\n') : []) d.out(`    ${line}`);
  }
  for (const n of p.unverifiedNotices) {
    d.out(c.red(`  a notice that does not verify (it claims ${n.claimedSeverity}: "${n.claimedTitle}"): ${n.reason}; not shown as signed`));
  }
  if (p.deprecated) d.out(c.yellow(`  deprecated: "${p.deprecated}"`));
  for (const n of p.publishers) d.out(n.affectsInstalled ? c.red(`  publisher: ${n.message}`) : `  before upgrading: ${n.message}`);
  if (p.problem) d.out(c.dim(`  not checked: ${p.problem}`));
  if (p.latest) d.out(c.dim(`  newer: ${p.latest} (latest)`));
}

function printFootnotes(data: StatusReport, d: Display): void {
  const c = d.color;
  const quiet = data.packages.filter((p) => !hasNotice(p) && p.latest);
  if (quiet.length) d.out(c.dim(`\nnewer versions (latest) of ${quiet.length} more: ${listNames(quiet.map((p) => `${p.name} ${p.version} → ${p.latest}`), 6)}`));
  const unknown = data.packages.filter((p) => p.publishersUnknown).map((p) => p.name);
  if (unknown.length) d.out(c.dim(`publishers: the registry names none for ${listNames(unknown, 6)}; publisher changes were not checked there`));
  if (data.skipped.length) d.out(c.dim(`not from a registry, not checked: ${listNames(data.skipped.map((x) => `${x.name}@${x.version}`), 6)}`));
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What the summary may claim about advisories: nothing when the endpoint gave no answer. */
function advisoryParts(data: StatusReport, c: Colors): string[] {
  const s = data.summary;
  if (!data.advisories.available) return [c.yellow('advisories not checked')];
  if (data.auditLevel === 'none') return [`${plural(s.advisories, 'advisory', 'advisories')} (none fail at audit level none)`];
  const parts = [s.failingAdvisories ? c.red(`${plural(s.failingAdvisories, 'advisory', 'advisories')} at or above ${data.auditLevel}`) : `no advisories at or above ${data.auditLevel}`];
  if (s.advisories > s.failingAdvisories) parts.push(`${s.advisories - s.failingAdvisories} below`);
  return parts;
}

/** What the summary may claim from the registry documents: only about the packages whose document was read. */
function documentParts(data: StatusReport, c: Colors): string[] {
  const s = data.summary;
  const read = s.packages - s.unreadable;
  if (s.packages > 0 && read === 0) return [c.yellow('no registry document could be read: deprecations and publishers not checked')];
  const parts: string[] = [];
  if (s.publisherChanges) parts.push(c.red(`${plural(s.publisherChanges, 'publisher change')} affecting installed versions`));
  else if (s.publishersUnknown) parts.push(c.yellow(s.publishersUnknown >= read ? 'publishers not checked' : `no publisher changes (${s.publishersUnknown} not checked)`));
  else parts.push('no publisher changes');
  if (s.headsUps) parts.push(`${plural(s.headsUps, 'heads-up')} before upgrading`);
  parts.push(s.deprecated ? c.yellow(`${s.deprecated} deprecated`) : 'nothing deprecated');
  if (s.unreadable) parts.push(c.yellow(`${s.unreadable} not checked`));
  return parts;
}

/** What the summary may claim about notices: nothing when the registry has none to offer (said above). */
function noticeParts(data: StatusReport, c: Colors): string[] {
  const s = data.summary;
  if (!data.notices.offered) return [];
  if (!data.notices.available) return [c.yellow('notices not checked')];
  const failing = s.failingNotices - (data.auditLevel === 'none' ? 0 : s.unverifiedNotices);
  const parts = [s.notices ? (failing > 0 ? c.red(plural(s.notices, 'signed notice')) : plural(s.notices, 'signed notice')) : 'no notices'];
  if (s.unverifiedNotices) parts.push(c.red(`${plural(s.unverifiedNotices, 'notice')} that do${s.unverifiedNotices === 1 ? 'es' : ''} not verify`));
  return parts;
}

function printSummary(data: StatusReport, d: Display): void {
  const c = d.color;
  d.out(`\n${c.bold('packsec status')}: ${[...advisoryParts(data, c), ...noticeParts(data, c), ...documentParts(data, c)].join(', ')}`);
  const failing = data.packages.filter((p) => p.advisories.some((a) => a.fails) || p.notices.some((n) => n.fails)).map((p) => p.name);
  if (failing.length) d.out(`  upgrade with \`npsm update ${[...new Set(failing)].join(' ')}\` (through the install gate); --audit-level sets the severity that fails (now ${data.auditLevel})`);
  if (data.summary.unverifiedNotices) {
    d.out(`  a notice that does not verify was changed after the registry signed it, or did not come from the registry's key: ask the maintainers, and compare with ${data.registry}/-/packsec/v1/notices/<name>`);
  }
  for (const p of data.packages.filter((x) => x.publishers.some((n) => n.affectsInstalled))) {
    d.out(`  review who published ${p.name}@${p.version}: \`npm view ${p.name}@${p.version} _npmUser dist.attestations\``);
  }
}
