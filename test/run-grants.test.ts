// `packsec run` with finer grants, as a user runs it: a package granted one host tries every way to open a
// connection to it and to another host (http, https, net, tls, http2, dgram, dns, fetch and its
// redirects, WebSocket, agents, sockets reached through instances, bound functions run later, a package
// that connects for it, unix sockets); a package granted some paths tries every fs entry point inside
// and outside them (symlinks, "..", Buffer and URL paths, open flags, both ends of rename, copy and link,
// streams, descriptors, fs.promises, ES modules). Enforce and warn mode. Servers run inside each app.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { editJson, runCli, tmpProject, writeFiles, type Files } from './helpers.js';

const pkg = (name: string, extra: object = {}) => ({ [`node_modules/${name}/package.json`]: { name, version: '1.0.0', main: 'index.js', ...extra } });

/** A project made from files, then `init`, then the policy edited; run unverified (tests change files after init). */
function project(files: Files, edit: (policy: Record<string, any>) => void): string {
  const dir = tmpProject(files, 'packsec-grants-');
  const init = runCli(['init'], dir);
  assert.equal(init.code, 0, init.stderr);
  editJson(join(dir, 'packsec.policy.json'), edit);
  return dir;
}

function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = runCli(['run', '--no-verify', ...args], dir, env);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return { ...r, result: JSON.parse(line.slice(7)) as Record<string, string> };
}

// Every probe settles as "ok", "denied" (a PacksecDenial) or "error:<code>" (the connection was tried).
const SETTLE = `
const outcome = (p) => p.then((v) => (typeof v === 'string' ? v : 'ok'), (e) => (e && (e.code === 'PACKSEC_DENIED' || e.cause?.code === 'PACKSEC_DENIED') ? 'denied' : 'error:' + (e && (e.code || (e.cause && e.cause.code) || e.message))));
const settle = (fn) => outcome(new Promise((ok, ko) => { try { fn(ok, ko); } catch (e) { ko(e); } }));
`;

const CLIENT = `${SETTLE}
const http = require('http'); const https = require('https'); const net = require('net'); const tls = require('tls');
const http2 = require('http2'); const dgram = require('dgram'); const dns = require('dns');
const helper = require('helper');
const tcp = (s, ok, ko) => { s.on('connect', () => { const a = s.remoteAddress; s.destroy(); ok(a === '127.0.0.2' ? 'ok:127.0.0.2' : 'ok'); }); s.on('error', ko); };
module.exports = {
  httpGetUrl: (h, p) => settle((ok, ko) => http.get('http://' + h + ':' + p.http + '/', (r) => { r.resume(); ok(); }).on('error', ko)),
  httpRequestHost: (h, p) => settle((ok, ko) => http.request({ host: h, port: p.http, path: '/' }, (r) => { r.resume(); ok(); }).on('error', ko).end()),
  httpRequestHostname: (h, p) => settle((ok, ko) => http.request({ hostname: h, port: p.http }, (r) => { r.resume(); ok(); }).on('error', ko).end()),
  httpRequestUrlObject: (h, p) => settle((ok, ko) => http.request(new URL('http://' + h + ':' + p.http + '/'), (r) => { r.resume(); ok(); }).on('error', ko).end()),
  httpsRequest: (h, p) => settle((ok, ko) => https.request({ host: h, port: p.tcp, rejectUnauthorized: false }, () => ok()).on('error', ko).end()),
  netConnect: (h, p) => settle((ok, ko) => tcp(net.connect(p.tcp, h), ok, ko)),
  netCreateConnection: (h, p) => settle((ok, ko) => tcp(net.createConnection({ host: h, port: p.tcp }), ok, ko)),
  netSocketConnect: (h, p) => settle((ok, ko) => { const s = new net.Socket(); tcp(s, ok, ko); s.connect({ host: h, port: p.tcp }); }),
  tlsConnect: (h, p) => settle((ok, ko) => { const s = tls.connect(p.tcp, h, { rejectUnauthorized: false }); s.on('secureConnect', () => ok()); s.on('error', ko); }),
  http2Connect: (h, p) => settle((ok, ko) => { const s = http2.connect('http://' + h + ':' + p.http); s.on('connect', () => { s.destroy(); ok(); }); s.on('error', ko); }),
  dgramSend: (h, p) => settle((ok, ko) => { const s = dgram.createSocket('udp4'); s.send('x', p.udp, h, (e) => { s.close(); e ? ko(e) : ok(); }); }),
  dgramConnect: (h, p) => settle((ok, ko) => { const s = dgram.createSocket('udp4'); s.connect(p.udp, h, (e) => { s.close(); e ? ko(e) : ok(); }); }),
  // A send callback's \`this\` was the binding's request: with it, the socket's handle sends anywhere.
  dgramHandle: (h, p) => h === '127.0.0.1' ? Promise.resolve('skip') : settle((ok, ko) => { const s = dgram.createSocket('udp4'); s.send('x', p.udp, '127.0.0.1', function () { try { s._handle.send(this, [Buffer.from('x')], 1, p.udp, h, false); s.close(); ok(); } catch (e) { s.close(); ko(e); } }); }),
  dgramHandleConnect: (h, p) => h === '127.0.0.1' ? Promise.resolve('skip') : settle((ok, ko) => { const s = dgram.createSocket('udp4'); s.bind(0, () => { try { s._handle.connect(h, p.udp); s.close(); ok(); } catch (e) { s.close(); ko(e); } }); }),
  dnsLookup: (h) => settle((ok, ko) => dns.lookup(h, (e) => (e ? ko(e) : ok()))),
  dnsPromisesLookup: (h) => settle((ok, ko) => dns.promises.lookup(h).then(ok, ko)),
  fetchUrl: (h, p) => settle((ok, ko) => fetch('http://' + h + ':' + p.http + '/').then((r) => r.text()).then(ok, ko)),
  fetchRequest: (h, p) => outcome(fetch(new Request('http://' + h + ':' + p.http + '/')).then((r) => r.text())),
  fetchRedirect: (h, p) => outcome(fetch('http://127.0.0.1:' + p.http + '/redir?to=' + h).then((r) => r.text().then((t) => (t === 'hello' ? 'ok' : 'ok:' + r.status)))),
  agentQueued: (h, p) => settle((ok, ko) => {
    const agent = new http.Agent({ maxSockets: 1 });
    http.get({ host: '127.0.0.1', port: p.http, path: '/slow', agent }, (r) => r.resume()).on('error', () => {});
    http.get({ host: h, port: p.http, agent }, (r) => { r.resume(); ok(); }).on('error', ko);
  }),
  socketFromInstance: (h, p) => settle((ok, ko) => {
    const r = http.get('http://127.0.0.1:' + p.http + '/', (res) => res.resume());
    r.on('socket', (s) => { try { const s2 = new s.constructor(); tcp(s2, ok, ko); s2.connect(p.tcp, h); } catch (e) { ko(e); } });
  }),
  agentCreateConnection: (h, p) => settle((ok, ko) => {
    const r = http.get('http://127.0.0.1:' + p.http + '/', (res) => res.resume());
    try { tcp(r.agent.createConnection({ host: h, port: p.tcp }), ok, ko); } catch (e) { ko(e); }
  }),
  boundLater: (h, p) => settle((ok, ko) => {
    const s = new net.Socket(); tcp(s, ok, ko);
    Promise.resolve([{ host: h, port: p.tcp }]).then(Function.prototype.apply.bind(s.connect, s)).catch(ko);
  }),
  customLookup: (h, p) => settle((ok, ko) => tcp(net.connect({ host: 'localhost', port: p.tcp, family: 4, lookup: (n, o, cb) => (o && o.all ? cb(null, [{ address: h, family: 4 }]) : cb(null, h, 4)) }), ok, ko)),
  unixSocket: (h, p) => settle((ok, ko) => tcp(net.connect(h === '127.0.0.1' ? p.okSock : p.otherSock), ok, ko)),
  throughHelper: (h, p) => outcome(helper.get('http://' + h + ':' + p.http + '/')),
  webSocket: (h, p) => typeof WebSocket !== 'function' ? Promise.resolve('skip') : settle((ok, ko) => { const w = new WebSocket('ws://' + h + ':' + p.http + '/'); w.onerror = () => ok(); w.onopen = () => { w.close(); ok(); }; }),
};
`;

const HELPER = `const http = require('http');
module.exports = { get: (url) => new Promise((ok, ko) => http.get(url, (r) => { r.resume(); ok('ok'); }).on('error', ko)) };
`;

const NET_APP = `const http = require('http'); const net = require('net'); const dgram = require('dgram'); const os = require('os'); const path = require('path');
const client = require('client'); const helper = require('helper');
const web = http.createServer((q, r) => {
  if (q.url.startsWith('/redir')) { r.writeHead(302, { location: 'http://' + new URL(q.url, 'http://x').searchParams.get('to') + ':' + web.address().port + '/' }); return r.end(); }
  if (q.url === '/slow') return setTimeout(() => r.end('slow'), 100);
  r.end('hello');
});
const tcpServer = net.createServer((s) => s.destroy());
const udp = dgram.createSocket('udp4');
const sockDir = process.env.SOCK_DIR;
const unixOk = net.createServer((s) => s.destroy()); const unixOther = net.createServer((s) => s.destroy());
const listen = (srv, ...a) => new Promise((r) => srv.listen(...a, r));
(async () => {
  await listen(web, 0, '0.0.0.0'); await listen(tcpServer, 0, '0.0.0.0'); await new Promise((r) => udp.bind(0, '0.0.0.0', r));
  await listen(unixOk, path.join(sockDir, 'ok.sock')); await listen(unixOther, path.join(sockDir, 'other.sock'));
  const p = { http: web.address().port, tcp: tcpServer.address().port, udp: udp.address().port, okSock: path.join(sockDir, 'ok.sock'), otherSock: path.join(sockDir, 'other.sock') };
  const result = {};
  for (const [name, probe] of Object.entries(client)) {
    result[name + ':allowed'] = await probe('127.0.0.1', p);
    result[name + ':other'] = await probe('127.0.0.2', p);
  }
  // The app's own code, and the helper package called by the app, are not held to the client's grant.
  result['app:other'] = await new Promise((ok) => http.get('http://127.0.0.2:' + p.http + '/', (r) => { r.resume(); ok('ok'); }).on('error', (e) => ok('error:' + e.code)));
  result['helperFromApp:other'] = await helper.get('http://127.0.0.2:' + p.http + '/').catch((e) => (e.code === 'PACKSEC_DENIED' ? 'denied' : 'error:' + e.code));
  console.log('RESULT ' + JSON.stringify(result));
  for (const s of [web, tcpServer, unixOk, unixOther]) s.close();
  udp.close();
  web.closeAllConnections?.();
})();
`;

describe('packsec run: network hosts', () => {
  const sockDir = tmpProject({}, 'packsec-sock-');
  const dir = project({
    ...pkg('client', { dependencies: { helper: '1.0.0' } }),
    'node_modules/client/index.js': CLIENT,
    ...pkg('helper'),
    'node_modules/helper/index.js': HELPER,
    'app.js': NET_APP,
  }, (policy) => {
    policy.packages.client.net = ['127.0.0.1', `unix:${join(sockDir, 'ok.sock')}`];
  });

  it('allows the granted host by every route and denies every other host, naming the package, the host and the grant', () => {
    const r = run(dir, ['app.js'], { SOCK_DIR: sockDir });
    const probes = Object.keys(r.result).filter((k) => k.endsWith(':allowed')).map((k) => k.slice(0, -':allowed'.length));
    assert.ok(probes.length >= 25, probes.join());
    for (const name of probes) {
      const allowed = r.result[`${name}:allowed`]!;
      const other = r.result[`${name}:other`]!;
      if (allowed !== 'skip') assert.notEqual(allowed, 'denied', `${name} to the granted host was denied\n${r.stderr}`);
      if (other !== 'skip' && name !== 'customLookup') assert.equal(other, 'denied', `${name} to another host: ${other}\n${r.stderr}`);
    }
    // A lookup function of the package's own is not used: Node's resolver answers, so localhost stays 127.0.0.1.
    assert.equal(r.result['customLookup:allowed'], 'ok');
    assert.equal(r.result['customLookup:other'], 'ok');
    assert.equal(r.result['app:other'], 'ok');
    assert.equal(r.result['helperFromApp:other'], 'ok');
    assert.match(r.stderr, /^packsec: "client" may not connect to 127\.0\.0\.2:\d+ — to allow, add "127\.0\.0\.2:\d+" to packages\["client"\]\.net in packsec\.policy\.json$/m);
    assert.match(r.stderr, /^packsec: "client" may not look up 127\.0\.0\.2 — to allow, add "127\.0\.0\.2" to packages\["client"\]\.net/m);
    assert.match(r.stderr, /^packsec: "client" may not send to 127\.0\.0\.2:\d+ — to allow/m);
    assert.match(r.stderr, /^packsec: "client" may not connect to the unix socket .*other\.sock — to allow, add "unix:.*other\.sock" to packages\["client"\]\.net/m);
  });

  it('reports instead of denying in warn mode', () => {
    const r = run(dir, ['--warn', 'app.js'], { SOCK_DIR: sockDir });
    for (const [k, v] of Object.entries(r.result)) assert.notEqual(v, 'denied', k);
    assert.match(r.stderr, /^packsec \(warn\): "client" may not connect to 127\.0\.0\.2:\d+/m);
    assert.equal(r.result['customLookup:other'], 'ok:127.0.0.2', 'in warn mode the call goes through as made');
  });

  it('leaves a package without a net grant free to connect anywhere (as before)', () => {
    const open = project({
      ...pkg('client', { dependencies: { helper: '1.0.0' } }),
      'node_modules/client/index.js': CLIENT,
      ...pkg('helper'),
      'node_modules/helper/index.js': HELPER,
      'app.js': NET_APP,
    }, (policy) => {
      delete policy.packages.client.net;
    });
    const r = run(open, ['app.js'], { SOCK_DIR: sockDir });
    for (const [k, v] of Object.entries(r.result)) assert.notEqual(v, 'denied', k);
  });
});

const FILES = `${SETTLE}
const fs = require('fs'); const path = require('path'); const fsutil = require('fsutil');
const sync = (f) => { try { const v = f(); return typeof v === 'string' && v.startsWith('ok') ? v : 'ok'; } catch (e) { return e.code === 'PACKSEC_DENIED' ? 'denied' : 'error:' + e.code; } };
const own = path.join(__dirname, 'data.txt');
module.exports = (p) => ({
  readOwn: sync(() => fs.readFileSync(own, 'utf8')),
  readDotDot: sync(() => fs.readFileSync(__dirname + '/../../secret.txt')),
  readAbsolute: sync(() => fs.readFileSync(p.secret)),
  readHome: sync(() => fs.readFileSync(p.home + '/.secret')),
  readSymlinkOut: sync(() => fs.readFileSync(path.join(__dirname, 'escape-link'))),
  readThroughDirLink: sync(() => fs.readFileSync(path.join(__dirname, 'dirlink', 'secret.txt'))),
  readLinkThenDotDot: sync(() => fs.readFileSync(__dirname + '/up/../../../secret.txt')),
  readBuffer: sync(() => fs.readFileSync(Buffer.from(p.secret))),
  readUrl: sync(() => fs.readFileSync(new URL('file://' + p.secret))),
  readRelative: sync(() => fs.readFileSync('secret.txt')),
  readConfig: sync(() => fs.readFileSync('config/app.json')),
  existsSecret: sync(() => fs.existsSync(p.secret)),
  statSecret: sync(() => fs.statSync(p.secret)),
  lstatSecret: sync(() => fs.lstatSync(p.secret)),
  realpathSecret: sync(() => fs.realpathSync(p.secret)),
  realpathNative: sync(() => fs.realpathSync.native(p.secret)),
  readdirProject: sync(() => fs.readdirSync(p.project)),
  readdirOwn: sync(() => fs.readdirSync(__dirname)),
  opendirProject: sync(() => fs.opendirSync(p.project).closeSync()),
  watchSecret: sync(() => fs.watch(p.secret).close()),
  writeOut: sync(() => fs.writeFileSync(p.project + '/out/x.txt', 'x')),
  writeOutside: sync(() => fs.writeFileSync(p.project + '/pwned.txt', 'x')),
  appendOwn: sync(() => fs.appendFileSync(own, 'x')),
  openOwnRead: sync(() => fs.closeSync(fs.openSync(own, 'r'))),
  openOwnWrite: sync(() => fs.closeSync(fs.openSync(own, 'r+'))),
  openOwnNumericWrite: sync(() => fs.closeSync(fs.openSync(own, fs.constants.O_RDWR))),
  mkdirOut: sync(() => fs.mkdirSync(p.project + '/out/sub', { recursive: true })),
  mkdirOutside: sync(() => fs.mkdirSync(p.project + '/newdir')),
  renameWithin: sync(() => { fs.writeFileSync(p.project + '/out/a.txt', 'a'); fs.renameSync(p.project + '/out/a.txt', p.project + '/out/b.txt'); }),
  renameOut: sync(() => fs.renameSync(p.project + '/out/b.txt', p.project + '/moved.txt')),
  renameIn: sync(() => fs.renameSync(p.project + '/important.txt', p.project + '/out/stolen.txt')),
  copyOwnToOut: sync(() => fs.copyFileSync(own, p.project + '/out/copy.txt')),
  copySecretToOut: sync(() => fs.copyFileSync(p.secret, p.project + '/out/secret-copy.txt')),
  cpSecret: sync(() => fs.cpSync(p.secret, p.project + '/out/secret-cp.txt')),
  symlinkToOwn: sync(() => fs.symlinkSync(own, p.project + '/out/own-link')),
  symlinkToSecret: sync(() => fs.symlinkSync(p.secret, p.project + '/out/secret-link')),
  symlinkRelativeOut: sync(() => fs.symlinkSync('../secret.txt', p.project + '/out/rel-link')),
  hardLinkSecret: sync(() => fs.linkSync(p.secret, p.project + '/out/hard-link')),
  rmImportant: sync(() => fs.rmSync(p.project + '/important.txt')),
  unlinkImportant: sync(() => fs.unlinkSync(p.project + '/important.txt')),
  chmodImportant: sync(() => fs.chmodSync(p.project + '/important.txt', 0o600)),
  fdOfTheApp: sync(() => fs.readSync(p.fd, Buffer.alloc(4), 0, 4, 0)),
  fdOfItsOwn: sync(() => { const fd = fs.openSync(own, 'r'); fs.readSync(fd, Buffer.alloc(4), 0, 4, 0); fs.closeSync(fd); }),
  fdStdout: sync(() => fs.writeSync(1, '')),
  helperReadsSecret: sync(() => fsutil.read(p.secret)),
  streamFsIsNotTheRealModule: sync(() => { const s = fs.createReadStream(own); const inner = Object.getOwnPropertySymbols(s).map((k) => s[k]).find((v) => v && typeof v.open === 'function'); s.destroy(); if (typeof inner.readFileSync === 'function') return 'ok:real fs'; return inner.open(p.secret, 'r', 0o666, () => {}); }),
});
module.exports.async = (p) => ({
  streamOwn: settle((ok, ko) => fs.createReadStream(own).on('data', () => ok()).on('error', ko)),
  streamSecret: settle((ok, ko) => fs.createReadStream(p.secret).on('data', () => ok()).on('error', ko)),
  streamPathSwapped: settle((ok, ko) => { const s = fs.createReadStream(own); s.path = p.secret; s.on('data', () => ok()).on('error', ko); }),
  streamClassFromInstance: settle((ok, ko) => { const C = fs.createReadStream(own).constructor; new C(p.secret).on('data', () => ok()).on('error', ko); }),
  writeStreamOutside: settle((ok, ko) => { const w = fs.createWriteStream(p.project + '/pwned-stream.txt'); w.on('error', ko); w.end('x', () => ok()); }),
  promisesOwn: outcome(fs.promises.readFile(own)),
  promisesSecret: settle((ok, ko) => fs.promises.readFile(p.secret).then(ok, ko)),
  callbackSecret: settle((ok, ko) => fs.readFile(p.secret, (e) => (e ? ko(e) : ok()))),
  callbackOpenSecret: settle((ok, ko) => fs.open(p.secret, 'r', (e, fd) => (e ? ko(e) : (fs.closeSync(fd), ok())))),
});
`;

const FILES_APP = `const fs = require('fs'); const path = require('path');
const files = require('files'); const fsutil = require('fsutil');
const project = __dirname;
fs.mkdirSync(path.join(project, 'out'), { recursive: true });
const p = { project, secret: path.join(project, 'secret.txt'), home: process.env.HOME, fd: fs.openSync(path.join(project, 'secret.txt'), 'r') };
(async () => {
  const result = files(p);
  const later = files.async(p);
  for (const [k, v] of Object.entries(later)) result[k] = await v;
  result['fsutilFromApp'] = (() => { try { fsutil.read(p.secret); return 'ok'; } catch (e) { return e.code; } })();
  // The app's own streams, through Node's fs functions and gates, are the app's doing.
  result['appStream'] = await new Promise((ok) => fs.createReadStream(p.secret).on('data', () => ok('ok')).on('error', (e) => ok(e.code)));
  result['appWriteStream'] = await new Promise((ok) => { const w = fs.createWriteStream(path.join(project, 'app-out.txt')); w.on('error', (e) => ok(e.code)); w.end('x', () => ok('ok')); });
  result['pwned'] = String(fs.existsSync(path.join(project, 'pwned.txt')) || fs.existsSync(path.join(project, 'pwned-stream.txt')));
  result['important'] = String(fs.existsSync(path.join(project, 'important.txt')));
  console.log('RESULT ' + JSON.stringify(result));
})();
`;

describe('packsec run: file paths', () => {
  const home = tmpProject({ '.secret': 'HOME-SECRET' }, 'packsec-home-');
  const files: Files = {
    ...pkg('files', { dependencies: { fsutil: '1.0.0' } }),
    'node_modules/files/index.js': FILES,
    'node_modules/files/data.txt': 'own data',
    ...pkg('fsutil'),
    'node_modules/fsutil/index.js': "const fs = require('fs');\nmodule.exports = { read: (f) => fs.readFileSync(f, 'utf8') };\n",
    'secret.txt': 'PROJECT-SECRET',
    'important.txt': 'keep me',
    'config/app.json': '{}',
    'app.js': FILES_APP,
  };
  const make = () => {
    const dir = project(files, (policy) => {
      policy.packages.files.fs = { read: ['$package', '$project/config/'], write: ['$project/out'] };
    });
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'node_modules/files/escape-link'));
    symlinkSync(dir, join(dir, 'node_modules/files/dirlink'));
    symlinkSync('.', join(dir, 'node_modules/files/up'));
    return dir;
  };

  it('allows the granted paths and denies everything else, whatever the route', () => {
    const dir = make();
    const r = run(dir, ['app.js'], { HOME: home });
    const allowed = ['readOwn', 'readConfig', 'readdirOwn', 'writeOut', 'openOwnRead', 'mkdirOut', 'renameWithin', 'copyOwnToOut', 'symlinkToOwn',
      'fdOfItsOwn', 'fdStdout', 'streamOwn', 'promisesOwn'];
    for (const k of allowed) assert.equal(r.result[k], 'ok', `${k}: ${r.result[k]}\n${r.stderr}`);
    const denied = Object.keys(r.result).filter((k) => !allowed.includes(k) && !['fsutilFromApp', 'pwned', 'important', 'appStream', 'appWriteStream'].includes(k));
    assert.ok(denied.length >= 35, denied.join());
    for (const k of denied) assert.equal(r.result[k], 'denied', `${k}: ${r.result[k]}\n${r.stderr}`);
    assert.equal(r.result.fsutilFromApp, 'ok', 'the app may still have another package read for it');
    assert.equal(r.result.appStream, 'ok');
    assert.equal(r.result.appWriteStream, 'ok');
    assert.equal(r.result.pwned, 'false');
    assert.equal(r.result.important, 'true');
    assert.doesNotMatch(r.stdout + r.stderr, /PROJECT-SECRET|HOME-SECRET/);
    assert.match(r.stderr, /^packsec: "files" may not read .*\/secret\.txt — to allow, add "\$project\/secret\.txt" to packages\["files"\]\.fs\.read in packsec\.policy\.json$/m);
    assert.match(r.stderr, /^packsec: "files" may not read .*\/\.secret — to allow, add "\$home\/\.secret" to packages\["files"\]\.fs\.read/m);
    assert.match(r.stderr, /^packsec: "files" may not write .*\/pwned\.txt — to allow, add "\$project\/pwned\.txt" to packages\["files"\]\.fs\.write/m);
    assert.match(r.stderr, /^packsec: "files" may not write .*node_modules\/files\/data\.txt — to allow, add "\$package\/data\.txt" to packages\["files"\]\.fs\.write/m);
    assert.match(r.stderr, /^packsec: "files" may not use file descriptor \d+, which it did not open itself/m);
  });

  it('reports instead of denying in warn mode', () => {
    const dir = make();
    const r = run(dir, ['--warn', 'app.js'], { HOME: home });
    for (const [k, v] of Object.entries(r.result)) assert.notEqual(v, 'denied', k);
    assert.match(r.stderr, /^packsec \(warn\): "files" may not read .*secret\.txt/m);
  });

  it('is case-sensitive where the file system is, and a grant through a symlinked folder covers its target', () => {
    const dir = project({
      ...pkg('files'), 'node_modules/files/index.js': "const fs = require('fs');\nmodule.exports = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch (e) { return e.code; } };\n",
      'Config/app.json': 'UPPER', 'real-config/x.json': 'LINKED',
      'app.js': "const r = require('files'); console.log('RESULT ' + JSON.stringify({ upper: r(__dirname + '/Config/app.json'), linked: r(__dirname + '/config/x.json') }));\n",
    }, (policy) => {
      policy.packages.files.fs = { read: ['$project/config'] };
    });
    symlinkSync(join(dir, 'real-config'), join(dir, 'config'));
    const r = run(dir, ['app.js']);
    assert.equal(r.result.linked, 'LINKED');
    assert.equal(r.result.upper, process.platform === 'linux' ? 'PACKSEC_DENIED' : 'UPPER');
  });

  it('checks node:sqlite databases and node:wasi preopened folders, which open files without fs', () => {
    const sqlite = (() => {
      try {
        return process.getBuiltinModule?.('node:sqlite') !== undefined;
      } catch {
        return false;
      }
    })();
    const dir = project({
      ...pkg('db'),
      'node_modules/db/index.js': [
        "const { WASI } = require('node:wasi');",
        "const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };",
        'module.exports = (p) => {',
        "  const r = { wasiOwn: t(() => new WASI({ version: 'preview1', preopens: { '/': __dirname } })), wasiRoot: t(() => new WASI({ version: 'preview1', preopens: { '/': '/' } })) };",
        ...(sqlite ? [
          "  const { DatabaseSync } = require('node:sqlite');",
          "  r.dbOther = t(() => new DatabaseSync(p + '/stolen.db').close());",
          "  r.dbThroughInstance = t(() => { const d = new DatabaseSync(':memory:'); new d.constructor(p + '/x.db').close(); });",
          "  r.dbMemory = t(() => new DatabaseSync(':memory:').close());",
        ] : []),
        '  return r;',
        '};',
        '',
      ].join('\n'),
      'app.js': "console.log('RESULT ' + JSON.stringify(require('db')(__dirname)));\n",
    }, (policy) => {
      policy.packages.db.fs = { write: ['$package'] };
    });
    const r = run(dir, ['app.js']);
    assert.deepEqual(r.result, { wasiOwn: 'ok', wasiRoot: 'PACKSEC_DENIED', ...(sqlite ? { dbOther: 'PACKSEC_DENIED', dbThroughInstance: 'PACKSEC_DENIED', dbMemory: 'ok' } : {}) });
  });

  it('checks ES modules importing fs and fs/promises the same way', () => {
    const dir = project({
      ...pkg('esfiles', { type: 'module', main: 'index.mjs' }),
      'node_modules/esfiles/index.mjs': "import { readFileSync } from 'node:fs';\nimport { readFile } from 'node:fs/promises';\nconst own = new URL('./data.txt', import.meta.url);\nexport default async (secret) => {\n  const r = {};\n  for (const [k, f] of Object.entries({ own: () => readFileSync(own, 'utf8'), secret: () => readFileSync(secret), ownP: () => readFile(own, 'utf8'), secretP: () => readFile(secret) })) {\n    try { await f(); r[k] = 'ok'; } catch (e) { r[k] = e.code; }\n  }\n  return r;\n};\n",
      'node_modules/esfiles/data.txt': 'x',
      'secret.txt': 'PROJECT-SECRET',
      'app.mjs': "import f from 'esfiles';\nconsole.log('RESULT ' + JSON.stringify(await f(new URL('./secret.txt', import.meta.url).pathname)));\n",
    }, (policy) => {
      policy.packages.esfiles.fs = { read: ['$package'] };
    });
    const r = run(dir, ['app.mjs']);
    assert.deepEqual(r.result, { own: 'ok', secret: 'PACKSEC_DENIED', ownP: 'ok', secretP: 'PACKSEC_DENIED' });
  });

  it('infers $package for a package that reads only its own files, and enforces it after an update', () => {
    const dir = tmpProject({
      ...pkg('reader'),
      'node_modules/reader/index.js': "const fs = require('fs'); const path = require('path');\nmodule.exports = () => fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8');\n",
      'node_modules/reader/data.txt': 'own',
      'secret.txt': 'PROJECT-SECRET',
      'app.js': "let r; try { r = require('reader')(__dirname + '/secret.txt'); } catch (e) { r = e.code; } console.log('RESULT ' + JSON.stringify({ r }));\n",
    }, 'packsec-grants-');
    assert.equal(runCli(['init'], dir).code, 0);
    const policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    assert.deepEqual(policy.packages.reader.fs, { read: ['$package'] });
    writeFiles(dir, { 'node_modules/reader/index.js': "const fs = require('fs');\nmodule.exports = (f) => fs.readFileSync(f, 'utf8');\n" });
    const r = run(dir, ['app.js']);
    assert.equal(r.result.r, 'PACKSEC_DENIED');
    mkdirSync(join(dir, 'unused'), { recursive: true });
    writeFileSync(join(dir, 'unused', 'x'), '');
  });
});
