// Replays one replica: first under plain npm and node (the attack must work, or stay dormant where
// documented), then under packsec, one probe per layer, each judged from what actually happened:
// npsm's review, which scripts ran, what the runtime denied, what check and npsx said, what the
// listeners received and what changed on disk.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerSpec, Observation, Replica } from './replica.js';
import { Sandbox, fill, folderDir, readJson, readTree, tempDir, write, type Listener, type RegistryProcess, type RunResult } from './world.js';

export interface World {
  root: string;
  npmCache: string;
  attacker: Listener;
  service: Listener;
  registry: RegistryProcess;
  gateway: RegistryProcess | null;
  /** The victim's tokens (npm user "victim"), valid on the public registry and on the gateway. */
  tokens: { registry: string; gateway: string };
  proofDir(folder: string): string;
  /** The placeholders of a replica's folder: where its packages send, where its stubs leave markers. */
  vars(folder: string): Record<string, string>;
}

export interface PlainResult {
  expected: 'attack' | 'dormant';
  effects: string[];
  ok: boolean;
  detail: string;
}

export interface LayerResult {
  layer: string;
  kind: LayerSpec['kind'];
  expect: 'stopped' | 'not-stopped';
  stopped: boolean;
  ok: boolean;
  detail: string;
}

export interface ReplicaResult {
  id: string;
  title: string;
  kind: Replica['kind'];
  plain: PlainResult;
  layers: LayerResult[];
  note?: string;
  ok: boolean;
  ms: number;
}

type Json = any;

/** The replica folder's home/ (stub programs under .local/bin) and its `home` files. */
function homeFiles(r: Replica): Record<string, string> {
  const dir = join(folderDir(r.folder), 'home');
  return { ...(existsSync(dir) ? readTree(dir) : {}), ...r.home };
}

function newSandbox(w: World, r: Replica, label: string): Sandbox {
  const credentials = r.credentials !== false;
  return new Sandbox(tempDir(`${r.id.replace(/[^a-z0-9-]/gi, '-')}-${label}-`, w.root), {
    registry: w.registry,
    ...(credentials ? { token: w.tokens.registry } : {}),
    npmCache: w.npmCache,
    project: {
      'package.json': { name: 'victim-app', version: '1.0.0', private: true, ...(r.app.description ? { description: r.app.description } : {}), dependencies: r.app.dependencies },
      ...Object.fromEntries(Object.entries(r.app.files).map(([k, v]) => [k, fill(v, w.vars(r.folder))])),
    },
    home: Object.fromEntries(Object.entries(homeFiles(r)).map(([k, v]) => [k, fill(v, w.vars(r.folder))])),
  });
}

/** Runs `fn` as one step: HOME and the proof folder start clean, and what the step caused is observed. */
async function step<T>(w: World, r: Replica, sb: Sandbox, fn: () => Promise<T>): Promise<{ value: T; effects: string[]; seen: Observation }> {
  sb.resetHome();
  const proof = w.proofDir(r.folder);
  rmSync(proof, { recursive: true, force: true });
  const before = sb.snapshot(sb.home);
  const marks = [w.attacker.requests.length, w.service.requests.length, sb.output.length];
  const watched = async () => (await Promise.all((r.watch ?? []).map(async (n) => (await versionsOf(w.registry.url, n)).map((v) => `${n}@${v}`)))).flat();
  const listed = await watched();
  const value = await fn();
  // Detached children (the miner, a payload's own runtime) may still be writing: give them a moment.
  await new Promise((done) => setTimeout(done, 300));
  const prefix = `/${r.folder}/`;
  const requests = [...w.attacker.requests.slice(marks[0]), ...w.service.requests.slice(marks[1])].filter((q) => q.path.startsWith(prefix));
  const o: Observation = {
    sb,
    requests,
    proofs: existsSync(proof) ? readdirSync(proof).sort() : [],
    homeChanged: Sandbox.changed(before, sb.snapshot(sb.home)),
    published: (await watched()).filter((v) => !listed.includes(v)),
    output: sb.output.slice(marks[2]).join('\n'),
  };
  return { value, effects: r.effects(o), seen: o };
}

function parseJson(res: RunResult): Json {
  try {
    return JSON.parse(res.stdout);
  } catch {
    return null;
  }
}

/** What denial lines were about, briefly: `os.homedir, connect to 127.0.0.1:4001, …`. */
function summarize(denials: string[], max = 4): string {
  const what = denials.map((d) => (/ may not (.*?)(?: — |$)/.exec(d)?.[1] ?? d).replace(/^use (?:builtin|global) "(.*)"$/, '$1'));
  return what.slice(0, max).join(', ') + (what.length > max ? `, +${what.length - max} more` : '');
}

const denialsIn = (text: string) => text.split('\n').filter((l) => /^packsec(?: \(warn\))?: /.test(l));
const short = (s: string, n = 150) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const failed = (what: string, res: RunResult) => `${what} exited ${res.code}: ${short(res.stderr.trim().split('\n').slice(-3).join(' | '), 300)}`;

async function plainRun(w: World, r: Replica): Promise<PlainResult> {
  const sb = newSandbox(w, r, 'plain');
  const expected = r.plain ?? 'attack';
  if (Object.keys(r.app.dependencies).length) {
    const base = await sb.npm(['install']);
    if (base.code !== 0) return { expected, effects: [], ok: false, detail: failed('npm install', base) };
  }
  const { value: problem, effects } = await step(w, r, sb, async () => {
    const up = await sb.npm(['install', ...r.update]);
    if (up.code !== 0) return failed(`npm install ${r.update.join(' ')}`, up);
    if (r.start) await sb.node(r.start.args, r.start.env);
    if (r.plainStart) await sb.node(r.plainStart.args, r.plainStart.env);
    return null;
  });
  if (problem) return { expected, effects, ok: false, detail: problem };
  const ok = expected === 'attack' ? effects.length > 0 : effects.length === 0;
  const detail = effects.length ? effects.join('; ') : expected === 'dormant' ? 'nothing happened (as in the real incident)' : 'nothing happened';
  return { expected, effects, ok, detail };
}

function packageReview(gate: Json, name: string): Json | undefined {
  return (gate?.review?.packages ?? []).find((p: Json) => p.name === name);
}

function judgeGate(layer: Extract<LayerSpec, { kind: 'capability-diff' | 'warning' }>, gate: Json): { stopped: boolean; detail: string } {
  if (!gate) return { stopped: false, detail: 'npsm printed no review' };
  const refused = gate.outcome === 'refused';
  if (layer.kind === 'capability-diff') {
    const p = packageReview(gate, layer.package);
    const gained: { capability: string; where?: string }[] = p?.gained ?? [];
    const missing = layer.gained.filter((re) => !gained.some((g) => re.test(g.capability)));
    const shown = gained.filter((g) => layer.gained.some((re) => re.test(g.capability)));
    const list = (gs: typeof gained) => gs.slice(0, 4).map((g) => g.capability).join(', ') + (gs.length > 4 ? `, +${gs.length - 4} more` : '');
    const what = p?.kind === 'added' ? `new package ${layer.package}@${(p.to ?? []).join(', ')} brings` : `${layer.package} gains`;
    if (refused && gained.length && !missing.length) return { stopped: true, detail: `refused: ${what} ${list(shown.length ? shown : gained)}` };
    if (!gained.length) return { stopped: false, detail: `${gate.outcome}: ${layer.package} gains no capability` };
    return { stopped: false, detail: `${gate.outcome}: gains ${list(gained)}${missing.length ? `; not shown: ${missing.map(String).join(', ')}` : ''}` };
  }
  const p = packageReview(gate, layer.package);
  const w = (p?.warnings ?? []).find((x: Json) => x.kind === layer.warning);
  if (!w) return { stopped: false, detail: `no ${layer.warning} warning for ${layer.package}` };
  const message = short(String(w.message));
  if (w.severity === 'block') return { stopped: refused, detail: `${refused ? 'refused' : gate.outcome}: ${message}` };
  return { stopped: true, detail: `warned: ${message}` };
}

/** The policy for a runtime probe: accepted or reviewed, with the package's install scripts allowed when the probe runs them. */
function probePolicy(layer: Extract<LayerSpec, { kind: 'runtime' }>, accepted: Json, reviewed: Json): Json {
  const policy = structuredClone(layer.policy === 'accepted' ? accepted : reviewed) ?? { version: 1, packages: {} };
  if (typeof layer.run === 'object') policy.packages[layer.run.scripts] = { ...policy.packages[layer.run.scripts], scripts: true };
  if (layer.edit) {
    const entry = { ...policy.packages[layer.edit.package] };
    for (const item of layer.edit.drop) {
      const [field, value] = item.split(/:(.*)/) as [string, string | undefined];
      if (value === undefined || !Array.isArray(entry[field])) delete entry[field];
      else entry[field] = entry[field].filter((v: unknown) => v !== value);
    }
    policy.packages[layer.edit.package] = entry;
  }
  return policy;
}

export async function runReplica(w: World, r: Replica): Promise<ReplicaResult> {
  const started = performance.now();
  const plain = await plainRun(w, r);
  const results: LayerResult[] = [];
  // Paths in what the table says are the sandbox's (project/app.js, tmp/…), not the run's temp folders.
  let sandboxRoot = '';
  const record = (layer: LayerSpec, stopped: boolean, detail: string) => {
    const expect = layer.expect ?? 'stopped';
    if (sandboxRoot) detail = detail.split(`${sandboxRoot}/`).join('');
    results.push({ layer: layer.layer, kind: layer.kind, expect, stopped, ok: stopped === (expect === 'stopped'), detail });
  };
  const fail = (layers: LayerSpec[], detail: string) => {
    for (const l of layers) if (!results.some((x) => x.layer === l.layer)) results.push({ layer: l.layer, kind: l.kind, expect: l.expect ?? 'stopped', stopped: false, ok: false, detail });
  };

  const sb = newSandbox(w, r, 'packsec');
  sandboxRoot = sb.root;
  const policyFile = join(sb.project, 'packsec.policy.json');
  try {
    // Day one: the team installs what the app depends on through npsm and commits the policy.
    // (An app without dependencies yet gets an empty policy from `packsec init`.)
    if (!Object.keys(r.app.dependencies).length) mkdirSync(join(sb.project, 'node_modules'));
    const base = Object.keys(r.app.dependencies).length ? await sb.packsec(['install', '--accept', '--json']) : await sb.packsec(['init']);
    if (base.code !== 0) throw new Error(failed('baseline install', base));
    const reviewed = readJson(policyFile);
    for (const [name, edit] of Object.entries(r.review ?? {})) reviewed.packages[name] = { ...reviewed.packages[name], ...edit };
    if (r.review) write(policyFile, reviewed);

    // The update, as npsm shows it: refused without --accept, and why.
    const gateLayers = r.layers.filter((l): l is Extract<LayerSpec, { kind: 'capability-diff' | 'warning' }> => l.kind === 'capability-diff' || l.kind === 'warning');
    if (gateLayers.length) {
      const res = await sb.packsec(['install', ...r.update, '--json']);
      const gate = parseJson(res);
      for (const l of gateLayers) {
        const j = judgeGate(l, gate);
        record(l, j.stopped, gate ? j.detail : failed('npsm install', res));
      }
    }
    const rest = r.layers.filter((l) => l.kind !== 'capability-diff' && l.kind !== 'warning');
    if (!rest.length) return finish();

    // The update accepted: it lands, and the scripts it brings do not run.
    const accepted = await step(w, r, sb, () => sb.packsec(['install', ...r.update, '--accept', '--json']));
    const installed = parseJson(accepted.value);
    if (!installed || !['installed', 'nothing-to-do'].includes(installed.outcome)) throw new Error(failed('npsm install --accept', accepted.value));
    for (const l of rest.filter((x) => x.kind === 'scripts-off')) {
      const skipped = (installed.scriptsSkipped ?? []).find((s: Json) => s.name === l.package);
      const stopped = skipped !== undefined && accepted.effects.length === 0;
      record(l, stopped, stopped
        ? `installed with --accept; ${l.package} ${skipped.events.join(', ')} not run; nothing happened`
        : accepted.effects.length ? `happened: ${accepted.effects.join('; ')}` : `${l.package} has no install script that was skipped`);
    }
    const acceptedPolicy = readJson(policyFile);

    for (const l of rest) {
      if (l.kind !== 'runtime') continue;
      write(policyFile, probePolicy(l, acceptedPolicy, reviewed));
      const probe = await step(w, r, sb, async () => {
        if (l.run === 'app') {
          const res = await sb.packsec(['run', ...r.start!.args], r.start!.env);
          return denialsIn(res.stderr);
        }
        const res = await sb.packsec(['install', 'rebuild', l.run.scripts, '--json']);
        const data = parseJson(res);
        const ran: Json[] = data?.ran ?? [];
        if (!ran.length) return [`(no script ran: ${short(JSON.stringify(data?.skipped ?? res.stderr))})`];
        return ran.flatMap((s) => [...(s.denials ?? []), ...denialsIn(s.output ?? '')]);
      });
      write(policyFile, acceptedPolicy);
      const denial = probe.value.find((d) => l.denial.test(d));
      // What the package may do must still work: the layer stops the attack, not the app.
      const kept = l.keeps === undefined || probe.seen.requests.some((q) => q.path.split('?')[0]!.endsWith(l.keeps!));
      const stopped = probe.effects.length === 0 && denial !== undefined && kept;
      record(l, stopped, probe.effects.length
        ? `happened: ${probe.effects.join('; ')}`
        : !kept ? `the app's own traffic (${l.keeps}) was stopped too`
        : !denial && l.expect === 'not-stopped' ? 'nothing happened and nothing was denied: the payload did not act here'
        : denial ? `denied: ${short(denial.replace(/^packsec: /, '').replace(/ — to allow.*/, ''))}${probe.value.length > 1 ? `; also ${summarize(probe.value.filter((d) => d !== denial))}` : ''}${l.keeps ? `; ${l.keeps} still reached` : ''}` : `nothing happened, but no denial matching ${l.denial} (${short(probe.value.join(' | ') || 'none')})`);
    }

    for (const l of rest) {
      if (l.kind !== 'integrity') continue;
      // The payload runs once outside packsec, in this very project.
      const tamper = await step(w, r, sb, () => l.tamper === 'app' ? sb.node(r.start!.args, r.start!.env) : sb.npm(['rebuild', l.tamper.scripts]));
      if (!tamper.effects.length) {
        record(l, false, 'the payload, run outside packsec, changed nothing: nothing to detect');
        continue;
      }
      const check = parseJson(await sb.packsec(['check', '--json']));
      const problems: Json[] = (check?.problems ?? []).filter((p: Json) => p.package === l.package);
      let refusal: string | undefined;
      if (l.tamper === 'app') {
        const res = await sb.packsec(['run', ...r.start!.args], r.start!.env);
        refusal = denialsIn(res.stderr).find((d) => d.includes(`"${l.package}" failed verification`));
      }
      const stopped = check?.ok === false && problems.length > 0 && (l.tamper !== 'app' || refusal !== undefined);
      const what = problems.slice(0, 2).map((p) => short(String(p.message), 110)).join('; ');
      record(l, stopped, stopped
        ? `packsec check: ${what}${refusal ? `; npsx refused to load ${l.package}` : ''}`
        : `not detected (check ${check?.ok === false ? 'failed on other packages' : 'passed'}${l.tamper === 'app' ? `, npsx ${refusal ? 'refused' : 'loaded it'}` : ''})`);
    }

    for (const l of rest) {
      if (l.kind !== 'approval') continue;
      record(l, ...(await approvalProbe(w, r, sb, l)));
    }
  } catch (err) {
    fail(r.layers, (err as Error).message);
  }
  return finish();

  function finish(): ReplicaResult {
    const ordered = r.layers.map((l) => results.find((x) => x.layer === l.layer)!).filter(Boolean);
    return {
      id: r.id, title: r.title, kind: r.kind, plain, layers: ordered, ...(r.note ? { note: r.note } : {}),
      ok: plain.ok && ordered.length === r.layers.length && ordered.every((x) => x.ok), ms: Math.round(performance.now() - started),
    };
  }
}

/** The worm runs outside packsec with the victim's gateway token; its publish must stay pending there. */
async function approvalProbe(w: World, r: Replica, sb: Sandbox, l: Extract<LayerSpec, { kind: 'approval' }>): Promise<[boolean, string]> {
  const gw = w.gateway;
  if (!gw) return [false, 'no approval gateway was started'];
  const before = await versionsOf(gw.url, l.package);
  await step(w, r, sb, () => sb.npm(['rebuild', l.scripts], { NPM_TOKEN: w.tokens.gateway, npm_config_registry: `${gw.url}/` }));
  const after = await versionsOf(gw.url, l.package);
  const res = await fetch(`${gw.url}/-/stage?package=${encodeURIComponent(l.package)}`, { headers: { authorization: `Bearer ${w.tokens.gateway}` } });
  const staged: Json[] = res.ok ? ((await res.json()) as Json).items ?? [] : [];
  const pending = staged.filter((s) => s.packageName === l.package && s.state === 'pending' && !before.includes(s.version));
  const leaked = after.filter((v) => !before.includes(v));
  if (leaked.length) return [false, `published: ${l.package}@${leaked.join(', ')} is installable`];
  if (!pending.length) return [false, `the worm's publish did not reach the gateway (staged: ${staged.length})`];
  return [true, `${pending.map((p) => `${l.package}@${p.version}`).join(', ')} pending approval: not in the packument, not installable`];
}

export async function versionsOf(registryUrl: string, name: string): Promise<string[]> {
  const res = await fetch(`${registryUrl}/${encodeURIComponent(name).replace('%40', '@')}`);
  if (!res.ok) return [];
  return Object.keys(((await res.json()) as Json).versions ?? {});
}
