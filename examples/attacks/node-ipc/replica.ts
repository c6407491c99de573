// node-ipc (2022 and 2026): a payload appended to the CommonJS entry only, which asks where the machine is
// and, in the targeted countries, overwrites files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation, Replica } from '../harness/replica.js';

function effects(o: Observation): string[] {
  const hit = ['app.js', 'data/ledger.csv', 'ipc.config.json'].filter((f) => existsSync(join(o.sb.project, f)) && readFileSync(join(o.sb.project, f), 'utf8') === '❤️');
  return hit.length ? [`files overwritten with ❤️: ${hit.join(', ')}`] : [];
}

export const replicas: Replica[] = [{
  id: 'node-ipc',
  folder: 'node-ipc',
  title: 'node-ipc (2022, 2026)',
  kind: 'attack',
  packages: [
    { dir: 'node-ipc@10.1.0', age: '200d' },
    { dir: 'node-ipc@10.1.1', base: 'node-ipc@10.1.0', age: '2d' },
  ],
  app: {
    dependencies: { 'node-ipc': '10.1.0' },
    files: {
      'app.js': "const path = require('path');\nconst ipc = require('node-ipc');\nipc.readConfig(path.join(__dirname, 'ipc.config.json'));\nipc.clean('ledger');\nconsole.log('ledger socket:', ipc.socketPath('ledger'));\n",
      'ipc.config.json': '{ "appspace": "ledger." }\n',
      'data/ledger.csv': 'date,amount\n2026-01-01,100\n',
    },
  },
  // The team narrowed node-ipc's files by hand: it reads the app's config, it writes sockets in the temp folder.
  review: { 'node-ipc': { fs: { read: ['$project'], write: ['$tmp'] } } },
  update: ['node-ipc@10.1.1'],
  start: { args: ['app.js'] },
  effects,
  layers: [
    { layer: 'fs write denial (path-scoped fs)', kind: 'runtime', policy: 'accepted', run: 'app', denial: /"node-ipc" may not write \// },
  ],
}];
