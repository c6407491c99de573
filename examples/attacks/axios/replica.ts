// axios 1.14.1 / plain-crypto-js 4.2.1 (March 2026): an update of a trusted package adds a fresh
// dependency whose postinstall drops a remote-access trojan and then erases its tracks.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetched, type Observation, type Replica } from '../harness/replica.js';

function effects(o: Observation): string[] {
  const out: string[] = [];
  if (fetched(o, '/6202033')) out.push('payload downloaded');
  if (o.proofs.includes('rat-ran')) out.push('RAT stub started');
  const dir = join(o.sb.project, 'node_modules/plain-crypto-js');
  if (existsSync(dir) && !existsSync(join(dir, 'setup.js')) && !/postinstall/.test(readFileSync(join(dir, 'package.json'), 'utf8'))) {
    out.push('setup.js deleted and package.json swapped for a clean 4.2.0');
  }
  return out;
}

export const replicas: Replica[] = [{
  id: 'axios',
  folder: 'axios',
  title: 'axios / plain-crypto-js (2026)',
  kind: 'attack',
  packages: [
    { dir: 'axios@1.14.0', age: '30d', provenance: true, npmUser: 'jasonsaayman' },
    { dir: 'plain-crypto-js@4.2.0', age: '26h', npmUser: 'nrwise' },
    { dir: 'plain-crypto-js@4.2.1', base: 'plain-crypto-js@4.2.0', age: '20h', npmUser: 'nrwise' },
    { dir: 'axios@1.14.1', base: 'axios@1.14.0', age: '2h', npmUser: 'jasonsaayman' },
  ],
  app: {
    dependencies: { axios: '1.14.0' },
    files: { 'app.js': "const axios = require('axios');\naxios.get(process.argv[2] || 'http://127.0.0.1:9/').then((r) => console.log(r.status), (e) => console.log(e.message));\n" },
  },
  update: ['axios@1.14.1'],
  effects,
  layers: [
    { layer: 'capability diff (new dependency)', kind: 'capability-diff', package: 'plain-crypto-js', gained: [/^builtins:child_process\.spawn$/, /^builtins:http\.get$/] },
    { layer: 'release age', kind: 'warning', package: 'plain-crypto-js', warning: 'fresh' },
    { layer: 'provenance downgrade', kind: 'warning', package: 'axios', warning: 'provenance-dropped' },
    { layer: 'scripts off', kind: 'scripts-off', package: 'plain-crypto-js' },
    { layer: 'integrity (the erased tracks)', kind: 'integrity', tamper: { scripts: 'plain-crypto-js' }, package: 'plain-crypto-js' },
  ],
}];
