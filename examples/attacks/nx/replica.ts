// nx "s1ngularity" (August 2025): a postinstall that turns the machine's AI coding CLIs against it, uploads
// what they find to GitHub with the victim's token and sabotages the shell. Published without provenance.
import { leaks, type Observation, type Replica } from '../harness/replica.js';

function effects(o: Observation): string[] {
  const out = leaks(o);
  const clis = o.proofs.filter((p) => p.endsWith('-ran')).map((p) => p.slice(0, -4));
  if (clis.length) out.push(`AI CLIs run with their permission checks off: ${clis.join(', ')}`);
  const rc = o.homeChanged.filter((f) => /^\.(bash|zsh)rc$/.test(f));
  if (rc.length) out.push(`appended to ${rc.join(', ')}`);
  return out;
}

export const replicas: Replica[] = [{
  id: 'nx',
  folder: 'nx',
  title: 'nx s1ngularity (2025)',
  kind: 'attack',
  packages: [
    { dir: 'nx@21.4.1', age: '20d', provenance: true },
    { dir: 'nx@21.5.0', base: 'nx@21.4.1', age: '4h' },
  ],
  app: {
    dependencies: { nx: '21.4.1' },
    files: { 'app.js': "const { order } = require('nx');\nconsole.log(order({ app: ['lib'], lib: [] }).join(' → '));\n" },
  },
  update: ['nx@21.5.0'],
  effects,
  layers: [
    { layer: 'scripts off', kind: 'scripts-off', package: 'nx' },
    { layer: 'runtime denial', kind: 'runtime', policy: 'reviewed', run: { scripts: 'nx' }, denial: /"nx" may not use builtin "child_process\.spawnSync"/ },
    { layer: 'publisher downgrade flag', kind: 'warning', package: 'nx', warning: 'provenance-dropped' },
  ],
}];
