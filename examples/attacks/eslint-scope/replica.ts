// eslint-scope@3.7.2 (July 2018): a postinstall that downloads and evals a second stage, which sends
// the npm token from ~/.npmrc in a Referer header.
import { fetched, leaks, type Replica } from '../harness/replica.js';

export const replicas: Replica[] = [{
  id: 'eslint-scope',
  folder: 'eslint-scope',
  title: 'eslint-scope (2018)',
  kind: 'attack',
  packages: [
    { dir: 'eslint-scope@3.7.1', age: '400d' },
    { dir: 'eslint-scope@3.7.2', base: 'eslint-scope@3.7.1', age: '1h' },
  ],
  app: {
    dependencies: { 'eslint-scope': '3.7.1' },
    files: { 'app.js': "const { analyze } = require('eslint-scope');\nconsole.log(analyze({ type: 'Program', body: [] }).scopes.length, 'scope');\n" },
  },
  update: ['eslint-scope@3.7.2'],
  effects: (o) => [...(fetched(o, '/pastebin/XLeVP82h') ? ['second stage downloaded'] : []), ...leaks(o)],
  layers: [
    { layer: 'scripts off', kind: 'scripts-off', package: 'eslint-scope' },
    { layer: 'runtime fs/net/eval denial', kind: 'runtime', policy: 'reviewed', run: { scripts: 'eslint-scope' }, denial: /"eslint-scope" may not/ },
    { layer: 'capability diff', kind: 'capability-diff', package: 'eslint-scope', gained: [/^builtins:http/, /^net:127\.0\.0\.1/] },
  ],
}];
