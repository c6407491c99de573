// `packsec verify`: installed files against the lock, the lock against the registry, registry
// signatures, Sigstore provenance and publisher pins. Says plainly what could not be checked.
import { loadNpmConfig } from '../../install/npm.js';
import { LOCK_FILE, readLock } from '../../policy/index.js';
import { verifyProject, type CopyVerdict, type VerifyReport } from '../../verify/verify.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { projectDir, requireNodeModules } from '../project.js';

const FILE_LABELS: Record<string, string> = {
  'files-changed': 'installed files differ from the lock',
  'not-in-lock': 'installed but not in the lock',
  missing: 'in the lock but not installed',
  'version-changed': 'another version than recorded',
  'integrity-mismatch': 'integrity disagrees with npm\'s lockfile',
};

export const verifyCommand: Command<VerifyReport> = {
  name: 'verify',
  summary: 'check installed files, registry signatures, provenance and publishers against the lock',
  usage: [
    'packsec verify [--json] [--offline] [--require-signatures] [--require-provenance] [--prefix <dir>]',
    '',
    '  --offline             only compare installed files with packsec.lock.json (no registry requests)',
    '  --require-signatures  a package without a verified registry signature is a failure',
    '  --require-provenance  a package without verified Sigstore provenance is a failure',
    '  --registry <url>      npm\'s registry option (default: from .npmrc)',
  ].join('\n'),
  options: {
    offline: { type: 'boolean' }, 'require-signatures': { type: 'boolean' }, 'require-provenance': { type: 'boolean' }, registry: { type: 'string' },
  },
  async run(values, _positionals, display) {
    const dir = projectDir(values.prefix);
    requireNodeModules(dir);
    const lock = readLock(dir);
    if (!lock) throw new CliError('NO_PROJECT', `no ${LOCK_FILE} in ${dir}`, 'run `packsec init` (or install with `npsm`) first');
    const offline = values.offline === true;
    const config = offline ? undefined : await loadNpmConfig('view', typeof values.registry === 'string' ? [`--registry=${values.registry}`] : [], dir);
    const report = await verifyProject(dir, lock, {
      ...(config ? { config } : {}),
      offline,
      requireSignatures: values['require-signatures'] === true,
      requireProvenance: values['require-provenance'] === true,
      onProgress: (m) => display.progress(m),
    });
    display.endProgress();
    return { exit: report.ok ? 0 : 1, data: report };
  },
  print({ data }, d) {
    const c = d.color;
    const s = data.summary;
    const mb = (data.hashing.bytes / 1e6).toFixed(1);
    d.out(`${c.bold('packsec verify')}: ${s.copies} package cop${s.copies === 1 ? 'y' : 'ies'}, ${mb} MB hashed in ${data.hashing.ms} ms`);
    if (data.files.length === 0) d.out(`  ${c.green('files')}: every installed file matches ${LOCK_FILE}`);
    let last = '';
    for (const p of data.files) {
      if (p.kind !== last) d.out(`  ${c.red(FILE_LABELS[p.kind] ?? p.kind)}:`);
      last = p.kind;
      d.out(`    ${p.message}`);
      for (const line of p.details) d.out(`        ${line}`);
    }
    if (s.signatures['not-checked'] === s.copies) {
      d.out(`  ${c.dim('registry: not asked (--offline or nothing installed from a registry): signatures, provenance and publishers not checked')}`);
    } else {
      const sig = s.signatures;
      d.out(`  signatures: ${sig.verified} verified, ${sig.unsigned} without a registry signature, ${sig['no-keys']} signed with no keys to check, ${sig.unavailable} unavailable${sig.failed ? c.red(`, ${sig.failed} FAILED`) : ''}`);
      const pr = s.provenance;
      d.out(`  provenance: ${pr.verified} verified, ${pr.absent} none listed by the registry, ${pr.unavailable} unavailable${pr.failed ? c.red(`, ${pr.failed} FAILED`) : ''}`);
      const pub = s.publishers;
      d.out(`  publishers: ${pub.named} of ${s.copies} named by the registry${pub.changed ? c.red(`, ${pub.changed} differ from the pin`) : pub.named ? ', all as pinned' : ' (nothing to compare with the pins)'}`);
      for (const v of data.copies) if (v.provenance.state === 'verified' || v.signature.state === 'verified') d.info(c.dim(`    ${describe(v)}`));
    }
    for (const p of data.problems) d.out(`  ${c.red('problem')}: ${p}`);
    if (!data.ok) d.out(`\nIf a change is expected, reinstall with \`npsm ci\` or record it with \`npsm install --accept\`; otherwise treat it as a compromise.`);
  },
};

function describe(v: CopyVerdict): string {
  const parts = [`${v.name}@${v.version}:`];
  parts.push(v.signature.state === 'verified' ? `signed (key ${v.signature.keyid})` : `signature ${v.signature.state}`);
  if (v.provenance.state === 'verified') parts.push(`built from ${v.provenance.repository} by ${v.provenance.workflow}${v.provenance.commit ? ` at ${v.provenance.commit.slice(0, 12)}` : ''}`);
  else parts.push(`provenance ${v.provenance.state}`);
  if (v.publisher?.npmUser) parts.push(`published by ${v.publisher.npmUser}`);
  return parts.join(' ');
}
