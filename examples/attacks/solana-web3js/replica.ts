// @solana/web3.js 1.95.6 (December 2024): a library allowed to reach its RPC host starts sending the
// secret keys it handles to a second host.
import { leaks, type Replica } from '../harness/replica.js';

export const replicas: Replica[] = [{
  id: 'solana-web3js',
  folder: 'solana-web3js',
  title: '@solana/web3.js (2024)',
  kind: 'attack',
  packages: [
    { dir: 'web3js@1.95.5', age: '40d' },
    { dir: 'web3js@1.95.6', base: 'web3js@1.95.5', age: '5h' },
  ],
  app: {
    dependencies: { '@solana/web3.js': '1.95.5' },
    files: {
      'app.js': `const fs = require('fs');
const os = require('os');
const path = require('path');
const web3 = require('@solana/web3.js');
const key = JSON.parse(fs.readFileSync(path.join(os.homedir(), '.config/solana/id.json'), 'utf8'));
const payer = web3.Keypair.fromSecretKey(key);
new web3.Connection().sendTransaction('transfer 1 SOL', [payer])
  .then((status) => setTimeout(() => console.log('transaction sent, RPC answered', status), 200));
`,
    },
  },
  update: ['@solana/web3.js@1.95.6'],
  start: { args: ['app.js'] },
  effects: leaks,
  layers: [
    { layer: 'network host allowlist', kind: 'runtime', policy: 'reviewed', run: 'app', denial: /"@solana\/web3\.js" may not connect to 127\.0\.0\.1:\d+/, keeps: '/rpc' },
    { layer: 'host-level capability diff', kind: 'capability-diff', package: '@solana/web3.js', gained: [/^net:127\.0\.0\.1:\d+$/] },
  ],
}];
