// Granted exports that would otherwise reach past containment get contained replacements:
// module.createRequire gives the package's own require, child processes inherit the runtime (so a
// child `node` runs contained too), and workers may only run the package's own files.
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageOfPath, type PackageLocation } from './packages.js';
import type { PackageContext, Runtime } from './runtime.js';

/**
 * The environment a contained package's child process (or worker) gets: its own, plus what keeps it
 * contained. PACKSEC_AS_PACKAGE makes the child's entry run as that package, wherever the file is.
 */
export function containedEnv(env: NodeJS.ProcessEnv | undefined, real: NodeJS.ProcessEnv, asPackage: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...(env ?? real) };
  out.PACKSEC_AS_PACKAGE = asPackage;
  // The package's own env may not set these (PACKSEC_VERIFY=0 would turn verification off in the child).
  for (const k of ['PACKSEC_PROJECT', 'PACKSEC_WARN', 'PACKSEC_NO_CACHE', 'PACKSEC_VERIFY']) {
    if (real[k] !== undefined) out[k] = real[k];
    else delete out[k];
  }
  const mine = real.PACKSEC_NODE_OPTIONS ?? '';
  if (mine) {
    out.PACKSEC_NODE_OPTIONS = mine;
    out.NODE_OPTIONS = out.NODE_OPTIONS?.includes(mine) ? out.NODE_OPTIONS : `${mine} ${out.NODE_OPTIONS ?? ''}`.trim();
  }
  return out;
}

function isOptions(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Gives a child_process call an options argument whose env keeps the child contained. */
function withContainedEnv(args: unknown[], style: 'spawn' | 'exec', real: NodeJS.ProcessEnv, asPackage: string): unknown[] {
  const out = [...args];
  // spawn(cmd, [args], options) / exec(cmd, options, callback)
  const at = style === 'spawn' && Array.isArray(out[1]) ? 2 : 1;
  const current = out[at];
  if (isOptions(current)) {
    const env = (current as { env?: unknown }).env;
    if (env === undefined || isOptions(env)) out[at] = { ...current, env: containedEnv(env as NodeJS.ProcessEnv | undefined, real, asPackage) };
  } else if (current === undefined || current === null || typeof current === 'function') {
    if (current === null) out.splice(at, 1);
    out.splice(at, 0, { env: containedEnv(undefined, real, asPackage) });
  }
  return out;
}

const CHILD_FUNCTIONS: Record<string, 'spawn' | 'exec'> = {
  spawn: 'spawn', spawnSync: 'spawn', execFile: 'spawn', execFileSync: 'spawn', fork: 'spawn', exec: 'exec', execSync: 'exec',
};

export function installWrappers(runtime: Runtime, requireFor: (filename: string, ctx: PackageContext, loc: PackageLocation) => NodeJS.Require): void {
  const realEnv = runtime.real.process.env;
  runtime.wrapExport = (ctx, module, path, value) => {
    const guarded = runtime.guardExport(ctx, module, path, value);
    if (guarded !== undefined) return guarded;
    if (typeof value !== 'function') return value;
    const fn = value as (...a: unknown[]) => unknown;
    if (module === 'child_process' && CHILD_FUNCTIONS[path] !== undefined) {
      const style = CHILD_FUNCTIONS[path]!;
      return function (this: unknown, ...args: unknown[]) {
        return fn.apply(this, withContainedEnv(args, style, realEnv, ctx.grants.name));
      };
    }
    if (module === 'module' && path === 'createRequire') {
      return (from: string | URL) => {
        const filename = typeof from === 'string' && from.startsWith('file:') ? fileURLToPath(from) : from instanceof URL ? fileURLToPath(from) : resolvePath(String(from));
        // eslint makes one for the working folder to find formatters: that is fine, as long as what it
        // loads is checked. Outside the package's own folder it has no folder, so only packages load.
        const loc = packageOfPath(filename);
        return requireFor(filename, ctx, loc?.name === ctx.grants.name ? loc : { name: ctx.grants.name, root: '\0' });
      };
    }
    if (module === 'worker_threads' && path === 'Worker') {
      const Real = fn as unknown as new (...a: unknown[]) => object;
      return class Worker extends Real {
        constructor(file: string | URL, options?: Record<string, unknown>) {
          if (options?.eval) {
            runtime.monitor.deny({ package: ctx.grants.name, kind: 'unsupported', capability: 'worker_threads.Worker', detail: 'a Worker from a string of code (eval: true) cannot be contained' });
          }
          const filename = file instanceof URL || String(file).startsWith('file:') ? fileURLToPath(file) : resolvePath(String(file));
          const loc = packageOfPath(filename);
          if (!loc || loc.name !== ctx.grants.name) {
            runtime.monitor.deny({ package: ctx.grants.name, kind: 'file', capability: filename, detail: `a Worker running ${filename}, outside its own folder` });
          }
          const env = options?.env;
          super(file, env === undefined || isOptions(env) ? { ...options, env: containedEnv(env as NodeJS.ProcessEnv | undefined, realEnv, ctx.grants.name) } : options);
        }
      };
    }
    return value;
  };
}
