// ua-parser-js@0.7.29 (October 2021): a hijacked account publishes versions whose preinstall downloads a
// miner, marks it executable and starts it.
import { fetched, type Replica } from '../harness/replica.js';

export const replicas: Replica[] = [{
  id: 'ua-parser-js',
  folder: 'ua-parser-js',
  title: 'ua-parser-js / coa (2021)',
  kind: 'attack',
  packages: [
    { dir: 'ua-parser-js@0.7.28', age: '180d' },
    // The hijacked versions were on the registry for about four hours.
    { dir: 'ua-parser-js@0.7.29', base: 'ua-parser-js@0.7.28', age: '2h' },
  ],
  app: {
    dependencies: { 'ua-parser-js': '0.7.28' },
    files: { 'app.js': "const UAParser = require('ua-parser-js');\nconsole.log(new UAParser('Mozilla/5.0 Firefox/93.0').getBrowser());\n" },
  },
  update: ['ua-parser-js@0.7.29'],
  effects: (o) => [...(fetched(o, '/jsextension') ? ['miner downloaded'] : []), ...(o.proofs.includes('miner-ran') ? ['miner started'] : [])],
  layers: [
    { layer: 'scripts off', kind: 'scripts-off', package: 'ua-parser-js' },
    { layer: 'child_process denial', kind: 'runtime', policy: 'reviewed', run: { scripts: 'ua-parser-js' }, denial: /"ua-parser-js" may not use builtin "child_process\.spawn"/ },
    { layer: 'minimum release age', kind: 'warning', package: 'ua-parser-js', warning: 'fresh' },
  ],
}];
