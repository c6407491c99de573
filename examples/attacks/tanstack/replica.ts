// Negative control — TanStack (May 2026): malicious versions with valid provenance, built by the project's
// own release workflow. Provenance does not catch them; the other layers do.
import { leaks, type Replica } from '../harness/replica.js';

export const replicas: Replica[] = [{
  id: 'tanstack',
  folder: 'tanstack',
  title: 'TanStack (2026), control',
  kind: 'control',
  packages: [
    { dir: 'react-router@1.120.0', age: '10d', provenance: true },
    { dir: 'react-router@1.120.1', base: 'react-router@1.120.0', age: '1h', provenance: true },
  ],
  app: {
    dependencies: { '@tanstack/react-router': '1.120.0' },
    files: { 'app.js': "const { match } = require('@tanstack/react-router');\nconsole.log(match(['/users/:id'], '/users/42'));\n" },
  },
  update: ['@tanstack/react-router@1.120.1'],
  effects: leaks,
  layers: [
    { layer: 'provenance (valid, as it was)', kind: 'warning', package: '@tanstack/react-router', warning: 'provenance-dropped', expect: 'not-stopped' },
    { layer: 'capability diff', kind: 'capability-diff', package: '@tanstack/react-router', gained: [/^builtins:fs\.readFileSync$/, /^builtins:http\.request$/] },
    { layer: 'release age', kind: 'warning', package: '@tanstack/react-router', warning: 'fresh' },
    { layer: 'scripts off', kind: 'scripts-off', package: '@tanstack/react-router' },
    { layer: 'runtime denial', kind: 'runtime', policy: 'reviewed', run: { scripts: '@tanstack/react-router' }, denial: /"@tanstack\/react-router" may not/ },
  ],
  note: 'both versions list a provenance attestation, so no downgrade is flagged; the stand-in bundles do not verify here (see the README), which packsec also reports',
}];
