// Negative control — chalk/debug (September 2025): a payload that only acts in browsers. The Node runtime
// never sees it act; the capability diff flags it anyway.
import type { Replica } from '../harness/replica.js';

const ATTACKER = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA00';

export const replicas: Replica[] = [{
  id: 'chalk-debug',
  folder: 'chalk-debug',
  title: 'chalk/debug (2025), control',
  kind: 'control',
  packages: [
    { dir: 'debug@4.4.1', age: '120d' },
    { dir: 'debug@4.4.2', base: 'debug@4.4.1', age: '2h' },
  ],
  app: {
    dependencies: { debug: '4.4.1' },
    files: {
      'app.js': "const log = require('debug')('shop');\nlog('checkout started');\nconsole.log('checkout page built');\n",
      // The app's page as a browser with a wallet extension runs it, simulated in node: a window, a wallet
      // that sends what it is asked to sign to a listener on 127.0.0.1, fetch and XMLHttpRequest.
      'browser-sim.js': `const realFetch = fetch;
globalThis.window = globalThis;
globalThis.XMLHttpRequest = class XMLHttpRequest { open() {} send() {} };
window.ethereum = {
  request: (args) => realFetch('__SERVICE__/wallet/sign', { method: 'POST', body: JSON.stringify(args) }).then(() => '0xsigned'),
};
require('./app.js');
window.ethereum.request({ method: 'eth_sendTransaction', params: [{ from: '0x52908400098527886E0F7030069857D2E4169EE7', to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', value: '0x1' }] })
  .then(() => console.log('payment signed'));
`,
    },
  },
  update: ['debug@4.4.2'],
  start: { args: ['app.js'] },
  plainStart: { args: ['browser-sim.js'] },
  effects: (o) => (o.requests.some((r) => r.path.endsWith('/wallet/sign') && r.body.includes(ATTACKER)) ? ["in the simulated browser, the payment's recipient was swapped for the attacker's look-alike address"] : []),
  layers: [
    { layer: 'capability diff', kind: 'capability-diff', package: 'debug', gained: [/^globals:fetch$/, /^globals:XMLHttpRequest$/, /^globals:window\.ethereum$/] },
    { layer: 'Node runtime (never sees it act)', kind: 'runtime', policy: 'accepted', run: 'app', denial: /"debug" may not/, expect: 'not-stopped' },
  ],
  note: 'under node the payload returns at once (no window): there is nothing for the runtime to deny; the diff is what catches it',
}];
