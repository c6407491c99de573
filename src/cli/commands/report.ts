// `packsec report`: the whole tree by capability category, who declared what, trusted packages,
// dynamic code and files that could not be analysed.
import { analyzeProject, capabilityCategories, CATEGORIES, entryCategories, type Category } from '../../analyze/index.js';
import { describeEntry, describeReach, readPolicy, type PackagePolicy } from '../../policy/index.js';
import type { Command } from '../command.js';
import { listNames, projectDir, requireNodeModules } from '../project.js';

const DYNAMIC_KINDS = new Set(['eval', 'function-constructor', 'with', 'dynamic-require', 'dynamic-import', 'vm']);

export interface ReportPackage {
  versions: string[];
  /** inferred, declared, community, or hand-edited (the policy differs from what was inferred). */
  source: string;
  entry: PackagePolicy;
  categories: Category[];
  dynamicCode: boolean;
  warnings: number;
}

export interface ReportData {
  project: string;
  policy: boolean;
  packages: Record<string, ReportPackage>;
  categories: Partial<Record<Category, { name: string; capabilities: string[] }[]>>;
  trusted: string[];
  needNothing: string[];
  notInPolicy: string[];
  unanalysable: { file: string; reason: string }[];
}

export const reportCommand: Command<ReportData> = {
  name: 'report',
  summary: 'show the whole tree by capability category',
  usage: 'packsec report [--json]',
  options: {},
  async run(values, _positionals, display) {
    const dir = projectDir(values.prefix);
    requireNodeModules(dir);
    const policy = readPolicy(dir);
    const analysis = await analyzeProject(dir, { onProgress: (done, total) => display.progress(`analysing packages ${done}/${total}`) });
    display.endProgress();
    const data: ReportData = { project: dir, policy: policy !== null, packages: {}, categories: {}, trusted: [], needNothing: [], notInPolicy: [], unanalysable: [] };
    for (const p of analysis.packages) {
      const granted = policy?.packages[p.name];
      if (policy && !granted) data.notInPolicy.push(p.name);
      const entry = granted ?? p.entry;
      const dynamicCode = p.warnings.some((w) => DYNAMIC_KINDS.has(w.kind));
      // Install scripts show even where the policy does not let them run.
      const hasScripts = Object.keys(p.scripts).length > 0;
      const categories = entryCategories(hasScripts ? { ...entry, scripts: true } : entry, dynamicCode);
      const edited = granted !== undefined && describeEntry(granted).join('\n') !== describeEntry(p.entry).join('\n');
      data.packages[p.name] = { versions: p.versions, source: edited ? 'hand-edited' : p.source, entry, categories, dynamicCode, warnings: p.warnings.length };
      if (entry.trust === 'full') data.trusted.push(p.name);
      if (!describeEntry(entry).length) data.needNothing.push(p.name);
      for (const cat of categories) {
        const capabilities = cat === 'dynamic-code'
          ? [...new Set(p.warnings.filter((w) => DYNAMIC_KINDS.has(w.kind)).map((w) => w.kind))]
          : cat === 'scripts'
            ? [`${Object.keys(p.scripts).join(', ')} (${entry.scripts ? 'allowed' : 'not run: not allowed'})`]
            : describeReach(entry).filter((k) => capabilityCategories(k).includes(cat));
        (data.categories[cat] ??= []).push({ name: p.name, capabilities });
      }
      for (const w of p.warnings) if (w.kind === 'unanalysable') data.unanalysable.push({ file: w.file, reason: w.message.replace(/^unanalysable: /, '') });
    }
    return { exit: 0, data };
  },
  print({ data }, d) {
    const c = d.color;
    const total = Object.keys(data.packages).length;
    d.out(`${c.bold('packsec report')}: ${total} packages${data.policy ? '' : c.yellow(' (no packsec.policy.json yet: showing inferred capabilities)')}`);
    d.out(`  ${data.needNothing.length} need no capabilities`);
    for (const cat of Object.keys(CATEGORIES) as Category[]) {
      const list = data.categories[cat];
      if (!list?.length) continue;
      d.out(`\n${c.bold(cat)} (${list.length}) ${c.dim('— ' + CATEGORIES[cat])}`);
      for (const item of list) d.out(`  ${item.name.padEnd(28)} ${c.dim(item.capabilities.join(' '))}`);
    }
    if (data.trusted.length) d.out(`\n${c.yellow('trusted (uncontained, trust: "full")')}: ${data.trusted.join(', ')}`);
    if (data.notInPolicy.length) d.out(`\n${c.yellow('installed but not in the policy')}: ${listNames(data.notInPolicy)} — run \`packsec init\``);
    const bySource: Record<string, number> = {};
    for (const p of Object.values(data.packages)) bySource[p.source] = (bySource[p.source] ?? 0) + 1;
    d.out(`\ndeclarations: ${Object.entries(bySource).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    if (data.unanalysable.length) {
      d.out(c.yellow(`\n${data.unanalysable.length} file(s) could not be analysed:`));
      for (const u of data.unanalysable.slice(0, 10)) d.out(`  ${u.file}: ${u.reason}`);
    }
  },
};
