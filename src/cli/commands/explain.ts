// `packsec explain <package>`: every capability of one package with its evidence (file:line and the
// source line), what the policy grants beyond or short of inference, and the analysis warnings.
import { analyzeProject, capabilityCategories, type Evidence, type PackageWarning } from '../../analyze/index.js';
import { describeReach, readPolicy, type PackagePolicy } from '../../policy/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { projectDir, requireNodeModules } from '../project.js';

export interface ExplainCapability {
  capability: string;
  categories: string[];
  /** inferred: found and granted; hand-added: granted but not found; removed: found but not granted. */
  status: 'inferred' | 'declared' | 'hand-added' | 'not-granted';
  evidence: Evidence[];
}

export interface ExplainData {
  name: string;
  versions: string[];
  paths: string[];
  source: string;
  inPolicy: boolean;
  trust: 'full' | null;
  capabilities: ExplainCapability[];
  warnings: PackageWarning[];
}

export const explainCommand: Command<ExplainData> = {
  name: 'explain',
  summary: 'show each capability of a package with its evidence',
  usage: 'packsec explain <package> [--json]',
  options: {},
  async run(values, positionals) {
    const name = positionals[0];
    if (!name) throw new CliError('USAGE', 'explain needs a package name: packsec explain <package>');
    const dir = projectDir(values.prefix);
    requireNodeModules(dir);
    const policy = readPolicy(dir);
    const analysis = await analyzeProject(dir, { only: new Set([name]) });
    const pkg = analysis.packages[0];
    if (!pkg) {
      throw new CliError('UNKNOWN_PACKAGE', `"${name}" is not installed in ${dir}/node_modules`, suggestion(name, Object.keys(policy?.packages ?? {})));
    }
    const granted: PackagePolicy | undefined = policy?.packages[name];
    // Hosts and paths show too when they are open: "net:*" (any host) with where they are computed.
    const grantedCaps = new Set(describeReach(granted ?? pkg.entry));
    const found = new Set(describeReach(pkg.inferred));
    const declaredCaps = new Set(pkg.source === 'inferred' ? [] : describeReach(pkg.entry));
    const all = [...new Set([...grantedCaps, ...found, ...declaredCaps])].filter((k) => !k.startsWith('trust:')).sort();
    const capabilities = all.map((key): ExplainCapability => {
      const status = !grantedCaps.has(key) ? 'not-granted' : found.has(key) ? 'inferred' : declaredCaps.has(key) ? 'declared' : 'hand-added';
      return { capability: key, categories: capabilityCategories(key), status, evidence: pkg.evidence[key] ?? [] };
    });
    return {
      exit: 0,
      data: {
        name,
        versions: pkg.versions,
        paths: pkg.copies.map((c) => c.path),
        source: pkg.source,
        inPolicy: granted !== undefined,
        trust: granted?.trust ?? null,
        capabilities,
        warnings: pkg.warnings,
      },
    };
  },
  print({ data }, d) {
    const c = d.color;
    d.out(`${c.bold(data.name)} ${data.versions.join(', ')}  (${data.paths.join(', ')})`);
    d.out(`  capabilities ${data.source === 'inferred' ? 'inferred by static analysis' : `declared (${data.source})`}${data.inPolicy ? '' : c.yellow('; not in packsec.policy.json yet (run `packsec init`)')}`);
    if (data.trust === 'full') d.out(c.yellow('  trust: "full" — runs uncontained, every capability'));
    if (!data.capabilities.length) d.out('  needs no capabilities');
    for (const cap of data.capabilities) {
      const tag = cap.status === 'inferred' ? '' : cap.status === 'hand-added' ? c.yellow(' (granted by hand; not found by analysis)')
        : cap.status === 'not-granted' ? c.red(' (found by analysis, not granted by the policy)') : c.cyan(' (declared)');
      d.out(`  ${c.bold(cap.capability)}${cap.categories.length ? c.dim(` [${cap.categories.join(', ')}]`) : ''}${tag}`);
      if (cap.capability === 'net:*' && !cap.evidence.length) d.out(c.dim('      hosts: any (no call names one literally)'));
      for (const e of cap.evidence) d.out(`      ${e.file}${e.line ? `:${e.line}` : ''}${e.text ? `  ${c.dim(e.text)}` : ''}`);
    }
    if (data.warnings.length) {
      d.out('  warnings:');
      for (const w of data.warnings.slice(0, 30)) d.out(`    ${c.yellow(w.kind)} ${w.file}${w.line ? `:${w.line}` : ''}  ${w.message}${w.text ? `\n        ${c.dim(w.text)}` : ''}`);
      if (data.warnings.length > 30) d.out(`    … and ${data.warnings.length - 30} more (--json lists all)`);
    }
  },
};

function suggestion(name: string, names: string[]): string | undefined {
  const close = names.filter((n) => n.includes(name) || name.includes(n)).slice(0, 3);
  return close.length ? `did you mean ${close.join(', ')}?` : undefined;
}
