// `packsec registry advisory add|list --data DIR`: the advisories the registry serves to `npm audit`
// and `packsec status` (safe while the server runs).
import { registryAdvisoryAdd, registryAdvisoryList, type AdvisoryRecord } from '../../registry/index.js';
import type { Display } from '../display.js';
import { CliError } from '../errors.js';

export interface AdvisoryData {
  action: 'add' | 'list';
  advisories: AdvisoryRecord[];
}

export const ADVISORY_USAGE = [
  '       packsec registry advisory add --data DIR [--database …] --package NAME --range RANGE',
  '                                     --severity info|low|moderate|high|critical --title TEXT [--url URL] [--json]',
  '       packsec registry advisory list --data DIR [--database …] [--package NAME] [--json]',
].join('\n');

export const ADVISORY_OPTIONS = {
  package: { type: 'string' },
  range: { type: 'string' },
  severity: { type: 'string' },
  title: { type: 'string' },
  url: { type: 'string' },
} as const;

export async function runAdvisory(dataDir: string, database: string, args: string[], option: (name: string) => string | undefined): Promise<AdvisoryData> {
  const [action, ...extra] = args;
  if (extra.length) throw new CliError('USAGE', `unexpected argument ${extra[0]}`);
  if (action === 'list') return { action, advisories: await registryAdvisoryList(dataDir, database, option('package')) };
  if (action !== 'add') throw new CliError('USAGE', `registry advisory: expected "add" or "list", got ${action === undefined ? 'nothing' : JSON.stringify(action)}`);
  const need = (name: string): string => {
    const v = option(name);
    if (v === undefined) throw new CliError('USAGE', `registry advisory add needs --${name}`);
    return v;
  };
  const url = option('url');
  const added = await registryAdvisoryAdd(dataDir, database, {
    name: need('package'), range: need('range'), severity: need('severity'), title: need('title'), ...(url !== undefined ? { url } : {}),
  });
  return { action, advisories: [added] };
}

export function printAdvisories(data: AdvisoryData, d: Display): void {
  const c = d.color;
  if (data.action === 'list' && !data.advisories.length) d.out('no advisories');
  for (const a of data.advisories) {
    d.out(`${data.action === 'add' ? 'added ' : ''}#${a.id} ${c.bold(a.name)} ${a.range} ${a.severity}: ${a.title}${a.url ? c.dim(`  ${a.url}`) : ''}`);
  }
}
