// The run-time entry point, loaded with --import before the app (or imported by `packsec run` itself,
// as preamble.js?in-process, which then starts the app with runMain): the one place that calls SES
// lockdown(). It reads the policy named by the environment `packsec run` sets, freezes the shared
// intrinsics, and installs the CommonJS and ESM containment.
import * as acorn from 'acorn';
import { realpathSync, writeSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, MessageChannel } from 'node:worker_threads';
import { readPolicy } from '../policy/index.js';
import { CommonJsLoader } from './cjs.js';
import { runCached } from './code-cache.js';
import { fixErrorDisplay } from './error-display.js';
import { exportsView } from './exports-view.js';
import { installWrappers } from './wrappers.js';
import { syncHooks } from './esm-hooks.js';
import { Runtime } from './runtime.js';
import { startWorkersContained } from './workers.js';
import type { Violation } from './denial.js';

declare const lockdown: (options: Record<string, string>) => void;
declare const harden: <T>(value: T) => T;

const KEY = Symbol.for('packsec.runtime');
const IN_PROCESS = new URL(import.meta.url).search === '?in-process';

/**
 * Whether this process was started with modules that load before the runtime and could import() later
 * (--require, --import, loaders), or with ES modules as the default.
 */
function userPreloads(): boolean {
  const options = (process.env.NODE_OPTIONS ?? '').replace(process.env.PACKSEC_NODE_OPTIONS ?? '', '');
  return [...process.execArgv, ...options.split(/\s+/)].some((a) => /^(-r|--require|--import|--loader|--experimental-loader|--experimental-default-type)(=|$)/.test(a));
}

type VerifiedLoading = typeof import('./verified-cjs.js');

function start(verified: VerifiedLoading | null): ((entry: string) => void) | null {
  if ((globalThis as Record<symbol, unknown>)[KEY]) return null; // already contained (a second --import)
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

  const cacheDir = process.env.PACKSEC_NO_CACHE === '1' ? null : `${projectDir}/node_modules/.cache/packsec/run`;
  // SES's single-file bundle (importing its ES module source tree, about 100 files, is slower to start),
  // with a code cache: it is the largest script every run compiles.
  const ses = runCached(createRequire(import.meta.url).resolve('ses'), cacheDir);
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
  ses.saveCache();
  // The parser the transform relies on: when packsec is installed in the app, node_modules/acorn can be
  // this very module instance, reachable by any package granted acorn. Nobody may change it.
  for (const value of Object.values(acorn)) {
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) harden(value);
  }
  // Node 20 would print every error as {} now (before packages get their copies of the console).
  fixErrorDisplay(console, process, (text) => writeSync(2, text));

  const runtime = new Runtime({ policy, projectDir, warn, reportFile: process.env.PACKSEC_REPORT || null, cacheDir }, real);
  runtime.mainAs = mainAs;
  const realProjectDir = realpathSync(projectDir);
  const integrity = verified?.startVerifiedLoading(realProjectDir, (v) => runtime.monitor.deny(v)) ?? null;
  runtime.integrity = integrity;
  const nodeRequire = createRequire(import.meta.url);
  runtime.builtinLoader = (m) => nodeRequire(`node:${m}`) as object;
  const nodeModule = nodeRequire('node:module') as { registerHooks?: (hooks: object) => unknown; runMain(main?: string): void };
  const inThread = typeof nodeModule.registerHooks === 'function';
  const mainAsUrl = mainAs ? { name: mainAs.name, url: pathToFileURL(mainAs.root).href, root: mainAs.root } : null;
  let hooked = false;
  const esm = {
    requireHooked: inThread,
    need: (): void => {
      if (hooked) return;
      hooked = true;
      if (inThread) {
        // Node 22.15+, 23.5+ and 24: hooks in this thread, sharing the runtime's policy, cache and monitor.
        nodeModule.registerHooks!(syncHooks({ policy: runtime.policy, warn, report: (v) => runtime.monitor.record(v), mainAs: mainAsUrl, cache: runtime.cache, integrity }));
        return;
      }
      const { port1, port2 } = new MessageChannel();
      port1.on('message', (v: Omit<Violation, 'count'>) => runtime.monitor.record(v));
      port1.unref();
      register(new URL('./esm-thread.js', import.meta.url), {
        data: { projectDir, warn, port: port2, cacheDir, mainAs: mainAsUrl, verifyIn: integrity ? realProjectDir : null },
        transferList: [port2],
      });
    },
  };
  const loader = new CommonJsLoader(runtime, esm);
  installWrappers(runtime, (filename, ctx, loc) => loader.requireFor(filename, ctx, loc));
  loader.install();
  // Started by `packsec run` in its own process, this process had no --import for Workers to inherit.
  const importFlag = IN_PROCESS ? process.env.PACKSEC_NODE_OPTIONS || null : null;
  if (importFlag || integrity) startWorkersContained(importFlag, integrity);

  Object.defineProperty(globalThis, KEY, {
    value: Object.freeze({
      // An ES module's context: `root` is its package's folder, from the module's own URL (the hooks' doing).
      context: (name: string, root?: string) => {
        const ctx = runtime.context(name);
        if (typeof root === 'string' && root) runtime.reach.noteLoaded(name, root);
        return ctx;
      },
      builtin: (name: string, module: string) => runtime.builtin(runtime.context(name), module),
      named: (name: string, module: string) => runtime.namedExports(runtime.context(name), module),
      view: (value: unknown, owner: string, viewer: string) => exportsView(value, owner, viewer, runtime.monitor),
    }),
    enumerable: false,
    writable: false,
    configurable: false,
  });

  // Node 20's hooks run in a thread of their own that takes tens of milliseconds to start. When this
  // process starts the app itself, with nothing loaded before it, every way to an ES module passes the
  // CommonJS loader first (the entry, import() in code it compiles, require of an ES module), so the
  // hooks start only when one of those needs them. Anywhere else they start now.
  if (inThread || !IN_PROCESS || userPreloads()) esm.need();
  // A main file named by its path in node_modules must be the locked one, however links lead.
  if (!IN_PROCESS && isMainThread && process.argv[1]) integrity?.checkEntry(resolve(process.argv[1]));
  return (entry) => {
    integrity?.checkEntry(entry);
    try {
      nodeModule.runMain(entry);
    } finally {
      // An entry Node runs as an ES module never reached the CommonJS loader: Node has only resolved it
      // so far, and loads it after this returns, through the hooks.
      if (!loader.mainCompiled) esm.need();
    }
  };
}

// On unless `packsec run --no-verify` (or no lock) said otherwise; then the lock must be there. Its
// modules load only then: every module costs start-up time.
const started = start(process.env.PACKSEC_VERIFY !== '0' ? await import('./verified-cjs.js') : null);

/** Runs the app's entry point (for `packsec run` in its own process). */
export function runMain(entry: string): void {
  if (!started) throw new Error('packsec: the runtime was started elsewhere in this process');
  started(entry);
}
