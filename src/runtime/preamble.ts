// The run-time entry point, loaded with --import before the app: the one place that calls SES
// lockdown(). It reads the policy named by the environment `packsec run` sets, freezes the shared
// intrinsics, and installs the CommonJS and ESM containment.
import { realpathSync, writeSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, MessageChannel } from 'node:worker_threads';
import { readPolicy } from '../policy/index.js';
import { CommonJsLoader } from './cjs.js';
import { exportsView } from './exports-view.js';
import { installWrappers } from './wrappers.js';
import { syncHooks } from './esm-hooks.js';
import { Runtime } from './runtime.js';
import type { Violation } from './denial.js';

declare const lockdown: (options: Record<string, string>) => void;

const KEY = Symbol.for('packsec.runtime');
// SES's single-file bundle: importing its ES module source tree (about 100 files) is slower to start.
createRequire(import.meta.url)('ses');

function start(): void {
  if ((globalThis as Record<symbol, unknown>)[KEY]) return; // already contained (a second --import)
  const projectDir = process.env.PACKSEC_PROJECT;
  if (!projectDir) throw new Error('packsec: the runtime preamble needs PACKSEC_PROJECT (use `packsec run`)');
  const policy = readPolicy(projectDir);
  if (!policy) throw new Error(`packsec: no packsec.policy.json in ${projectDir}; run \`packsec init\` first`);
  const warn = process.env.PACKSEC_WARN === '1';
  // vm's USE_MAIN_CONTEXT_DEFAULT_LOADER (how contained CommonJS gets import()) is flagged experimental;
  // that warning is about packsec's machinery, not the app's, so it is not shown.
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    if (String((warning as Error)?.message ?? warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  const asPackage = process.env.PACKSEC_AS_PACKAGE || null;
  let mainAs: { name: string; root: string } | null = null;
  if (asPackage && isMainThread) {
    // A child started by a contained package: code from -e, -p, stdin or a REPL has no file to contain.
    const inline = process.execArgv.some((a) => /^(-e|-p|-pe|-ep|--eval|--print|-i|--interactive)(=|$)/.test(a));
    if (inline || !process.argv[1]) {
      writeSync(2, `packsec: ${JSON.stringify(asPackage)} may not run node code from the command line, stdin or a REPL: only files can run contained\n`);
      process.exit(1);
    }
    let main = resolve(process.argv[1]);
    try {
      main = realpathSync(main);
    } catch { /* Node will report a missing entry itself */ }
    mainAs = { name: asPackage, root: main };
  }

  // What the runtime hands out must be captured from the start compartment before lockdown.
  const real = { global: globalThis, console, Date, Math, Error, process };
  lockdown({
    errorTaming: 'unsafe',
    stackFiltering: 'verbose',
    overrideTaming: 'severe',
    consoleTaming: 'unsafe',
    localeTaming: 'unsafe',
    domainTaming: 'unsafe',
    errorTrapping: 'none',
    unhandledRejectionTrapping: 'none',
    evalTaming: 'safe-eval',
  });

  const cacheDir = process.env.PACKSEC_NO_CACHE === '1' ? null : `${projectDir}/node_modules/.cache/packsec/run`;
  const runtime = new Runtime({ policy, projectDir, warn, reportFile: process.env.PACKSEC_REPORT || null, cacheDir }, real);
  runtime.mainAs = mainAs;
  const nodeRequire = createRequire(import.meta.url);
  runtime.builtinLoader = (m) => nodeRequire(`node:${m}`) as object;
  const nodeModule = nodeRequire('node:module') as { registerHooks?: (hooks: object) => unknown };
  const loader = new CommonJsLoader(runtime, typeof nodeModule.registerHooks === 'function');
  installWrappers(runtime, (filename, ctx, loc) => loader.requireFor(filename, ctx, loc));
  loader.install();

  Object.defineProperty(globalThis, KEY, {
    value: Object.freeze({
      context: (name: string) => runtime.context(name),
      builtin: (name: string, module: string) => runtime.builtin(runtime.context(name), module),
      named: (name: string, module: string) => runtime.namedExports(runtime.context(name), module),
      view: (value: unknown, owner: string, viewer: string) => exportsView(value, owner, viewer, runtime.monitor),
    }),
    enumerable: false,
    writable: false,
    configurable: false,
  });

  const mainAsUrl = mainAs ? { name: mainAs.name, url: pathToFileURL(mainAs.root).href, root: mainAs.root } : null;
  if (typeof nodeModule.registerHooks === 'function') {
    // Node 22.15+, 23.5+ and 24: hooks in this thread, sharing the runtime's policy, cache and monitor.
    nodeModule.registerHooks(syncHooks({ policy: runtime.policy, warn, report: (v) => runtime.monitor.record(v), mainAs: mainAsUrl, cache: runtime.cache }));
  } else {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (v: Omit<Violation, 'count'>) => runtime.monitor.record(v));
    port1.unref();
    register(new URL('./esm-hooks.js', import.meta.url), {
      data: { projectDir, warn, port: port2, cacheDir, mainAs: mainAsUrl },
      transferList: [port2],
    });
  }
}

start();
