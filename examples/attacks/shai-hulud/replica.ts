// Shai-Hulud (September 2025): a self-spreading worm in postinstall — TruffleHog, the npm token checked
// with /-/whoami, a planted workflow, other installed packages infected, the victim's packages republished.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaks, type Observation, type Replica } from '../harness/replica.js';

function effects(o: Observation): string[] {
  const out = leaks(o);
  if (o.proofs.includes('trufflehog-ran')) out.push('trufflehog stub ran');
  if (existsSync(join(o.sb.project, '.github/workflows/shai-hulud-workflow.yml'))) out.push('workflow planted');
  const ms = join(o.sb.project, 'node_modules/ms/package.json');
  if (existsSync(ms) && /postinstall/.test(readFileSync(ms, 'utf8'))) out.push('postinstall injected into ms');
  for (const v of o.published) out.push(`${v} published`);
  return out;
}

export const replicas: Replica[] = [{
  id: 'shai-hulud',
  folder: 'shai-hulud',
  title: 'Shai-Hulud (2025)',
  kind: 'attack',
  packages: [
    { dir: 'tinycolor@4.1.0', age: '60d' },
    { dir: 'ms@2.1.3', age: '900d' },
    { dir: 'victim-lib@1.0.0', age: '30d', npmUser: 'victim', gateway: true },
    { dir: 'tinycolor@4.1.1', base: 'tinycolor@4.1.0', age: '3h', npmUser: 'scttcper' },
  ],
  app: {
    dependencies: { '@ctrl/tinycolor': '4.1.0', ms: '2.1.3' },
    files: { 'app.js': "const { toRgb } = require('@ctrl/tinycolor');\nconst ms = require('ms');\nconsole.log(toRgb('#336699'), ms('2h'));\n" },
  },
  update: ['@ctrl/tinycolor@4.1.1'],
  watch: ['victim-lib'],
  effects,
  layers: [
    { layer: 'scripts off', kind: 'scripts-off', package: '@ctrl/tinycolor' },
    { layer: 'runtime denial', kind: 'runtime', policy: 'reviewed', run: { scripts: '@ctrl/tinycolor' }, denial: /"@ctrl\/tinycolor" may not/ },
    { layer: 'integrity (the infected ms)', kind: 'integrity', tamper: { scripts: '@ctrl/tinycolor' }, package: 'ms' },
    { layer: 'publish approval', kind: 'approval', scripts: '@ctrl/tinycolor', package: 'victim-lib' },
  ],
}];
