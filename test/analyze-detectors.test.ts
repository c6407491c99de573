// Recall and precision of single-file analysis: for each kind of capability, sources that must yield
// exactly the listed capabilities, and look-alikes that must yield none.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeSource, DETECTORS, type FileFacts, type SourceKind } from '../src/analyze/index.js';
import { repoRoot } from './helpers.js';

interface Case {
  src: string;
  kind?: SourceKind;
  builtins?: string[];
  globals?: string[];
  /** Run the case as a todo (a known analyzer gap) with this reason. */
  todo?: string;
}

function analyze(src: string, kind: SourceKind = 'commonjs'): FileFacts {
  const facts = analyzeSource(src, { kind });
  assert.equal(facts.unanalysable, undefined, `unexpectedly unanalysable: ${facts.unanalysable}`);
  return facts;
}

const sorted = (list: { cap: string }[]): string[] => [...new Set(list.map((c) => c.cap))].sort();
const warningKinds = (facts: FileFacts): string[] => facts.warnings.map((w) => w.kind).sort();

/** Every case asserts the exact builtins and globals (both default to none). */
function runTable(name: string, cases: Case[]): void {
  describe(name, () => {
    for (const c of cases) {
      const options = c.todo ? { todo: c.todo } : {};
      it(`${c.kind === 'module' ? '[esm] ' : ''}${c.src.replace(/\s+/g, ' ').slice(0, 110)}`, options, () => {
        const facts = analyze(c.src, c.kind);
        assert.deepEqual(sorted(facts.builtins), [...(c.builtins ?? [])].sort(), 'builtins');
        assert.deepEqual(sorted(facts.globals), [...(c.globals ?? [])].sort(), 'globals');
      });
    }
  });
}

// ---------------------------------------------------------------- built-in modules

runTable('builtins: recall down to the export', [
  { src: "const fs = require('fs'); fs.readFileSync('x')", builtins: ['fs.readFileSync'] },
  { src: "const fs = require('fs'); fs.readFileSync('x'); fs.writeFileSync('y', '')", builtins: ['fs.readFileSync', 'fs.writeFileSync'] },
  { src: "const { readFile } = require('fs'); readFile('x', cb)", builtins: ['fs.readFile'], globals: ['cb'] },
  { src: "const { readFile, writeFile } = require('fs'); readFile('x')", builtins: ['fs.readFile'] },
  { src: "const { readFile: rf } = require('fs'); rf('x')", builtins: ['fs.readFile'] },
  { src: "const { readFile: rf = null } = require('fs'); rf('x')", builtins: ['fs.readFile'] },
  { src: "const { promises: { writeFile } } = require('fs'); writeFile('x', '')", builtins: ['fs.promises.writeFile'] },
  { src: "const fs = require('fs'); fs.promises.readFile('x')", builtins: ['fs.promises.readFile'] },
  { src: "const fs = require('fs'); const p = fs.promises; p.stat('x')", builtins: ['fs.promises.stat'] },
  { src: "const { types: { isDate } } = require('util'); isDate(1)", builtins: ['util.types.isDate'] },
  { src: "require('fs').readFileSync('x')", builtins: ['fs.readFileSync'] },
  { src: "require('fs')['readFileSync']('x')", builtins: ['fs.readFileSync'] },
  { src: "require('fs')?.readFileSync?.('x')", builtins: ['fs.readFileSync'] },
  { src: "(0, require('fs').readFileSync)('x')", builtins: ['fs.readFileSync'] },
  { src: "require('node:fs').readFileSync('x')", builtins: ['fs.readFileSync'] },
  { src: "const cp = require('node:child_process'); cp.exec('ls')", builtins: ['child_process.exec'] },
  { src: "require('fs/promises').readFile('x')", builtins: ['fs/promises.readFile'] },
  { src: "require('node:fs/promises').readFile('x')", builtins: ['fs/promises.readFile'] },
  { src: "const { spawn } = require('child_process'); new spawn('x')", builtins: ['child_process.spawn'] },
  { src: "const { EventEmitter } = require('events'); class A extends EventEmitter {}", builtins: ['events.EventEmitter'] },
  { src: "const t = require('tty'); module.exports = t.isatty", builtins: ['tty.isatty'] },
  { src: "module.exports = { read: require('fs').readFile }", builtins: ['fs.readFile'] },
  { src: "const fs = require('fs'); fs.readFile = null", builtins: ['fs.readFile'] },
  { src: "const u = require('util'); u.promisify(require('fs').readFile)", builtins: ['util.promisify', 'fs.readFile'] },
  // ESM
  { kind: 'module', src: "import fs from 'fs'; fs.readFileSync('x')", builtins: ['fs.readFileSync'] },
  { kind: 'module', src: "import * as fs from 'node:fs'; fs.statSync('x')", builtins: ['fs.statSync'] },
  { kind: 'module', src: "import * as fs from 'fs'; fs.default.readFileSync('x')", builtins: ['fs.readFileSync'] },
  { kind: 'module', src: "import { readFile, stat } from 'fs'; readFile('x')", builtins: ['fs.readFile'] },
  { kind: 'module', src: "import { readFile as rf } from 'node:fs'; rf('x')", builtins: ['fs.readFile'] },
  { kind: 'module', src: "import { promises } from 'fs'; promises.rm('x')", builtins: ['fs.promises.rm'] },
  { kind: 'module', src: "import { readFile } from 'fs'; export { readFile }", builtins: ['fs.readFile'] },
  { kind: 'module', src: "export { readFile } from 'fs'", builtins: ['fs.readFile'] },
  { kind: 'module', src: "export { readFile as rf, stat } from 'node:fs'", builtins: ['fs.readFile', 'fs.stat'] },
  { kind: 'module', src: "export * from 'fs'", builtins: ['fs'] },
  { kind: 'module', src: "export * as fs from 'fs'", builtins: ['fs'] },
  { kind: 'module', src: "export { default } from 'fs'", builtins: ['fs'] },
  { kind: 'module', src: "const m = await import('fs'); m.readFileSync('x')", builtins: ['fs.readFileSync'] },
  { kind: 'module', src: "(await import('node:fs')).readFileSync('x')", builtins: ['fs.readFileSync'] },
  { kind: 'module', src: "const { readFile } = await import('fs'); readFile('x')", builtins: ['fs.readFile'] },
  // createRequire
  { kind: 'module', src: "import module from 'module'; module.createRequire(import.meta.url)('tty').isatty(1)", builtins: ['module.createRequire', 'tty.isatty'] },
  { kind: 'module', src: "import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); r('tty').isatty(1)", builtins: ['module.createRequire', 'tty.isatty'] },
  { src: "const { createRequire } = require('module'); createRequire(__filename)('child_process').exec('x')", builtins: ['module.createRequire', 'child_process.exec'] },
  // other ways to hold require
  { src: "const r = require; r('fs').readFile('x')", builtins: ['fs.readFile'] },
  { src: "module.require('fs').readFile('x')", builtins: ['fs.readFile'] },
  // A literal name needs only that built-in; the function itself (every built-in) only when the name is computed.
  { src: "process.getBuiltinModule('child_process').exec('x')", builtins: ['child_process.exec'] },
  { src: "const { exec } = globalThis.process.getBuiltinModule('node:child_process'); exec('x')", builtins: ['child_process.exec'] },
  { src: 'process.getBuiltinModule(name)', globals: ['process.getBuiltinModule', 'name'] },
  { src: "process.getBuiltinModule('not-a-builtin')", globals: ['process.getBuiltinModule'] },
]);

runTable('builtins: the whole module when it escapes', [
  { src: "const fs = require('fs'); consume(fs)", builtins: ['fs'], globals: ['consume'] },
  { src: "const fs = require('fs'); fs[name]('x')", builtins: ['fs'], globals: ['name'] },
  { src: "const fs = require('fs'); const { [key]: f } = fs", builtins: ['fs'], globals: ['key'] },
  { src: "const { ...rest } = require('fs')", builtins: ['fs'] },
  { src: "const { readFile, ...rest } = require('fs'); readFile('x')", builtins: ['fs', 'fs.readFile'] },
  { src: "const [first] = require('fs')", builtins: ['fs'] },
  { src: "const fs = require('fs'); const copy = { ...fs }", builtins: ['fs'] },
  { src: "module.exports = require('fs')", builtins: ['fs'] },
  { src: "exports.fs = require('fs')", builtins: ['fs'] },
  { src: "Object.assign(exports, require('fs'))", builtins: ['fs'] },
  { src: "const fs = require('fs'); return fs", builtins: ['fs'] },
  { src: "const fs = require('fs'); const o = { fs }; o.fs.readFile('x')", builtins: ['fs'] },
  { src: "const fs = require('fs'); for (const k in fs) {}", builtins: ['fs'] },
  { src: "const fs = require('fs'); Object.defineProperty(fs, 'x', {})", builtins: ['fs'] },
  { src: "const E = require('events'); class A extends E {}", builtins: ['events'] },
  { src: "new (require('events'))()", builtins: ['events'] },
  { src: "let fs = require('fs'); fs = other; fs.readFile('x')", builtins: ['fs'], globals: ['other'] },
  { kind: 'module', src: "import fs from 'fs'; export default fs", builtins: ['fs'] },
  { kind: 'module', src: "import fs from 'fs'; export { fs }", builtins: ['fs'] },
  { kind: 'module', src: "import * as fs from 'fs'; use(fs)", builtins: ['fs'], globals: ['use'] },
]);

runTable('builtins: aliases, hoisting and compiler interop', [
  { src: "const fs = require('fs'); const f = fs; f.openSync('x')", builtins: ['fs.openSync'] },
  { src: "const a = require('fs'); const b = a; const c = b; c.readFile('x')", builtins: ['fs.readFile'] },
  { src: "const fs = require('fs'), read = fs.readFile; read('x')", builtins: ['fs.readFile'] },
  { src: "let fs; fs = require('fs'); fs.readFile('x')", builtins: ['fs.readFile'] },
  { src: "let rf; ({ readFile: rf } = require('fs')); rf('x')", builtins: ['fs.readFile'] },
  { src: "if (x) { var fs = require('fs') } fs.readFile('y')", builtins: ['fs.readFile'], globals: ['x'] },
  { src: "go(); function go() { fs.readFile('x') } var fs = require('fs')", builtins: ['fs.readFile'] },
  { src: "function read() { return fs.readFileSync('x') } const fs = require('fs')", builtins: ['fs.readFileSync'] },
  {
    src: "'use strict'; var _fs = _interopRequireDefault(require('fs')); function _interopRequireDefault(e) { return e && e.__esModule ? e : { default: e }; } _fs.default.readFileSync('x')",
    builtins: ['fs.readFileSync'],
  },
  {
    src: "var __importStar = (this && this.__importStar) || function (m) { return m; }; const fs = __importStar(require('fs')); fs.readFileSync('x')",
    builtins: ['fs.readFileSync'],
  },
  {
    src: "var __importDefault = function (m) { return m && m.__esModule ? m : { default: m }; }; const fs_1 = __importDefault(require('fs')); fs_1.default.existsSync('x')",
    builtins: ['fs.existsSync'],
  },
  {
    src: "var __toESM = (mod) => mod; var import_fs = __toESM(require('fs')); (0, import_fs.readFileSync)('x')",
    builtins: ['fs.readFileSync'],
  },
  {
    src: "var _child = _interopRequireWildcard(require('child_process')); function _interopRequireWildcard(o) { return o; } _child.execSync('x')",
    builtins: ['child_process.execSync'],
  },
]);

runTable('builtins: precision (shadowing, look-alikes, unused loads)', [
  { src: "const fs = require('fs'); function g(fs) { fs.readFile('x') }" },
  { src: "const fs = require('fs'); { const fs = mock; fs.readFile('x') }", globals: ['mock'] },
  { src: "const fs = { readFile() {} }; fs.readFile('x')" },
  { src: "require('fs')" },
  { src: "const fs = require('fs')" },
  { src: "const { readFile } = require('fs')" },
  { kind: 'module', src: "import 'fs'" },
  { kind: 'module', src: "import fs from 'fs'" },
  { kind: 'module', src: "import * as fs from 'fs'; const { readFile } = fs" },
  { src: "require('fs/')" },
  { src: "require('fs/').readFile('x')" },
  { src: "require('./fs').readFile('x')" },
  { src: "require('fs-extra').readFile('x')" },
  { kind: 'module', src: "import { readFile } from 'fs-extra'; readFile('x')" },
  { src: "const o = { fs: 1 }; o.fs; o.readFile" },
  { src: "const path = require('path'); path.join('a'); path.resolve('b')", builtins: ['path.join', 'path.resolve'] },
]);

// ---------------------------------------------------------------- globals

runTable('globals: recall', [
  { src: 'process.env.HOME', globals: ['process.env.HOME'] },
  { src: "process.env['HOME']", globals: ['process.env.HOME'] },
  { src: "process['env']['HOME']", globals: ['process.env.HOME'] },
  { src: 'process.env[key]', globals: ['process.env', 'key'] },
  { src: 'Object.keys(process.env)', globals: ['process.env'] },
  { src: 'JSON.stringify(process.env)', globals: ['process.env'] },
  { src: 'for (const k in process.env) {}', globals: ['process.env'] },
  { src: 'const copy = { ...process.env }', globals: ['process.env'] },
  { src: 'const { A, ...rest } = process.env', globals: ['process.env'] },
  { src: 'const { env } = process; env.TOKEN', globals: ['process.env.TOKEN'] },
  { src: 'const { env: { TOKEN } } = process; send(TOKEN)', globals: ['process.env.TOKEN', 'send'] },
  { src: "const { NODE_ENV = 'dev' } = process.env; use(NODE_ENV)", globals: ['process.env.NODE_ENV', 'use'] },
  { src: 'const e = process.env; e.A; e.B', globals: ['process.env.A', 'process.env.B'] },
  { src: 'const p = process; p.env.A', globals: ['process.env.A'] },
  { src: "process.env.A = '1'", globals: ['process.env.A'] },
  { src: 'delete process.env.A', globals: ['process.env.A'] },
  { src: 'process.env.A || process.env.B', globals: ['process.env.A', 'process.env.B'] },
  { src: "if (process.env.NODE_ENV === 'production') {}", globals: ['process.env.NODE_ENV'] },
  { src: 'process.env && process.env.X', globals: ['process.env.X'] },
  { src: "typeof process !== 'undefined' && process.env && process.env.DEBUG", globals: ['process.env.DEBUG'] },
  { src: "process.stdout.write('x'); process.argv; process.exit(1)", globals: ['process.stdout', 'process.argv', 'process.exit'] },
  { src: 'Date.now()', globals: ['Date.now'] },
  { src: 'new Date()', globals: ['Date.now'] },
  { src: 'Date()', globals: ['Date.now'] },
  { src: 'const now = Date.now; now()', globals: ['Date.now'] },
  { src: 'Math.random()', globals: ['Math.random'] },
  { src: 'const { random } = Math; random()', globals: ['Math.random'] },
  { src: 'const M = Math; M.random()', globals: ['Math.random'] },
  { src: 'performance.now()', globals: ['performance.now'] },
  { src: "fetch('https://example.com')", globals: ['fetch'] },
  { src: "new WebSocket('wss://example.com')", globals: ['WebSocket'] },
  { src: 'setTimeout(f, 1)', globals: ['setTimeout', 'f'] },
  { src: 'setInterval(() => {}, 1)', globals: ['setInterval'] },
  { src: 'setImmediate(() => {})', globals: ['setImmediate'] },
  { src: "Buffer.from('x')", globals: ['Buffer'] },
  { src: 'x instanceof Buffer', globals: ['Buffer', 'x'] },
  { src: 'global.foo', globals: ['foo'] },
  { src: 'globalThis.bar', globals: ['bar'] },
  { src: "globalThis['fetch']('x')", globals: ['fetch'] },
  { src: 'global.Buffer.alloc(1)', globals: ['Buffer'] },
  { src: 'globalThis.process.env.SECRET', globals: ['process.env.SECRET'] },
  { src: 'global.process.env.SECRET', globals: ['process.env.SECRET'] },
  { src: 'globalThis.globalThis.process.env.SECRET', globals: ['process.env.SECRET'] },
  { src: 'global.global.Buffer', globals: ['Buffer'] },
  { src: 'const g = globalThis; g.fetch()', globals: ['fetch'] },
  { src: 'const { fetch } = globalThis; fetch()', globals: ['fetch'] },
  { src: 'const { process: { env: { TOKEN } } } = globalThis; send(TOKEN)', globals: ['process.env.TOKEN', 'send'] },
  { src: 'window.ethereum.request({})', globals: ['window.ethereum'] },
  { src: 'navigator.userAgent; document.cookie', globals: ['navigator.userAgent', 'document.cookie'] },
  { src: 'crypto.randomUUID()', globals: ['crypto.randomUUID'] },
  // uses in every kind of scope
  { src: 'const o = { get x() { return process.env.GET } }', globals: ['process.env.GET'] },
  { src: 'class A { static { process.env.S } }', globals: ['process.env.S'] },
  { src: 'class A { x = process.env.F }', globals: ['process.env.F'] },
  { src: 'class A { process = 1; m() { return process.env.M } }', globals: ['process.env.M'] },
  { src: '(() => process.env.ARROW)()', globals: ['process.env.ARROW'] },
  { src: 'function* g() { yield process.env.Y }', globals: ['process.env.Y'] },
  { src: 'const s = `${process.env.TPL}`', globals: ['process.env.TPL'] },
  { src: 'function f(a = process.env.PDEF) {}', globals: ['process.env.PDEF'] },
  { src: '{ let process = 1; } process.env.Z', globals: ['process.env.Z'] },
  { kind: 'module', src: 'export const home = process.env.HOME', globals: ['process.env.HOME'] },
  // the `process` built-in module is the global process object: same grants, down to env keys
  { kind: 'module', src: "import process from 'node:process'; process.env.HOME", globals: ['process.env.HOME'] },
  { kind: 'module', src: "import { env } from 'process'; env.HOME", globals: ['process.env.HOME'] },
  { src: "const { env: { TOKEN } } = require('process'); send(TOKEN)", globals: ['process.env.TOKEN', 'send'] },
  { src: "const p = require('process'); p.env[k]; p.argv", globals: ['process.env', 'process.argv', 'k'] },
  { src: "const p = require('process'); use(p)", builtins: ['process'], globals: ['use'] },
  { src: "require('process')" },
]);

runTable('globals: precision', [
  { src: 'typeof process' },
  { src: "typeof process === 'object'" },
  { src: "typeof window !== 'undefined'" },
  { src: '!process.env' },
  { src: "'env' in process" },
  { src: "'A' in process.env" },
  { src: "Object.keys({}); JSON.parse('1'); Promise.resolve(1); Math.floor(1.5); new Date(1)" },
  { src: 'new Date(2020, 1); Date.UTC(2020); Date.parse("x"); Math.max(1, 2); x instanceof Date', globals: ['x'] },
  { src: 'new Map(); new Set(); Symbol("x"); Reflect.ownKeys({}); new Proxy({}, {}); Array.isArray([])' },
  { src: "console.log('x'); new URL('http://x'); new TextEncoder(); structuredClone({}); queueMicrotask(() => {})" },
  { src: "typeof define === 'function' && define.amd" },
  { src: 'function f() { const process = { env: {} }; return process.env.X }' },
  { src: 'function f(process) { return process.env.X }' },
  { src: 'try {} catch (process) { process.env.X }' },
  { src: 'const Buffer = require("buffer").Buffer; Buffer.from("x")', builtins: ['buffer.Buffer'] },
  { src: 'function fetch() {} fetch()' },
  { src: 'const o = { process: 1 }; o.process; o.Buffer' },
  { src: 'label: for (;;) { break label }' },
  { src: "0 && (module.exports = { alpha, beta, gamma })" },
]);

// ---------------------------------------------------------------- dynamic code

interface WarningCase {
  src: string;
  kind?: SourceKind;
  warnings: string[];
  todo?: string;
}

function runWarnings(name: string, cases: WarningCase[]): void {
  describe(name, () => {
    for (const c of cases) {
      const options = c.todo ? { todo: c.todo } : {};
      it(`${c.kind === 'module' ? '[esm] ' : ''}${c.src.replace(/\s+/g, ' ').slice(0, 110)}`, options, () => {
        assert.deepEqual(warningKinds(analyze(c.src, c.kind)), [...c.warnings].sort());
      });
    }
  });
}

runWarnings('dynamic code: eval', [
  { src: "eval('1 + 1')", warnings: ['eval'] },
  { src: "(0, eval)('1 + 1')", warnings: ['eval'] },
  { src: "const e = eval; e('1 + 1')", warnings: ['eval', 'eval'] },
  { src: "globalThis.eval('1 + 1')", warnings: ['eval'] },
  { src: "global['eval']('1 + 1')", warnings: ['eval'] },
  { src: "const { eval: e } = globalThis; e('1 + 1')", warnings: ['eval'] },
  { src: "eval.call(null, 'x')", warnings: ['eval'] },
  { src: "typeof eval === 'function'", warnings: [] },
  { src: "function f(eval) { eval('x') }", warnings: [] },
  { src: "const o = { eval() {} }; o.eval('x')", warnings: [] },
]);

runWarnings('dynamic code: Function constructor', [
  { src: "new Function('return 1')", warnings: ['function-constructor'] },
  { src: "Function('return 1')()", warnings: ['function-constructor'] },
  { src: "globalThis.Function('return 1')", warnings: ['function-constructor'] },
  { src: "const F = Function; new F('return 1')", warnings: ['function-constructor'] },
  { src: "(async function () {}).constructor('return 1')", warnings: ['function-constructor'] },
  { src: "Object.getPrototypeOf(function* () {}).constructor('yield 1')", warnings: ['function-constructor'] },
  { src: "[].constructor.constructor('return process')()", warnings: ['function-constructor'] },
  { src: "Reflect.construct(Function, ['return 1'])", warnings: ['function-constructor'] },
  { src: "new (Function.bind(null, 'return 1'))()", warnings: ['function-constructor'] },
  { src: "Function.call(null, 'return 1')", warnings: ['function-constructor'] },
  { src: "globalThis.Function.apply(null, ['return 1'])", warnings: ['function-constructor'] },
  { src: 'x instanceof Function; typeof Function; Function === y; Function.prototype.toString.call(f)', warnings: [] },
  { src: 'const hasOwn = Function.call.bind(Object.prototype.hasOwnProperty)', warnings: [] },
  { src: "function f(Function) { return new Function('x') }", warnings: [] },
  { src: 'class A { m() { return this.constructor.name } }', warnings: [] },
  { src: 'Function.prototype.call.bind(x)', warnings: [] },
]);

runWarnings('dynamic code: with', [
  { src: 'with (obj) { x }', warnings: ['with'] },
  { src: 'function f() { with (Math) { return floor(1) } }', warnings: ['with'] },
]);

runWarnings('dynamic code: computed require and import', [
  { src: "require('./locale/' + name)", warnings: ['dynamic-require'] },
  { src: 'require(`./locale/${name}`)', warnings: ['dynamic-require'] },
  { src: 'require(name)', warnings: ['dynamic-require'] },
  { src: "const r = require; r('./x/' + y)", warnings: ['dynamic-require'] },
  { src: "require.call(null, 'child_process')", warnings: ['dynamic-require'] },
  { src: 'factory(require, exports, module)', warnings: ['dynamic-require'] },
  { src: 'module.exports = { require }', warnings: ['dynamic-require'] },
  { src: 'process.getBuiltinModule(name)', warnings: ['dynamic-require'] },
  { kind: 'module', src: 'await import(name)', warnings: ['dynamic-import'] },
  { kind: 'module', src: "await import('./plugins/' + name + '.js')", warnings: ['dynamic-import'] },
  { src: "require('./static')", warnings: [] },
  { src: 'require(`./static`)', warnings: [] },
  { src: "typeof require === 'function' && require('x')", warnings: [] },
  { src: "const r = require; r('y')", warnings: [] },
  { src: "require.resolve('x')", warnings: [] },
  { kind: 'module', src: "await import('./static.js')", warnings: [] },
]);

describe('dynamic code: the literal prefix of a computed specifier', () => {
  const prefixes = (src: string, kind: SourceKind = 'commonjs') => analyze(src, kind).dynamic.map((d) => d.prefix);
  it('string concatenation', () => assert.deepEqual(prefixes("require('./locale/' + name)"), ['./locale/']));
  it('nested concatenation', () => assert.deepEqual(prefixes("require('./locale/' + a + '.js')"), ['./locale/']));
  it('template literal', () => assert.deepEqual(prefixes('require(`./locale/${name}.js`)'), ['./locale/']));
  it('no prefix', () => assert.deepEqual(prefixes('require(name)'), [null]));
  it('import()', () => assert.deepEqual(prefixes("await import('./x/' + y)", 'module'), ['./x/']));
  it('static loads are not dynamic', () => assert.deepEqual(prefixes("require('./a'); require(`./b`)"), []));
});

// ---------------------------------------------------------------- native code

describe('native code', () => {
  it("require('./x.node')", () => {
    const facts = analyze("module.exports = require('./build/Release/addon.node')");
    assert.deepEqual(sorted(facts.native), ['loads ./build/Release/addon.node']);
  });
  it('process.dlopen', () => {
    const facts = analyze('process.dlopen(module, file)');
    assert.deepEqual(sorted(facts.native), ['process.dlopen']);
    assert.ok(sorted(facts.globals).includes('process.dlopen'));
  });
  it('process.dlopen through an alias and globalThis', () => {
    assert.deepEqual(sorted(analyze('const p = process; p.dlopen(m, f)').native), ['process.dlopen']);
    assert.deepEqual(sorted(analyze('globalThis.process.dlopen(m, f)').native), ['process.dlopen']);
  });
  it('process.dlopen through the process built-in', () => {
    assert.deepEqual(sorted(analyze("require('node:process').dlopen(m, f)").native), ['process.dlopen']);
  });
  it('look-alikes are not native', () => {
    assert.deepEqual(analyze("require('./x.node.js'); require('node-thing'); const o = { dlopen() {} }; o.dlopen()").native, []);
    assert.deepEqual(analyze('function f(process) { process.dlopen(a, b) }').native, []);
  });
});

// ---------------------------------------------------------------- module internals

runWarnings('module internals', [
  { src: "delete require.cache[k]", warnings: ['module-internals'] },
  { src: 'require.main.require("x")', warnings: ['module-internals'] },
  { src: "require.extensions['.txt'] = f", warnings: ['module-internals'] },
  { src: 'module.parent.exports', warnings: ['module-internals'] },
  { src: 'module.children.length', warnings: ['module-internals'] },
  { src: "module.constructor._load('fs')", warnings: ['module-internals'] },
  { src: 'process.mainModule.require("x")', warnings: ['module-internals'] },
  { src: 'globalThis.process.mainModule', warnings: ['module-internals'] },
  { src: 'const r = require; r.cache', warnings: ['module-internals'] },
  { src: "var m = new Mod(); m._compile(code, '')", warnings: ['module-internals'] },
  { src: "require('module')._load('fs')", warnings: ['module-internals'] },
  { src: 'module.exports = 1; exports.x = 2; module.id', warnings: [] },
  { src: 'function f(module) { return module.parent }', warnings: [] },
  { src: 'const m = { parent: 1 }; m.parent', warnings: [] },
]);

// ---------------------------------------------------------------- imports

describe('imports: kinds and specifiers', () => {
  const imports = (src: string, kind: SourceKind = 'commonjs') =>
    analyze(src, kind).imports.map((i) => `${i.kind} ${i.specifier}`).sort();
  it('require', () => assert.deepEqual(imports("require('a'); require('@scope/b/sub'); require('./c')"), ['require ./c', 'require @scope/b/sub', 'require a']));
  it('require of built-ins keeps the spelling', () => assert.deepEqual(imports("require('fs'); require('node:path')"), ['require fs', 'require node:path']));
  it('module.require and aliases', () => assert.deepEqual(imports("module.require('a'); const r = require; r('b')"), ['require a', 'require b']));
  it('require.resolve', () => assert.deepEqual(imports("require.resolve('a/package.json')"), ['resolve a/package.json']));
  it('import declarations', () => assert.deepEqual(imports("import a from 'a'; import * as b from 'b'; import { c } from './c.js'; import 'd'", 'module'), ['import ./c.js', 'import a', 'import b', 'import d']));
  it('import attributes', () => assert.deepEqual(imports("import data from './x.json' with { type: 'json' }", 'module'), ['import ./x.json']));
  it('export-from', () => assert.deepEqual(imports("export { x } from 'a'; export * from './b.js'; export * as c from 'c'", 'module'), ['export-from ./b.js', 'export-from a', 'export-from c']));
  it('dynamic import', () => assert.deepEqual(imports("import('a'); await import('./b.js'); import(`c`)", 'module'), ['dynamic-import ./b.js', 'dynamic-import a', 'dynamic-import c']));
  it('dynamic import from CommonJS', () => assert.deepEqual(imports("import('a').then(() => {})"), ['dynamic-import a']));
  it('computed specifiers are not imports', () => assert.deepEqual(imports("require(x); require('./a' + b)"), []));
  it('createRequire', () => assert.deepEqual(imports("import { createRequire } from 'module'; createRequire(import.meta.url)('a')", 'module'), ['import module', 'require a']));
  it('evidence: line, column and source text', () => {
    const facts = analyze("'use strict';\n\nconst cp = require('child_process');\ncp.exec('ls');\n");
    const imp = facts.imports[0]!;
    assert.equal(imp.line, 3);
    assert.equal(imp.column, 12);
    assert.equal(imp.text, "const cp = require('child_process');");
    const cap = facts.builtins[0]!;
    assert.deepEqual({ cap: cap.cap, line: cap.line, text: cap.text }, { cap: 'child_process.exec', line: 4, text: "cp.exec('ls');" });
  });
});

describe('source kinds', () => {
  it('a CommonJS guess that fails to parse is retried as a module', () => {
    const facts = analyzeSource("import fs from 'fs'; fs.readFileSync('x')", { kind: 'commonjs' });
    assert.equal(facts.unanalysable, undefined);
    assert.deepEqual(sorted(facts.builtins), ['fs.readFileSync']);
  });
  it('a module guess that fails to parse is retried as CommonJS', () => {
    const facts = analyzeSource("with (o) {} require('fs').statSync('x')", { kind: 'module' });
    assert.equal(facts.unanalysable, undefined);
    assert.deepEqual(sorted(facts.builtins), ['fs.statSync']);
    assert.deepEqual(warningKinds(facts), ['with']);
  });
  it('a hashbang line is allowed', () => {
    assert.deepEqual(sorted(analyze("#!/usr/bin/env node\nrequire('os').homedir()").builtins), ['os.homedir']);
  });
  it('top-level return in CommonJS', () => {
    assert.deepEqual(sorted(analyze("if (x) return; require('os').cpus()").builtins), ['os.cpus']);
  });
  it('Annex B: a block function is function-scoped in sloppy scripts, block-scoped in modules', () => {
    const src = '{ function process() {} } process.env.X';
    assert.deepEqual(sorted(analyze(src, 'commonjs').globals), []);
    assert.deepEqual(sorted(analyze(src, 'module').globals), ['process.env.X']);
  });
});

// ---------------------------------------------------------------- the registry

describe('detector registry', () => {
  it('every detector has a unique name, a category, a doc line and node types', () => {
    const names = DETECTORS.map((d) => d.name);
    assert.equal(new Set(names).size, names.length);
    for (const d of DETECTORS) {
      assert.ok(['dynamic-code', 'native', 'module-internals'].includes(d.category), d.name);
      assert.ok(d.doc.length > 10 && !d.doc.includes('\n'), d.name);
      assert.ok(d.nodeTypes.length > 0, d.name);
    }
  });

  const docs = readFileSync(join(repoRoot, 'docs', 'capabilities.md'), 'utf8');
  const undocumented = DETECTORS.filter((d) => !docs.includes(`| \`${d.name}\` |`)).map((d) => d.name);
  it('docs/capabilities.md has a row for every detector', undocumented.length ? { todo: `no row yet for ${undocumented.join(', ')}` } : {}, () => {
    assert.deepEqual(undocumented, []);
  });
});

// ---------------------------------------------------------------- known gaps (todo)

runTable('known gaps', [
  {
    src: "require.call(null, 'child_process').exec('x')",
    builtins: ['child_process.exec'],
    todo: 'require called through .call/.apply is only warned about (dynamic-require), not followed',
  },
  {
    src: '(function () { return this })().process.env.X',
    globals: ['process.env.X'],
    todo: 'sloppy-mode `this` as the global object is not tracked',
  },
  {
    src: "const k = 'HOME'; process.env[k]",
    globals: ['process.env.HOME'],
    todo: 'constant folding of keys held in const bindings is not done (the whole env is inferred: safe but coarse)',
  },
]);

runWarnings('known gaps: warnings', [
  {
    src: "Reflect.get(globalThis, 'fetch')",
    warnings: ['computed-global'],
    todo: 'the global object passed to a function is not reported (the runtime still attenuates it)',
  },
]);
