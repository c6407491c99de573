// crossenv (August 2017): a typosquat of cross-env whose postinstall posts the whole environment.
import { leaks, type Replica } from '../harness/replica.js';

export const replicas: Replica[] = [{
  id: 'crossenv',
  folder: 'crossenv',
  title: 'crossenv (2017)',
  kind: 'attack',
  packages: [
    { dir: 'cross-env@5.0.1', age: '90d' },
    { dir: 'crossenv@6.1.1', age: '14d', npmUser: 'hacktask' },
  ],
  app: { dependencies: {}, files: { 'app.js': "const crossEnv = require('crossenv');\nconsole.log(crossEnv(['NODE_ENV=production', 'node', 'server.js']));\n" } },
  update: ['crossenv'],
  effects: leaks,
  layers: [
    { layer: 'typosquat warning', kind: 'warning', package: 'crossenv', warning: 'typosquat' },
    { layer: 'scripts off', kind: 'scripts-off', package: 'crossenv' },
    {
      layer: 'env denial', kind: 'runtime', policy: 'accepted', run: { scripts: 'crossenv' }, edit: { package: 'crossenv', drop: ['globals:process.env'] },
      denial: /"crossenv" may not .*process\.env/,
    },
  ],
  note: 'env denial: the update accepted, with the network it asks for, but without "globals": ["process.env"] (struck out in review)',
}];
