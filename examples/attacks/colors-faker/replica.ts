// Negative control — colors 1.4.44-liberty-2 (January 2022): sabotage by the maintainer that needs no
// capability the package did not already have. packsec does not stop it, and says so.
import type { Replica } from '../harness/replica.js';

export const replicas: Replica[] = [{
  id: 'colors-faker',
  folder: 'colors-faker',
  title: 'colors/faker (2022), control',
  kind: 'control',
  packages: [
    { dir: 'colors@1.4.0', age: '800d' },
    // Past the minimum release age: most of the projects it broke installed it days after it came out.
    { dir: 'colors@1.4.44-liberty-2', base: 'colors@1.4.0', age: '3d' },
  ],
  app: { dependencies: { colors: '1.4.0' }, files: { 'app.js': "const colors = require('colors');\nconsole.log(colors.green('build ok'));\n" } },
  update: ['colors@1.4.44-liberty-2'],
  start: { args: ['app.js'] },
  effects: (o) => (o.output.includes('LIBERTY LIBERTY LIBERTY') ? ['output flooded with LIBERTY LIBERTY LIBERTY and zalgo text'] : []),
  layers: [
    { layer: 'capability diff', kind: 'capability-diff', package: 'colors', gained: [], expect: 'not-stopped' },
    { layer: 'runtime containment', kind: 'runtime', policy: 'accepted', run: 'app', denial: /"colors" may not/, expect: 'not-stopped' },
  ],
  note: 'not stopped, by design: it only writes to stdout, which the package could already do; packsec limits what code may reach, not what it does with it',
}];
