// A gateway without HTTP for the approval tests: a registry on a DbStore with a clock the test moves,
// the approval service on the same database, and a stand-in for the WebAuthn layer (which verifies
// signatures and hands over Verified* values: here the tests make those values themselves).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import type { Db } from '../src/approval/db.js';
import { ApprovalError, ApprovalService, type ApprovalSettings, type Outcome, type Via } from '../src/approval/index.js';
import { addVersion, createTarball, createUserToken, DbStore, registryOn, RegistryError, type Registry, type RegistryStore } from '../src/registry/index.js';
import { backends, resetDb, type Backend } from './db-helpers.js';
import { tmpDir } from './registry-helpers.js';

export interface Gateway {
  svc: ApprovalService;
  reg: Registry<RegistryStore>;
  db: Db;
  /** The database's URL ('memory' for PGlite), to open a second gateway on PostgreSQL. */
  url: string;
  clock: { now: Date };
  advance(ms: number): void;
}

export interface Device {
  user: string;
  id: string;
  counter: number;
}

/** One database per backend and test file; `fresh()` empties it and starts a new gateway on it. */
export function gateways(): { backend: Backend; fresh(settings?: Partial<ApprovalSettings>): Promise<Gateway> }[] {
  return backends().map((backend) => {
    let opened: Awaited<ReturnType<Backend['open']>> | undefined;
    after(() => opened?.drop());
    return {
      backend,
      async fresh(settings = {}) {
        opened ??= await backend.open();
        await resetDb(opened.db);
        return gatewayOn(opened.db, opened.url, tmpDir('packsec-approval-'), settings);
      },
    };
  });
}

export function gatewayOn(db: Db, url: string, dataDir: string, settings: Partial<ApprovalSettings> = {}, clock = { now: new Date('2025-03-01T12:00:00.000Z') }): Gateway {
  const reg = registryOn(DbStore.on(dataDir, db), { approval: 'required', now: () => clock.now });
  return { svc: new ApprovalService(db, reg, settings), reg, db, url, clock, advance: (ms) => (clock.now = new Date(clock.now.getTime() + ms)) };
}

/** A registry user with a token. */
export async function user(g: Gateway, name: string): Promise<{ name: string; token: string; tokenKey: string }> {
  const made = await createUserToken(g.reg.store, name, { email: `${name}@example.com` });
  return { name, token: made.token, tokenKey: made.record.key };
}

/** Publishes name@version as `publisher` with their token, and opens its approval request. */
export async function publish(g: Gateway, publisher: { name: string; tokenKey: string }, name: string, version: string) {
  const tarball = createTarball({ 'package.json': JSON.stringify({ name, version }), 'index.js': `module.exports = '${version}';\n` });
  const added = await addVersion(g.reg, { name, version, manifest: { name, version }, tarball, tag: 'latest', npmUser: { name: publisher.name } });
  const request = await g.svc.openRequest(added.stageId!, { tokenKey: publisher.tokenKey });
  return { request, tarball, integrity: added.integrity };
}

/** Registers a WebAuthn device for `user` the way the WebAuthn layer would after verifying the attestation. */
export async function device(g: Gateway, name: string, session: Parameters<ApprovalService['devices']['registrationChallenge']>[1] = null): Promise<Device> {
  const c = await g.svc.devices.registrationChallenge(name, session);
  const id = randomBytes(20).toString('base64url');
  await g.svc.devices.addCredential({ userId: name, challengeId: c.challenge, credential: { id, publicKey: randomBytes(77), counter: 0, transports: ['internal'] }, userVerified: true });
  return { user: name, id, counter: 0 };
}

/** Asks for a challenge and answers it with `dev`, as the browser and the WebAuthn layer would. */
export async function vote(g: Gateway, dev: Device, requestId: string, purpose: 'approve' | 'reject' = 'approve', via: Via = {}): Promise<Outcome> {
  const { challenge, request } = await g.svc.challengeFor(requestId, dev.user, purpose, via);
  dev.counter += 1;
  const assertion = { userId: dev.user, credentialId: dev.id, challengeId: challenge, requestId, integrity: request.integrity, newCounter: dev.counter, userVerified: true };
  return purpose === 'approve' ? g.svc.approve(assertion, via) : g.svc.reject(assertion, via, 'not ours');
}

/** Asserts that `promise` fails with an ApprovalError or RegistryError of `code` (and a message matching `pattern`). */
export async function refused(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApprovalError || err instanceof RegistryError, String(err));
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}
