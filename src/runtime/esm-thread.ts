// ESM containment in Node's loader thread (module.register; Node 20, and 22 before 22.15): the same
// hook core as in the main thread, with its own policy, cache and verified loading, reporting
// violations to the main thread's monitor through a port.
import type { MessagePort } from 'node:worker_threads';
import { nodePowers } from '../analyze/powers.js';
import { emptyPolicy, readPolicy } from '../policy/index.js';
import { CodeCache } from './code-cache.js';
import { HookCore, type HookOptions, type LoadContext, type Loaded, type ResolveContext, type Resolved } from './esm-hooks.js';
import { Integrity } from './integrity.js';
import { LockView } from './lock-view.js';
import { RuntimePolicy } from './policy.js';
import { transformSource } from './transform.js';

interface ThreadData {
  projectDir: string;
  warn: boolean;
  port: MessagePort;
  mainAs: HookOptions['mainAs'];
  cacheDir: string | null;
  /** The project's real folder when loads are verified, else null. */
  verifyIn: string | null;
}

let core: HookCore | null = null;

export function initialize(data: ThreadData): void {
  core = new HookCore({
    policy: new RuntimePolicy(readPolicy(data.projectDir) ?? emptyPolicy(), data.projectDir),
    warn: data.warn,
    report: (v) => data.port.postMessage(v),
    mainAs: data.mainAs,
    // Imported statically: Node 20's hooks thread cannot finish an import() while it serves a hook.
    cache: new CodeCache(data.cacheDir, transformSource),
    integrity: data.verifyIn ? new Integrity(new LockView(data.verifyIn, nodePowers), nodePowers, (v) => core!.deny(v)) : null,
  });
}

export async function resolve(specifier: string, context: ResolveContext, next: (s: string, c?: ResolveContext) => Promise<Resolved>): Promise<Resolved> {
  const pre = core!.preResolve(specifier, context);
  if ('done' in pre) return pre.done;
  return core!.postResolve(specifier, await next(...pre.next), pre.parent, context.parentURL);
}

export async function load(url: string, context: LoadContext, next: (u: string, c?: LoadContext) => Promise<Loaded>): Promise<Loaded> {
  const pre = core!.preLoad(url);
  if (pre && 'format' in pre) return pre;
  if (pre) return core!.postLoad(url, await next(pre.data, context), new URL(url).searchParams.get('p'));
  return core!.postLoad(url, await next(url, context), null);
}
