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
];
