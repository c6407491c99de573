// Shai-Hulud 2.0 (November 2025): a preinstall that brings its own runtime and, finding no credentials,
// deletes the user's home folder.
import { existsSync } from 'node:fs';
import type { Observation, Replica } from '../harness/replica.js';

function effects(o: Observation): string[] {
  const out: string[] = [];
  if (o.proofs.includes('bun-ran')) out.push('its own runtime fetched and started');
  if (!existsSync(o.sb.home)) out.push(`HOME deleted (${o.homeChanged.length} files)`);
  else if (o.homeChanged.length) out.push(`HOME changed: ${o.homeChanged.join(', ')}`);
  return out;
}

export const replicas: Replica[] = [{
  id: 'shai-hulud-2',
  folder: 'shai-hulud-2',
  title: 'Shai-Hulud 2.0 (2025)',
  kind: 'attack',
  packages: [
    { dir: 'tunnel-agent@0.6.4', age: '120d' },
    { dir: 'tunnel-agent@0.6.5', base: 'tunnel-agent@0.6.4', age: '5h' },
  ],
  app: {
    dependencies: { '@postman/tunnel-agent': '0.6.4' },
    files: { 'app.js': "const tunnel = require('@postman/tunnel-agent');\nconsole.log(tunnel.httpOverHttp({ proxy: { host: 'proxy.internal', port: 3128 } }).line.trim());\n" },
  },
  // A machine with no npm or GitHub credentials: the case in which the payload destroys HOME.
  credentials: false,
  update: ['@postman/tunnel-agent@0.6.5'],
  effects,
  layers: [
    { layer: 'scripts off (preinstall too)', kind: 'scripts-off', package: '@postman/tunnel-agent' },
    {
      layer: 'fs write denial outside the package', kind: 'runtime', policy: 'reviewed', run: { scripts: '@postman/tunnel-agent' },
      denial: /"@postman\/tunnel-agent" may not (write |use builtin "fs\.rmSync")/,
    },
  ],
}];
