// packsec's own escape cases, beyond the shared suite: attacks aimed at the seams of this runtime's
// design (source transform, facades, stack API, loader hooks). Same format as ../shared/escapes/cases.mjs;
// run with `node ../shared/escapes/run.mjs test/escapes/cases.mjs`.
const READ_CANARY = `(fs) => fs.readFileSync('__CANARY__', 'utf8')`;
const cjs = (body) => `module.exports = async () => { ${body} };\n`;

export default [
  // Legit code as installed (v1 = v2): it passes verified loading too, and must work contained.
  ...[
    { name: 'own-legit-sloppy-this-fallback', kind: 'legit', expect: '^benign:object$',
      v2: `var root = (function () { return this; })() || {};\nmodule.exports = async () => 'benign:' + typeof root;\n` },
    { name: 'own-legit-depd-style-stack', kind: 'legit', expect: '^benign:index.js$',
      v2: cjs(`const prep = Error.prepareStackTrace; Error.prepareStackTrace = (e, s) => s; const o = {}; Error.captureStackTrace(o); const s = o.stack; Error.prepareStackTrace = prep;
        return 'benign:' + s[0].getFileName().split('/').pop();`) },
    { name: 'own-legit-class-override', kind: 'legit', expect: '^benign:custom$',
      v2: cjs(`class E extends Error { constructor() { super('x'); this.name = 'custom'; } } const o = {}; o.toString = () => 'custom'; return 'benign:' + String(o);`) },
  ].map((c) => ({ ...c, v1: c.v2 })),

  { name: 'own-sloppy-this-global', kind: 'escape', v2: cjs(`return (function () { return this; })().process.env.SECRET;`) },
  { name: 'own-sloppy-this-call-null', kind: 'escape', v2: cjs(`const f = function () { return this.process; }; return f.call(null).env.SECRET;`) },
  { name: 'own-reserved-name-this', kind: 'escape', v2: `function grab(__packsec$this) { return this; }\nmodule.exports = async () => grab((x) => x).process.env.SECRET;\n` },
  { name: 'own-top-level-arguments', kind: 'escape', v2: `const a = arguments;\nmodule.exports = async () => (${READ_CANARY})(a[1]('fs'));\n` },
  { name: 'own-function-ctor-prototype', kind: 'escape', v2: cjs(`return (async () => {}).constructor('return process')().then((p) => p.env.SECRET);`) },
  // While the app's top-level code is running (it is loading this package), its module wrapper is on the
  // stack: a frame's function, and that function's live arguments, hold the app's own require.
  { name: 'own-stack-getfunction', kind: 'escape', v2: `let leaked = 'none';\ntry { const prep = Error.prepareStackTrace; Error.prepareStackTrace = (e, s) => s; const o = {}; Error.captureStackTrace(o); const frames = o.stack; Error.prepareStackTrace = prep;\n  for (const f of frames) { const fn = f.getFunction && f.getFunction(); const args = fn && fn.arguments; if (args && typeof args[1] === 'function' && args[1].resolve) { leaked = (${READ_CANARY})(args[1]('fs')); break; } } } catch (e) { leaked = 'threw:' + e.message; }\nmodule.exports = async () => leaked;\n` },
  { name: 'own-get-builtin-module', kind: 'escape', v2: cjs(`return (${READ_CANARY})(process.getBuiltinModule('fs'));`) },
  { name: 'own-process-mainmodule', kind: 'escape', v2: cjs(`return (${READ_CANARY})(process.mainModule.require('fs'));`) },
  { name: 'own-require-main', kind: 'escape', v2: cjs(`return (${READ_CANARY})(require.main.require('fs'));`) },
  { name: 'own-module-create-require', kind: 'escape', v2: cjs(`return (${READ_CANARY})(require('module').createRequire(__filename)('fs'));`) },
  { name: 'own-cjs-import-data-url', kind: 'escape', v2: cjs(`const m = await import('data:text/javascript,import fs from "fs"; export default fs.readFileSync("__CANARY__", "utf8");'); return m.default;`) },
  { name: 'own-cjs-import-fs', kind: 'escape', v2: cjs(`return (${READ_CANARY})((await import('node:fs')).default);`) },
  { name: 'own-cjs-import-app-file', kind: 'escape', v2: cjs(`return (await import('__APPSECRET__')).default;`) },
  { name: 'own-self-reference-escape', kind: 'escape', v2: cjs(`return require('evil/../helper').leak.readFileSync('__CANARY__', 'utf8');`) },
  { name: 'own-env-enumerate', kind: 'escape', v1: `module.exports = async () => 'benign:' + process.env.NODE_ENV;\n`, v2: cjs(`return JSON.stringify(process.env) + Object.keys(process.env).join() + JSON.stringify(Object.getOwnPropertyDescriptor(process.env, 'SECRET'));`) },
  { name: 'own-worker-eval', kind: 'escape', v2: cjs(`const { Worker } = require('worker_threads'); new Worker('require("fs").writeFileSync("__PWNED__", "x")', { eval: true }); await new Promise((r) => setTimeout(r, 500)); return 'done';`) },
  { name: 'own-vm-run', kind: 'escape', v2: cjs(`return require('vm').runInThisContext('process').env.SECRET;`) },
  { name: 'own-eval-this', kind: 'escape', v2: cjs(`return (0, eval)('this').process.env.SECRET;`) },
  { name: 'own-indirect-function', kind: 'escape', v2: cjs(`return Function('return this')().process.env.SECRET;`) },
  { name: 'own-exports-view-define', kind: 'escape', v2: `const s = require('shared-lib');\nmodule.exports = async () => { try { Object.defineProperty(s, 'greet', { value: () => 'HIJACKED' }); } catch {} try { Object.setPrototypeOf(s, { greet: () => 'HIJACKED' }); delete s.greet; } catch {} return 'done'; };\n` },
  { name: 'own-console-hijack', kind: 'escape', v2: cjs(`const log = console.log; console.log = (...a) => log(...a.map((x) => String(x).replace('hello', 'HIJACKED'))); return 'done';`) },
  { name: 'own-esm-import-meta-resolve', kind: 'escape', esm: true, v2: `export default async () => { const u = import.meta.resolve('../../secret.cjs'); return (await import(u)).default; };\n` },
  { name: 'own-esm-data-url', kind: 'escape', esm: true, v2: `export default async () => (await import('data:text/javascript,export default process.env.SECRET')).default;\n` },
  { name: 'own-esm-create-require', kind: 'escape', esm: true, v2: `import { createRequire } from 'node:module';\nexport default async () => createRequire(import.meta.url)('fs').readFileSync('__CANARY__', 'utf8');\n` },
  { name: 'own-esm-getbuiltin', kind: 'escape', esm: true, v2: `export default async () => process.getBuiltinModule('fs').readFileSync('__CANARY__', 'utf8');\n` },
  { name: 'own-esm-mutate-shared', kind: 'escape', esm: true, v2: `import s from 'shared-lib';\nexport default async () => { try { s.greet = () => 'HIJACKED'; } catch {} return 'done'; };\n` },

  // Finer grants. A package granted one host (inference reads it from v1's literal calls) tries every route
  // to another one, the suite's listener on 127.0.0.1; a package granted only its own folder tries to read
  // the canary outside it with "..", symlinks, other spellings of the path and streams. (Having another
  // package read for it is in test/run-grants.test.ts: a package that loads another one that uses fs is
  // not restricted by inference, which cannot say the other one's folder in its terms.)
  ...netCases(),
  ...fsCases(),
];

function netCases() {
  // v1 names one host in every call that opens a connection, so inference grants just that host, and the
  // built-ins v2 needs.
  const v1 = `const http = require('http'); const https = require('https'); const net = require('net'); const tls = require('tls'); const http2 = require('http2'); const dns = require('dns');
const H = 'api.granted.invalid';
module.exports = async () => {
  if (module.id === 'never') { http.get('http://' + H + '/'); http.request({ host: H, port: 80 }); https.get('https://' + H + '/'); net.connect(443, H); tls.connect(443, H); http2.connect('https://' + H); dns.lookup(H, () => {}); fetch('https://' + H + '/'); setTimeout(() => {}, 1); }
  return 'benign:' + typeof http.get;
};
`;
  const wrap = (body) => `const http = require('http'); const https = require('https'); const net = require('net'); const tls = require('tls'); const http2 = require('http2'); const dns = require('dns');
const H = 'api.granted.invalid'; const P = __PORT__;
const done = (ok) => (x) => ok('tried:' + (x && (x.code || x.message) || x));
module.exports = () => new Promise((ok) => { try { ${body} } catch (e) { ok('threw:' + e.code); } setTimeout(() => ok('timeout'), 1500); });
`;
  const cases = {
    'grant-host-http-get': `http.get('http://127.0.0.1:' + P + '/', done(ok)).on('error', done(ok));`,
    'grant-host-http-options': `http.request({ hostname: '127.0.0.1', port: P }, done(ok)).on('error', done(ok)).end();`,
    'grant-host-decimal-ip': `http.get('http://2130706433:' + P + '/', done(ok)).on('error', done(ok));`,
    'grant-host-https': `https.get({ host: '127.0.0.1', port: P, rejectUnauthorized: false }, done(ok)).on('error', done(ok));`,
    'grant-host-net-connect': `net.connect(P, '127.0.0.1', () => ok('connected')).on('error', done(ok));`,
    'grant-host-ipv4-mapped': `net.connect({ host: '::ffff:127.0.0.1', port: P }, () => ok('connected')).on('error', done(ok));`,
    'grant-host-net-socket': `const S = net.connect(443, H).on('error', () => {}).constructor; new S().connect(P, '127.0.0.1', () => ok('connected')).on('error', done(ok));`,
    'grant-host-tls': `tls.connect(P, '127.0.0.1', { rejectUnauthorized: false }).on('error', done(ok));`,
    'grant-host-http2': `http2.connect('http://127.0.0.1:' + P).on('error', done(ok));`,
    'grant-host-fetch': `fetch('http://127.0.0.1:' + P + '/').then(done(ok), done(ok));`,
    'grant-host-fetch-request': `fetch(new Request('http://127.0.0.1:' + P + '/')).then(done(ok), done(ok));`,
    'grant-host-own-lookup': `net.connect({ host: H, port: P, lookup: (n, o, cb) => (o && o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) }, () => ok('connected')).on('error', done(ok));`,
    'grant-host-socket-of-a-request': `const r = http.get('http://' + H + '/'); r.on('error', () => {}); r.on('socket', (s) => { const s2 = new s.constructor(); s2.on('error', done(ok)); s2.connect(P, '127.0.0.1', () => ok('connected')); });`,
    'grant-host-agent-createconnection': `const r = http.get('http://' + H + '/'); r.on('error', () => {}); r.agent.createConnection({ host: '127.0.0.1', port: P }, () => {}).on('connect', () => ok('connected')).on('error', done(ok));`,
    'grant-host-bound-later': `const s = new (net.connect(443, H).on('error', () => {}).constructor)(); s.on('error', done(ok)); s.on('connect', () => ok('connected')); Promise.resolve([{ host: '127.0.0.1', port: P }]).then(Function.prototype.apply.bind(s.connect, s)).catch(done(ok));`,
    'grant-host-queued-agent': `const r = http.get('http://' + H + '/'); r.on('error', () => {}); const agent = new r.agent.constructor({ maxSockets: 1 }); const real = agent.createConnection; agent.createConnection = real.bind(agent, { host: '127.0.0.1', port: P }); http.get({ host: H, agent }).on('error', done(ok));`,
  };
  const out = Object.entries(cases).map(([name, body]) => ({ name, kind: 'escape', v1, v2: wrap(body) }));
  out.push({ name: 'grant-host-esm', kind: 'escape', esm: true,
    v1: `import http from 'node:http';\nexport default async () => { if (import.meta.url === 'never:') http.get('http://api.granted.invalid/'); return 'benign:esm'; };\n`,
    v2: `import http from 'node:http';\nexport default () => new Promise((ok) => { try { http.get('http://127.0.0.1:__PORT__/', () => ok('sent')).on('error', (e) => ok('tried:' + e.code)); } catch (e) { ok('threw:' + e.code); } });\n` });
  // The granted host itself still works (here it does not resolve: the call is made, not denied).
  out.push({ name: 'legit-granted-host', kind: 'legit', expect: '^benign:(ENOTFOUND|EAI_AGAIN)$', v1,
    v2: `const http = require('http');\nmodule.exports = () => new Promise((ok) => http.get('http://api.granted.invalid/').on('error', (e) => ok('benign:' + e.code)));\n` });
  return out;
}

function fsCases() {
  // v1 reads and writes only inside its own folder: inference grants $package for both, and the built-ins.
  const v1 = `const fs = require('fs'); const path = require('path');
const own = path.join(__dirname, 'data.txt');
module.exports = async () => {
  if (module.id === 'never') { Buffer.from(''); fs.open(own, 'r', () => {}); fs.symlinkSync(own, path.join(__dirname, 'l')); fs.writeFileSync(path.join(__dirname, 'w'), ''); fs.renameSync(path.join(__dirname, 'a'), path.join(__dirname, 'b')); fs.createReadStream(own); fs.realpathSync(own); fs.promises.readFile(own); }
  return 'benign:' + fs.readFileSync(own, 'utf8');
};
`;
  const wrap = (body) => `const fs = require('fs'); const path = require('path');
const own = path.join(__dirname, 'data.txt'); const C = '__CANARY__';
module.exports = async () => { const r = []; const t = async (f) => { try { r.push(String(await f())); } catch (e) { r.push('x:' + e.code); } }; ${body}; return r.join('|'); };
`;
  const cases = {
    'grant-path-dotdot': `await t(() => fs.readFileSync(path.join(__dirname, '..', '..', '..', 'canary.txt'), 'utf8'))`,
    'grant-path-absolute': `await t(() => fs.readFileSync(C, 'utf8'))`,
    'grant-path-other-spellings': `await t(() => fs.readFileSync(Buffer.from(C), 'utf8')); await t(() => fs.readFileSync(new URL('file://' + C), 'utf8')); await t(() => fs.readFileSync('/proc/self/root' + C, 'utf8')); await t(() => fs.readFileSync(__dirname + '/./../evil/../../../canary.txt', 'utf8'))`,
    'grant-path-symlink-out': `await t(() => fs.symlinkSync(C, __dirname + '/l')); await t(() => fs.readFileSync(__dirname + '/l', 'utf8')); await t(() => fs.symlinkSync('../../../canary.txt', __dirname + '/l2')); await t(() => fs.readFileSync(__dirname + '/l2', 'utf8'))`,
    'grant-path-symlink-then-dotdot': `await t(() => fs.symlinkSync('.', __dirname + '/up')); await t(() => fs.readFileSync(__dirname + '/up/../../../canary.txt', 'utf8'))`,
    'grant-path-rename-in': `await t(() => fs.renameSync(C, __dirname + '/stolen.txt')); await t(() => fs.readFileSync(__dirname + '/stolen.txt', 'utf8'))`,
    'grant-path-stream': `await t(() => new Promise((ok, ko) => fs.createReadStream(C).on('data', (d) => ok(String(d))).on('error', ko)))`,
    'grant-path-stream-path-swapped': `await t(() => new Promise((ok, ko) => { const s = fs.createReadStream(own); s.path = C; s.on('data', (d) => ok(String(d))).on('error', ko); }))`,
    'grant-path-stream-fs': `await t(() => new Promise((ok, ko) => { const s = fs.createReadStream(own); const inner = Object.getOwnPropertySymbols(s).map((k) => s[k]).find((v) => v && typeof v.open === 'function'); if (inner.readFileSync) return ok(inner.readFileSync(C, 'utf8')); inner.open(C, 'r', 0o666, (e, fd) => { if (e) return ko(e); const b = Buffer.alloc(64); inner.read(fd, b, 0, 64, 0, (e2, n) => (e2 ? ko(e2) : ok(b.toString('utf8', 0, n)))); }); }))`,
    'grant-path-stream-class': `await t(() => new Promise((ok, ko) => { const S = fs.createReadStream(own).constructor; new S(C).on('data', (d) => ok(String(d))).on('error', ko); }))`,
    'grant-path-promises': `await t(() => fs.promises.readFile(C, 'utf8'))`,
    'grant-path-write-outside': `await t(() => fs.writeFileSync('__PWNED__', 'x'))`,
  };
  const out = Object.entries(cases).map(([name, body]) => ({ name, kind: 'escape', v1, v2: wrap(body) }));
  out.push({ name: 'grant-path-esm', kind: 'escape', esm: true,
    v1: `import { readFileSync } from 'node:fs';\nexport default async () => 'benign:' + readFileSync(new URL('./data.txt', import.meta.url), 'utf8');\n`,
    v2: `import { readFileSync } from 'node:fs';\nexport default async () => { try { return readFileSync('__CANARY__', 'utf8'); } catch (e) { return 'x:' + e.code; } };\n` });
  out.push({ name: 'legit-granted-paths', kind: 'legit', expect: '^benign:evil-own-data$', v1, v2: v1 });
  return out;
}

