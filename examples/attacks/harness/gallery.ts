// Sets up the world every replica shares (listeners, one public registry, the approval gateway when a
// replica needs it), publishes each replica's packages with their publish times and provenance, and
// replays the replicas, two at a time.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { seedPackage } from '../../../src/registry/index.js';
import { runReplica, type ReplicaResult, type World } from './probes.js';
import type { PackageSpec, Replica } from './replica.js';
import { Listener, RegistryProcess, cliPath, fill, folderDir, readTree, run, tempDir } from './world.js';

export interface GalleryOptions {
  /** Only these replica ids (or folders). */
  only?: string[];
  /** Replicas replayed at once (default 2). */
  jobs?: number;
  /** Keep the temporary folders (for looking at what happened). */
  keep?: boolean;
  onResult?: (r: ReplicaResult) => void;
}

export interface GalleryReport {
  results: ReplicaResult[];
  ok: boolean;
  ms: number;
  root: string;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export function publishTime(age: string, now = Date.now()): Date {
  const m = /^(\d+)([mhd])$/.exec(age);
  if (!m) throw new Error(`bad package age ${JSON.stringify(age)}: expected e.g. 30m, 3h, 400d`);
  return new Date(now - Number(m[1]) * UNITS[m[2]!]!);
}

// A provenance attestation as the registry lists it. It stands in for a Sigstore bundle, which cannot be
// made without Sigstore's servers: packsec reads that the registry lists provenance, and says it cannot
// verify this one (see examples/attacks/README.md).
const STAND_IN_ATTESTATION = {
  predicateType: 'https://slsa.dev/provenance/v1',
  bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', standIn: 'replica: not a real Sigstore bundle' },
};

async function publish(dataDir: string, folder: string, spec: PackageSpec, vars: Record<string, string>): Promise<void> {
  // A version folder holds what differs from its base version: files that replace the base's, and
  // `<file>.append` for what is appended to one (where a payload was added to an existing file).
  const files = spec.base ? readTree(join(folderDir(folder), 'packages', spec.base)) : {};
  for (const [rel, text] of Object.entries(readTree(join(folderDir(folder), 'packages', spec.dir)))) {
    if (rel.endsWith('.append')) files[rel.slice(0, -'.append'.length)] = (files[rel.slice(0, -'.append'.length)] ?? '') + text;
    else files[rel] = text;
  }
  for (const k of Object.keys(files)) files[k] = fill(files[k]!, vars);
  spec.build?.(files, vars);
  const manifest = JSON.parse(files['package.json']!) as { name: string; version: string };
  const user = { name: spec.npmUser ?? 'maintainer', email: `${spec.npmUser ?? 'maintainer'}@example.invalid` };
  await seedPackage(dataDir, {
    name: manifest.name, version: manifest.version, files, time: publishTime(spec.age), npmUser: user, maintainers: [user],
    ...(spec.provenance ? { attestations: [STAND_IN_ATTESTATION] } : {}),
  });
}

async function makeToken(dataDir: string): Promise<string> {
  const res = await run(process.execPath, [cliPath, 'registry', 'token', '--data', dataDir, '--user', 'victim', '--email', 'victim@example.invalid'], { cwd: dataDir, env: { ...process.env, NO_COLOR: '1' } });
  if (res.code !== 0) throw new Error(`packsec registry token: ${res.stderr}`);
  return res.stdout.trim();
}

export async function runGallery(replicas: Replica[], options: GalleryOptions = {}): Promise<GalleryReport> {
  const started = performance.now();
  const chosen = options.only?.length ? replicas.filter((r) => options.only!.some((o) => o === r.id || o === r.folder)) : replicas;
  const root = tempDir('packsec-attacks-');
  const attacker = new Listener();
  const service = new Listener();
  await attacker.start();
  await service.start();
  const publicData = join(root, 'registry');
  const gatewayData = join(root, 'gateway');
  const needsGateway = chosen.some((r) => r.layers.some((l) => l.kind === 'approval'));
  const proofDir = (folder: string) => join(root, 'proof', folder);

  const vars = (folder: string) => ({ ATTACKER: `${attacker.origin}/${folder}`, SERVICE: `${service.origin}/${folder}`, PROOF: proofDir(folder) });
  const published = new Set<string>();
  for (const r of chosen) {
    const v = vars(r.folder);
    for (const spec of r.packages) {
      if (published.has(`${r.folder}/${spec.dir}`)) continue;
      published.add(`${r.folder}/${spec.dir}`);
      await publish(publicData, r.folder, spec, v);
      if (spec.gateway && needsGateway) await publish(gatewayData, r.folder, spec, v);
    }
    const serve = join(folderDir(r.folder), 'serve');
    // Payloads, stubs and fake APIs answer on both listeners (an attacker's server, a service the package uses).
    if (existsSync(serve)) {
      for (const [rel, text] of Object.entries(readTree(serve))) for (const l of [attacker, service]) l.serve(`/${r.folder}/${rel}`, fill(text, v));
    }
  }
  const tokens = { registry: await makeToken(publicData), gateway: needsGateway ? await makeToken(gatewayData) : '' };
  const registry = new RegistryProcess(publicData, ['--approval', 'off']);
  const gateway = needsGateway ? new RegistryProcess(gatewayData, ['--approval', 'required']) : null;
  const results: ReplicaResult[] = [];
  try {
    await Promise.all([registry.start(), gateway?.start()]);
    const world: World = { root, npmCache: join(root, 'npm-cache'), attacker, service, registry, gateway, tokens, proofDir, vars };
    // Replicas of one folder share packages and a proof folder: they run one after the other.
    const queues = [...new Set(chosen.map((r) => r.folder))].map((f) => chosen.filter((r) => r.folder === f));
    const worker = async () => {
      for (let q = queues.shift(); q; q = queues.shift()) {
        for (const r of q) {
          const result = await runReplica(world, r);
          results.push(result);
          options.onResult?.(result);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 2) }, worker));
  } finally {
    await Promise.all([registry.stop(), gateway?.stop(), attacker.stop(), service.stop()]);
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
  const order = (r: ReplicaResult) => chosen.findIndex((c) => c.id === r.id);
  results.sort((a, b) => order(a) - order(b));
  return { results, ok: results.length === chosen.length && results.every((r) => r.ok), ms: Math.round(performance.now() - started), root };
}
