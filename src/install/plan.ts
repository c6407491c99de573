// What an install would change: npm's ideal tree (arborist) against what packsec last reviewed
// (the lock), copy by copy. Nothing is written here.
import type { Lock, LockRecord } from '../policy/index.js';
import { arborist, type ArbNode, type ArbTree, type Arborist, type NpmConfig } from './npm.js';

export type NpmCommand = 'install' | 'ci' | 'update' | 'uninstall';

export interface CopyChange {
  /** Install location, e.g. node_modules/a/node_modules/b (the lock's key). */
  location: string;
  /** The folder name, which is also the policy's key. */
  name: string;
  /** The name in the package's own manifest (differs for npm: aliases). */
  packageName: string;
  kind: 'added' | 'updated' | 'removed';
  from?: { version: string; integrity?: string };
  to?: { version: string; resolved: string | null; integrity: string | null; spec: string };
}

export interface InstallPlan {
  command: NpmCommand;
  arb: Arborist;
  ideal: ArbTree;
  /** Every package copy in the ideal tree (not links, not the root), by location. */
  nodes: Map<string, ArbNode>;
  changes: CopyChange[];
  /** Copies unchanged from what the lock recorded. */
  unchanged: number;
  /** Locations npm will write: not in node_modules now, or another version or tarball there. */
  landing: Set<string>;
}

/** The spec pacote fetches for a node: its resolved URL pinned by integrity, else name@version. */
export function specOf(node: ArbNode): string {
  // Registry copies are fetched by name and version (pacote is also given the resolved URL and the
  // integrity); git and URL dependencies by what npm resolved.
  if (!node.resolved || isRegistryTarball(node.resolved)) return `${node.packageName}@${node.version}`;
  return node.resolved;
}

export function isRegistryTarball(resolved: string): boolean {
  return /^https?:\/\/[^#?]*\/-\/[^/]+\.tgz$/.test(resolved);
}

function sameCopy(rec: LockRecord | undefined, node: ArbNode): boolean {
  if (!rec) return false;
  if (rec.version !== node.version || rec.name !== node.name) return false;
  // Integrity is what was reviewed: the same version with other bytes is a change.
  if (rec.integrity && node.integrity && rec.integrity !== node.integrity) return false;
  return true;
}

/**
 * Builds npm's ideal tree for the command and compares it with the reviewed state. Without a
 * packsec lock, the installed tree is the baseline only for what is in node_modules now and was
 * never reviewed: every copy counts as added.
 */
export async function planInstall(command: NpmCommand, config: NpmConfig, lock: Lock | null): Promise<InstallPlan> {
  try {
    return await plan(command, config, lock);
  } catch (err) {
    const e = err as Error & { code?: unknown };
    if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) {
      throw Object.assign(new Error(`npm could not resolve the tree: ${e.message} (${e.code})`), { code: 'NPM_ERROR' });
    }
    throw err;
  }
}

async function plan(command: NpmCommand, config: NpmConfig, lock: Lock | null): Promise<InstallPlan> {
  const arb = arborist({ ...config.flat, path: config.localPrefix, ignoreScripts: true, audit: false, fund: false });
  const args = config.positionals;
  let ideal: ArbTree;
  if (command === 'ci') {
    // `npm ci`: exactly the lockfile, which must agree with package.json.
    const virtual = await arb.loadVirtual().catch((err: Error) => {
      throw Object.assign(new Error(`npm ci needs a package-lock.json or npm-shrinkwrap.json: ${err.message}`), { code: 'NPM_CI_NO_LOCK' });
    });
    ideal = await arb.buildIdealTree({ ...config.flat });
    for (const [loc, node] of ideal.inventory) {
      const v = virtual.inventory.get(loc);
      if (!node.isRoot && (!v || v.version !== node.version)) {
        throw Object.assign(new Error(`package.json and the lockfile are out of sync at ${loc || '(root)'}: run npsm install to update the lockfile`), { code: 'NPM_CI_OUT_OF_SYNC' });
      }
    }
  } else if (command === 'update') {
    ideal = await arb.buildIdealTree({ ...config.flat, update: args.length ? { names: args } : { all: true } });
  } else if (command === 'uninstall') {
    ideal = await arb.buildIdealTree({ ...config.flat, rm: args });
  } else {
    ideal = await arb.buildIdealTree({ ...config.flat, add: args });
  }
  // `npm ci` removes node_modules before it writes: its arborist must not keep the tree it would remove.
  const reader = command === 'ci' ? arborist({ ...config.flat, path: config.localPrefix }) : arb;
  const actual = await reader.loadActual().catch(() => null);
  const nodes = new Map<string, ArbNode>();
  for (const [loc, node] of ideal.inventory) {
    if (node.isRoot || node.isLink || !loc.includes('node_modules/')) continue;
    // npm skips optional packages built for another platform (esbuild's @esbuild/*): so does the gate.
    if (node.optional && !fitsPlatform(node.package)) continue;
    nodes.set(loc, node);
  }
  const changes: CopyChange[] = [];
  let unchanged = 0;
  const records = lock?.packages ?? {};
  for (const [loc, node] of nodes) {
    const rec = records[loc];
    if (sameCopy(rec, node)) {
      unchanged++;
      continue;
    }
    const to = { version: node.version, resolved: node.resolved, integrity: node.integrity, spec: specOf(node) };
    if (rec && rec.name === node.name) {
      changes.push({ location: loc, name: node.name, packageName: node.packageName, kind: 'updated', from: { version: rec.version, ...(rec.integrity ? { integrity: rec.integrity } : {}) }, to });
    } else {
      changes.push({ location: loc, name: node.name, packageName: node.packageName, kind: 'added', to });
    }
  }
  for (const [loc, rec] of Object.entries(records)) {
    if (!nodes.has(loc)) changes.push({ location: loc, name: rec.name, packageName: rec.name, kind: 'removed', from: { version: rec.version } });
  }
  changes.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  const landing = new Set<string>();
  for (const [loc, node] of nodes) {
    const there = actual?.inventory.get(loc);
    if (command === 'ci' || !there || there.version !== node.version || (there.integrity && node.integrity && there.integrity !== node.integrity)) landing.add(loc);
  }
  return { command, arb, ideal, nodes, changes, unchanged, landing };
}

/** npm's os/cpu check: a list of allowed values, or of "!excluded" ones. */
export function fitsPlatform(manifest: Record<string, unknown>, platform: string = process.platform, arch: string = process.arch): boolean {
  const fits = (list: unknown, value: string): boolean => {
    if (!Array.isArray(list) || list.length === 0) return true;
    const values = list.filter((v): v is string => typeof v === 'string');
    if (values.includes(`!${value}`)) return false;
    const positive = values.filter((v) => !v.startsWith('!'));
    return positive.length === 0 || positive.includes(value) || positive.includes('any');
  };
  return fits(manifest.os, platform) && fits(manifest.cpu, arch);
}
