// What a replica is, as data: the packages it publishes (with the publish times and provenance the
// defences depend on), the victim's app, how to tell that the attack happened, and which layers of
// packsec are expected to stop it. The probes (probes.ts) find out what actually happens.
import type { Recorded, Sandbox } from './world.js';

/** One published version: a folder under the replica's packages/ holding package.json and files. */
export interface PackageSpec {
  dir: string;
  /** The folder of the version it updates: its files are published too, unless `dir` replaces them. */
  base?: string;
  /** How long before the run it was published: '400d', '3h', '20m'. */
  age: string;
  /** The registry lists a provenance attestation for it (a stand-in: see examples/attacks/README.md). */
  provenance?: boolean;
  /** The account that published it (default "maintainer"). */
  npmUser?: string;
  /** Also publish it to the approval gateway (where the worm replicas try to publish). */
  gateway?: boolean;
  /** Changes the files (addresses already filled in) before publishing: encrypting a payload. */
  build?: (files: Record<string, string>, vars: Record<string, string>) => void;
}

/** What the probes saw during one step, for a replica's `effects` to judge. */
export interface Observation {
  sb: Sandbox;
  /** Requests that reached the attacker's and the services' listeners for this replica during the step. */
  requests: Recorded[];
  /** Markers the stub programs (miner, trufflehog, AI CLIs) left in the replica's proof folder. */
  proofs: string[];
  /** Files of HOME changed, added or removed during the step. */
  homeChanged: string[];
  /** Versions (`name@version`) of the replica's watched packages that appeared on the public registry. */
  published: string[];
  /** What the commands of the step printed (stdout and stderr). */
  output: string;
}

export type Expectation = 'stopped' | 'not-stopped';

interface LayerBase {
  /** The layer as the table names it. */
  layer: string;
  /** Default 'stopped'; the negative controls document what packsec does not stop. */
  expect?: Expectation;
}

/** `npsm install <update>` without --accept: the review refuses it, for the capabilities it gains. */
export interface CapabilityDiffLayer extends LayerBase {
  kind: 'capability-diff';
  package: string;
  /** Capabilities the review must show as gained (`builtins:fs.readFileSync`, `net:127.0.0.1:*`, `packages:x`). */
  gained: RegExp[];
}

/** `npsm install <update>` without --accept: a warning of this kind on this package. */
export interface WarningLayer extends LayerBase {
  kind: 'warning';
  package: string;
  warning: string;
}

/** `npsm install <update> --accept`: the update lands, its install scripts do not run. */
export interface ScriptsOffLayer extends LayerBase {
  kind: 'scripts-off';
  package: string;
}

/**
 * The update accepted, then its code run under packsec: the app with `npsx`, or the package's install
 * scripts allowed and run contained (`npsm rebuild`). `policy`: 'accepted' keeps what the accepted
 * review recorded (so only what inference could not see is denied); 'reviewed' is the policy committed
 * before the update (a reviewer turned down the new lines of packsec.policy.json).
 */
export interface RuntimeLayer extends LayerBase {
  kind: 'runtime';
  policy: 'accepted' | 'reviewed';
  run: 'app' | { scripts: string };
  /** A denial the run must report. */
  denial: RegExp;
  /** A request to the services' listener (path suffix) the run must still make: what the package is allowed to do keeps working. */
  keeps?: string;
  /**
   * Changes the package's policy entry before the run: what a reviewer struck out of the accepted one,
   * as fields (`globals`) or single grants (`globals:process.env`).
   */
  edit?: { package: string; drop: string[] };
}

/**
 * The payload run once outside packsec (plain node or plain npm in the same project), as happens on a
 * machine where one command bypassed it; then `packsec check` and `npsx` must notice the changed files.
 */
export interface IntegrityLayer extends LayerBase {
  kind: 'integrity';
  tamper: 'app' | { scripts: string };
  /** The package whose installed files the payload changes. */
  package: string;
}

/** A worm's `npm publish` with the stolen token, against packsec's registry with approval required. */
export interface ApprovalLayer extends LayerBase {
  kind: 'approval';
  /** The worm's install scripts, run outside packsec, with the victim's token for the gateway. */
  scripts: string;
  /** The package the worm republishes. */
  package: string;
}

export type LayerSpec = CapabilityDiffLayer | WarningLayer | ScriptsOffLayer | RuntimeLayer | IntegrityLayer | ApprovalLayer;

export interface Replica {
  /** Unique id (the folder name, or folder:variant). */
  id: string;
  /** The folder under examples/attacks/ with README.md, packages/ and serve/. */
  folder: string;
  title: string;
  /** What the table's plain column says when the attack worked, e.g. "npm token sent". */
  kind: 'attack' | 'control';
  packages: PackageSpec[];
  /** The victim's project: package.json fields and files (app.js …). */
  app: { description?: string; dependencies: Record<string, string>; files: Record<string, string> };
  /** Packages whose new versions on the public registry count as the attack's doing (a worm's republish). */
  watch?: string[];
  /** Extra files in HOME, on top of the standard fake secrets and the folder's home/ (placeholders filled in). */
  home?: Record<string, string>;
  /** false: a machine without credentials (no token in ~/.npmrc, no NPM_TOKEN/GITHUB_TOKEN). */
  credentials?: boolean;
  /** Hand edits the team made to the policy after the first install (kept by later installs), per package. */
  review?: Record<string, Record<string, unknown>>;
  /** The update's `npm install` arguments. */
  update: string[];
  /** How the app runs after the update (node under plain npm, npsx under packsec); none: install-time only. */
  start?: { args: string[]; env?: NodeJS.ProcessEnv };
  /** Under plain npm/node: 'attack' (default) means the attack must be seen to work; 'dormant' that it stays quiet. */
  plain?: 'attack' | 'dormant';
  /** A second plain run that shows the attack where Node never does (chalk/debug: a simulated browser). */
  plainStart?: { args: string[]; env?: NodeJS.ProcessEnv };
  /** What the attack did, judged from what was observed; empty when nothing happened. */
  effects(o: Observation): string[];
  layers: LayerSpec[];
  /** Said in the table's notes for this replica. */
  note?: string;
}

/** Secrets the requests carried, one line per request: the standard "what was stolen" effect. */
export function leaks(o: Observation): string[] {
  const out: string[] = [];
  for (const r of o.requests) {
    const found = o.sb.secretsIn(`${r.path}\n${JSON.stringify(r.headers)}\n${r.body}`);
    if (found.length) out.push(`${found.join(', ')} sent to ${r.method} ${r.path.split('?')[0]}`);
  }
  return out;
}

/** Requests to a path (ignoring the query): a fetched payload, a call to a fake API. */
export function fetched(o: Observation, suffix: string): boolean {
  return o.requests.some((r) => r.path.split('?')[0]!.endsWith(suffix));
}
