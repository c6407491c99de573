// npm's staged-publishing protocol over HTTP: stage publish, list, view, reject, and approval through
// npm's web-auth flow (401 + WWW-Authenticate: OTP, authUrl, doneUrl polled until every group approved,
// then a one-time token that npm sends back in npm-otp). Tickets and tokens are sealed and bound.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueTicket, issueToken, readTicket, readToken, stageIdOf } from '../src/registry/approval-flow.js';
import { createUserToken, FileStore, settleVersion, startRegistry, type RunningRegistry } from '../src/registry/index.js';
import { call, publishBody } from './registry-client.js';
import { tmpDir } from './registry-helpers.js';

describe('registry: sealed web-auth tickets and tokens', () => {
  const key = Buffer.alloc(32, 7);
  const ref = { id: '2e744952-40f6-4a41-a688-9a7b2a1ede9c', name: 'a', version: '1.0.0', integrity: 'sha512-x', user: 'alice' };

  it('round-trips, and refuses tampering, the other purpose, another key and expiry', () => {
    const ticket = issueTicket(key, ref, 1000);
    assert.deepEqual(readTicket(key, ticket, 2000), ref);
    assert.equal(readToken(key, ticket, 2000), null, 'a ticket is not a token');
    assert.equal(readTicket(key, issueToken(key, ref, 1000), 2000), null, 'a token is not a ticket');
    assert.equal(readTicket(Buffer.alloc(32, 8), ticket, 2000), null);
    assert.equal(readTicket(key, ticket, 1000 + 25 * 3600 * 1000), null, 'expired');
    const [payload, mac] = ticket.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), user: 'mallory' })).toString('base64url');
    assert.equal(readTicket(key, `${forged}.${mac}`, 2000), null);
    for (const junk of ['', '.', 'abc', `${payload}.`, `.${mac}`, 'x'.repeat(5000)]) assert.equal(readTicket(key, junk, 2000), null);
  });

  it('reads stage ids dashed (as npm wants them) or compact (as URLs carry them, unredacted by npm)', () => {
    assert.equal(stageIdOf('2e74495240f64a41a6889a7b2a1ede9c'), ref.id);
    assert.equal(stageIdOf(ref.id.toUpperCase()), ref.id);
    for (const bad of ['', '..', '2e74495240f64a41a6889a7b2a1ede9', `${ref.id}/x`]) assert.equal(stageIdOf(bad), '');
  });
});

describe('registry: npm staged publishing over HTTP', () => {
  let reg: RunningRegistry;
  let data: string;
  let alice: string;
  let bob: string;
  let aliceRo: string;
  let clock = Date.parse('2026-05-01T10:00:00Z');
  const lines: string[] = [];
  before(async () => {
    data = tmpDir('packsec-reg-stage-');
    reg = await startRegistry({ dataDir: data, port: 0, now: () => new Date(clock), log: (l) => lines.push(l) });
    const store = new FileStore(data);
    alice = createUserToken(store, 'alice').token;
    bob = createUserToken(store, 'bob').token;
    aliceRo = createUserToken(store, 'alice', { readonly: true }).token;
  });
  after(() => reg.close());

  async function stage(name: string, version: string): Promise<string> {
    const r = await call(reg.url, 'POST', `/-/stage/package/${name.replace('/', '%2f')}`, { token: alice, body: publishBody(name, version) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.stageId as string;
  }

  it('stages with POST /-/stage/package/:name, even with approval off, and says where to approve', async () => {
    const r = await call(reg.url, 'POST', '/-/stage/package/@team%2fwidget', { token: alice, body: publishBody('@team/widget', '1.0.0') });
    assert.equal(r.status, 201);
    assert.match(r.body.stageId, /^[0-9a-f-]{36}$/);
    const page = `${reg.url}/-/approve/${r.body.stageId.replace(/-/g, '')}`;
    assert.equal(r.body.approveUrl, page);
    assert.ok(r.headers.get('npm-notice')!.includes(page), r.headers.get('npm-notice')!);
    assert.ok(r.headers.get('npm-notice')!.includes(`npm stage view|approve|reject ${r.body.stageId}`));
    assert.equal((await call(reg.url, 'GET', '/@team%2fwidget')).status, 404);
    assert.equal((await call(reg.url, 'POST', '/-/stage/package/@team%2fwidget', { body: publishBody('@team/widget', '1.0.1') })).status, 401);
    assert.equal((await call(reg.url, 'POST', '/-/stage/package/@team%2fwidget', { token: aliceRo, body: publishBody('@team/widget', '1.0.1') })).status, 403);
  });

  it('lists and views requests for maintainers only, by either spelling of the id', async () => {
    const id = await stage('listed', '1.0.0');
    const list = (await call(reg.url, 'GET', '/-/stage?package=listed&page=0&perPage=100', { token: alice })).body;
    assert.deepEqual(list.items.map((i: { id: string }) => i.id), [id]);
    assert.deepEqual(Object.keys(list.items[0]).sort(), ['actor', 'actorType', 'createdAt', 'id', 'integrity', 'packageName', 'shasum', 'state', 'tag', 'version']);
    assert.equal(list.items[0].createdAt, '2026-05-01T10:00:00.000Z');
    assert.equal((await call(reg.url, 'GET', `/-/stage/${id}`, { token: alice })).body.version, '1.0.0');
    assert.equal((await call(reg.url, 'GET', `/-/stage/${id.replace(/-/g, '')}`, { token: alice })).body.id, id);
    assert.equal((await call(reg.url, 'GET', `/-/stage/${id}`, { token: bob })).status, 404, 'not a maintainer: no such request');
    assert.equal((await call(reg.url, 'GET', `/-/stage/${id}`)).status, 401);
    assert.equal((await call(reg.url, 'GET', '/-/stage/not-a-uuid', { token: alice })).status, 404);
    assert.equal((await call(reg.url, 'GET', '/-/stage', { token: bob })).body.total, 0);
  });

  it('approves through the web-auth flow: 401 OTP, doneUrl 202 until approved, then a token npm retries with', async () => {
    const id = await stage('flow-lib', '1.0.0');
    const first = await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: alice });
    assert.equal(first.status, 401);
    assert.equal(first.headers.get('www-authenticate'), 'OTP');
    assert.equal(first.body.code, 'OTP_REQUIRED');
    const compact = id.replace(/-/g, '');
    assert.equal(first.body.authUrl, `${reg.url}/-/approve/${compact}`);
    assert.match(first.body.doneUrl, new RegExp(`^${reg.url}/-/stage/${compact}/done/[\\w-]+\\.[\\w-]+$`));
    assert.match(first.body.error, /approve flow-lib@1\.0\.0 at/);
    const doneUrl = first.body.doneUrl as string;
    const ticket = doneUrl.slice(doneUrl.lastIndexOf('/') + 1);

    const waiting = await fetch(doneUrl, { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(waiting.status, 202);
    assert.equal(waiting.headers.get('retry-after'), '1');
    assert.equal(((await waiting.json()) as { state: string }).state, 'pending');
    assert.equal((await fetch(doneUrl, { headers: { authorization: `Bearer ${bob}` } })).status, 403, 'another user\'s ticket');
    assert.equal((await fetch(doneUrl.replace(ticket, `${ticket.slice(0, -2)}AA`))).status, 404, 'a forged ticket');
    assert.equal((await fetch(doneUrl)).status, 202, 'the ticket alone may poll (curl)');

    assert.equal((await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: bob })).status, 404, 'a non-maintainer');
    assert.equal((await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: aliceRo })).status, 403, 'a read-only token');
    const badOtp = await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: alice, headers: { 'npm-otp': ticket } });
    assert.equal(badOtp.status, 401, 'the ticket is not the token');
    assert.match(badOtp.body.error, /one-time token is invalid or expired/);

    await settleVersion(data, 'flow-lib', '1.0.0', 'public');
    const ready = await fetch(doneUrl, { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(ready.status, 200);
    const { token } = (await ready.json()) as { token: string };
    assert.equal(typeof token, 'string');
    const approved = await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: alice, headers: { 'npm-otp': token } });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.deepEqual(approved.body, { ok: true, id, packageName: 'flow-lib', version: '1.0.0', state: 'public' });
    assert.equal((await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: bob, headers: { 'npm-otp': token } })).status, 404, 'the token is alice\'s');
    const other = await stage('flow-lib', '1.0.1');
    assert.equal((await call(reg.url, 'POST', `/-/stage/${other}/approve`, { token: alice, headers: { 'npm-otp': token } })).status, 401, 'the token is for one request');
    assert.equal((await call(reg.url, 'GET', '/flow-lib')).body['dist-tags'].latest, '1.0.0');

    clock += 11 * 60 * 1000;
    assert.equal((await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: alice, headers: { 'npm-otp': token } })).status, 404, 'an expired token');
    clock += 24 * 60 * 60 * 1000;
    assert.equal((await fetch(doneUrl)).status, 404, 'an expired ticket');
    assert.ok(!lines.some((l) => l.includes(ticket)), 'tickets never reach the log');
    assert.ok(lines.some((l) => l.includes(`/-/stage/${compact}/done/*** 200`)), lines.join('\n'));
  });

  it('rejects with DELETE /-/stage/:id: the tarball is discarded, the number burned, the poll answers 410', async () => {
    const id = await stage('doomed', '1.0.0');
    const { doneUrl } = (await call(reg.url, 'POST', `/-/stage/${id}/approve`, { token: alice })).body as { doneUrl: string };
    assert.equal((await call(reg.url, 'DELETE', `/-/stage/${id}`, { token: bob })).status, 404);
    assert.equal((await call(reg.url, 'DELETE', `/-/stage/${id}`, { token: aliceRo })).status, 403);
    const r = await call(reg.url, 'DELETE', `/-/stage/${id}`, { token: alice });
    assert.equal(r.status, 200);
    assert.equal(r.body.state, 'rejected');
    assert.ok(!existsSync(join(data, 'packages', 'doomed', 'doomed-1.0.0.tgz')));
    const gone = await fetch(doneUrl);
    assert.equal(gone.status, 410);
    assert.match(((await gone.json()) as { error: string }).error, /doomed@1\.0\.0 was rejected/);
    assert.equal((await call(reg.url, 'GET', `/-/stage/${id}`, { token: alice })).status, 404);
    assert.equal((await call(reg.url, 'DELETE', `/-/stage/${id}`, { token: alice })).status, 404);
    assert.equal((await call(reg.url, 'POST', '/-/stage/package/doomed', { token: alice, body: publishBody('doomed', '1.0.0') })).status, 403);
  });

  it('serves a plain approval page saying what would become public, with nothing that runs', async () => {
    const id = await stage('paged', '2.0.0');
    const res = await fetch(`${reg.url}/-/approve/${id.replace(/-/g, '')}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none'");
    const html = await res.text();
    assert.match(html, /Approve paged@2\.0\.0\?/);
    const item = (await call(reg.url, 'GET', `/-/stage/${id}`, { token: alice })).body;
    assert.ok(html.includes(item.integrity), 'shows the integrity');
    assert.ok(html.includes('alice'));
    assert.ok(!/<script/i.test(html));
    assert.equal((await fetch(`${reg.url}/-/approve/${id}`)).status, 200, 'the dashed id works too');
    assert.equal((await fetch(`${reg.url}/-/approve/00000000000000000000000000000000`)).status, 404);
    assert.equal((await fetch(`${reg.url}/-/approve/%3Cscript%3E`)).status, 404);
  });

  it('keeps secrets out of the log: npm logout\'s token', async () => {
    const t = createUserToken(new FileStore(data), 'carol').token;
    assert.equal((await call(reg.url, 'DELETE', `/-/user/token/${t}`, { token: t })).status, 200);
    assert.ok(!lines.some((l) => l.includes(t)), 'the token is not logged');
    assert.ok(lines.some((l) => l.includes('DELETE /-/user/token/*** 200')));
  });
});
