// Defence in depth: Node's own permission model, limited to the union of what the policy grants and
// what the app's own code uses. If the in-process containment were ever bypassed, a package still could
// not start a process, a worker or native code that nothing in the app needs.
import nodeModule from 'node:module';
import { parseBuiltinCapability, type PackagePolicy, type Policy } from '../policy/index.js';

export interface PermissionNeeds {
  childProcess: boolean;
  worker: boolean;
  addons: boolean;
  wasi: boolean;
}

function needsOf(entry: PackagePolicy, needs: PermissionNeeds): void {
  if (entry.trust === 'full') {
    needs.childProcess = needs.worker = needs.addons = needs.wasi = true;
    return;
  }
  for (const b of entry.builtins ?? []) {
    const { module, path } = parseBuiltinCapability(b);
    if (module === 'child_process' || module === 'cluster') needs.childProcess = true;
    if (module === 'worker_threads' && (path.length === 0 || path[0] === 'Worker')) needs.worker = true;
    if (module === 'wasi') needs.wasi = true;
    if (module === 'module' && path.length === 0) needs.addons = true;
  }
  for (const g of entry.globals ?? []) {
    if (g === 'process.dlopen') needs.addons = true;
    if (g === 'Worker') needs.worker = true;
  }
  if (entry.native) needs.addons = true;
}

/** What the process needs: every package's grants, and the app's own code (everything, when unknown). */
export function permissionNeeds(policy: Policy, app: PackagePolicy | undefined): PermissionNeeds {
  const needs: PermissionNeeds = { childProcess: false, worker: false, addons: false, wasi: false };
  for (const entry of Object.values(policy.packages)) needsOf(entry, needs);
  needsOf(app ?? { trust: 'full' }, needs);
  return needs;
}

/** The node flags. Files stay readable and writable: the app itself is not contained. */
export function permissionFlags(needs: PermissionNeeds, stable: boolean): string[] {
  // Node warns about every --allow-* flag (and, on 20, about the experimental model) on each start:
  // packsec chose them, so those warnings would only be noise in the app's stderr.
  const flags = [stable ? '--permission' : '--experimental-permission', '--allow-fs-read=*', '--allow-fs-write=*', '--disable-warning=SecurityWarning'];
  if (!stable) flags.push('--disable-warning=ExperimentalWarning');
  if (needs.childProcess) flags.push('--allow-child-process');
  // Without module.registerHooks (Node 20) packsec's own ES module hooks run in a worker thread: the
  // permission model cannot keep workers out then (packsec still grants Worker per package itself).
  if (needs.worker || typeof (nodeModule as { registerHooks?: unknown }).registerHooks !== 'function') flags.push('--allow-worker');
  if (needs.addons) flags.push('--allow-addons');
  if (needs.wasi) flags.push('--allow-wasi');
  return flags;
}

/** Node 22.13+ and 23.5+ have a stable --permission; Node 20 only the experimental one (with a warning). */
export function stablePermissionModel(): boolean {
  return process.allowedNodeEnvironmentFlags.has('--permission');
}
