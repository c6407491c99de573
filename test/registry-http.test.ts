// The registry over HTTP, in process: npm's protocol (publish, packuments, tarballs, dist-tags, users,
// tokens), signatures, pending versions, the upstream proxy, and refusals of bad input; on every store
// (JSON files, the embedded database, PostgreSQL when configured: registry-stores.ts).
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  addAdvisory, createTarball, createUserToken, hashPassword, openStore, readTarball, seedPackage, setVersionState, startRegistry, verifySignature,
  type RegistryStore,
} from '../src/registry/index.js';
import { runCliAsync } from './helpers.js';
import { call, publishBody, raw, sri } from './registry-client.js';
import { tmpDir } from './registry-helpers.js';
import { snapshot, startOn, storeKinds, type Started } from './registry-stores.js';

const kinds = storeKinds();

for (const kind of kinds) describe(`registry (${kind.name}): publish and read`, () => {
  let reg: Started;
  let data: string;
  let store: RegistryStore;
  let alice: string;
  let bob: string;
  before(async () => {
    reg = await startOn(kind, { port: 0, limits: { maxTarballBytes: 64 * 1024, maxUnpackedBytes: 4 * 1024 * 1024 } });
    data = reg.dataDir;
    store = reg.registry.store;
    alice = (await createUserToken(store, 'alice', { email: 'alice@example.com' })).token;
    bob = (await createUserToken(store, 'bob')).token;
  });
  after(() => reg.close());

  it('answers ping and serves its key in npm\'s format', async () => {
    assert.deepEqual((await call(reg.url, 'GET', '/-/ping')).body, {});
    const { body } = await call(reg.url, 'GET', '/-/npm/v1/keys');
    assert.equal(body.keys.length, 1);
    const key = body.keys[0];
    assert.deepEqual(Object.keys(key).sort(), ['expires', 'key', 'keyid', 'keytype', 'scheme']);
    assert.equal(key.expires, null);
    assert.equal(key.keytype, 'ecdsa-sha2-nistp256');
    assert.equal(key.scheme, 'ecdsa-sha2-nistp256');
    assert.equal(key.keyid, `SHA256:${createHash('sha256').update(Buffer.from(key.key, 'base64')).digest('base64')}`);
    assert.equal(key.keyid, reg.keyid);
  });

  it('publishes, and serves the full and the abbreviated packument with signed dist', async () => {
    const body = publishBody('left-pad', '1.0.0', { manifest: { scripts: { postinstall: 'node x.js' }, dependencies: { a: '^1.0.0' } } });
    const put = await call(reg.url, 'PUT', '/left-pad', { token: alice, body });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const full = (await call(reg.url, 'GET', '/left-pad')).body;
    assert.equal(full.name, 'left-pad');
    assert.deepEqual(full['dist-tags'], { latest: '1.0.0' });
    assert.equal(full.description, 'left-pad test');
    assert.ok(full.time.created && full.time.modified && full.time['1.0.0']);
    assert.deepEqual(full.maintainers, [{ name: 'alice', email: 'alice@example.com' }]);
    const v = full.versions['1.0.0'];
    assert.deepEqual(v._npmUser, { name: 'alice', email: 'alice@example.com' });
    assert.equal(v.dist.integrity, body.versions['1.0.0']!.dist.integrity);
    assert.equal(v.dist.shasum, body.versions['1.0.0']!.dist.shasum);
    assert.equal(v.dist.tarball, `${reg.url}/left-pad/-/left-pad-1.0.0.tgz`);
    assert.equal(v.hasInstallScript, true);
    // npm's check (pacote lib/registry.js): ECDSA-SHA256 over `${_id}:${integrity}` with the PEM of the key.
    const keys = (await call(reg.url, 'GET', '/-/npm/v1/keys')).body.keys;
    const [sig] = v.dist.signatures;
    assert.equal(sig.keyid, keys[0].keyid);
    const pem = `-----BEGIN PUBLIC KEY-----\n${keys[0].key}\n-----END PUBLIC KEY-----`;
    assert.ok(verify('sha256', Buffer.from(`left-pad@1.0.0:${v.dist.integrity}`), createPublicKey(pem), Buffer.from(sig.sig, 'base64')));
    assert.ok(verifySignature(keys[0], 'left-pad', '1.0.0', v.dist.integrity, sig.sig));
    assert.ok(!verifySignature(keys[0], 'left-pad', '1.0.1', v.dist.integrity, sig.sig));

    const corgi = await call(reg.url, 'GET', '/left-pad', { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' });
    assert.match(corgi.headers.get('content-type')!, /application\/vnd\.npm\.install-v1\+json/);
    assert.deepEqual(Object.keys(corgi.body).sort(), ['dist-tags', 'modified', 'name', 'versions']);
    const cv = corgi.body.versions['1.0.0'];
    assert.deepEqual(cv.dependencies, { a: '^1.0.0' });
    assert.equal(cv.scripts, undefined);
    assert.equal(cv.hasInstallScript, true);
    assert.deepEqual(cv.dist.signatures, v.dist.signatures);

    const tgz = await fetch(v.dist.tarball);
    assert.equal(tgz.status, 200);
    assert.equal(sri(Buffer.from(await tgz.arrayBuffer())), v.dist.integrity);
    assert.equal((await call(reg.url, 'GET', '/left-pad/1.0.0')).body.version, '1.0.0');
    assert.equal((await call(reg.url, 'GET', '/left-pad/latest')).body.version, '1.0.0');
    const etag = corgi.headers.get('etag')!;
    const again = await fetch(`${reg.url}/left-pad`, { headers: { accept: 'application/vnd.npm.install-v1+json', 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  it('serves scoped packages under both URL spellings', async () => {
    const body = publishBody('@acme/util', '2.0.0');
    const put = await call(reg.url, 'PUT', '/@acme%2futil', { token: alice, body });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const a = (await call(reg.url, 'GET', '/@acme%2futil')).body;
    const b = (await call(reg.url, 'GET', '/@acme/util')).body;
    assert.deepEqual(a, b);
    assert.equal(a.versions['2.0.0'].dist.tarball, `${reg.url}/@acme/util/-/util-2.0.0.tgz`);
    assert.equal((await fetch(a.versions['2.0.0'].dist.tarball)).status, 200);
    assert.equal((await fetch(`${reg.url}/@acme%2futil/-/util-2.0.0.tgz`)).status, 200);
    for (const path of ['/@acme%2futil/2.0.0', '/@acme%2Futil/latest', '/@acme/util/2.0.0', '/@acme/util/latest']) {
      assert.equal((await call(reg.url, 'GET', path)).body._id, '@acme/util@2.0.0', path);
    }
    assert.deepEqual((await call(reg.url, 'GET', '/-/package/@acme%2futil/dist-tags')).body, { latest: '2.0.0' });
    assert.deepEqual((await call(reg.url, 'GET', '/-/package/@acme/util/dist-tags')).body, { latest: '2.0.0' });
  });

  it('refuses to publish over an existing version (403), and non-maintainers (403)', async () => {
    const again = await call(reg.url, 'PUT', '/left-pad', { token: alice, body: publishBody('left-pad', '1.0.0', { manifest: { description: 'changed' } }) });
    assert.equal(again.status, 403);
    assert.match(again.body.error, /cannot publish over the previously published versions: 1\.0\.0/);
    const byBob = await call(reg.url, 'PUT', '/left-pad', { token: bob, body: publishBody('left-pad', '1.0.1') });
    assert.equal(byBob.status, 403);
    assert.match(byBob.body.error, /bob is not a maintainer of left-pad/);
  });

  it('requires a valid token to write, and says why', async () => {
    const none = await call(reg.url, 'PUT', '/fresh', { body: publishBody('fresh', '1.0.0') });
    assert.equal(none.status, 401);
    const bad = await call(reg.url, 'PUT', '/fresh', { token: 'npsec_nope', body: publishBody('fresh', '1.0.0') });
    assert.equal(bad.status, 401);
    assert.match(bad.body.error, /invalid or revoked token/);
    assert.equal((await call(reg.url, 'GET', '/-/whoami', { token: 'npsec_nope' })).status, 401);
    assert.deepEqual((await call(reg.url, 'GET', '/-/whoami', { token: alice })).body, { username: 'alice' });
    const ro = (await createUserToken(store, 'alice', { readonly: true })).token;
    const readonly = await call(reg.url, 'PUT', '/fresh', { token: ro, body: publishBody('fresh', '1.0.0') });
    assert.equal(readonly.status, 403);
    assert.match(readonly.body.error, /read-only/);
    assert.equal((await call(reg.url, 'GET', '/fresh')).status, 404);
  });

  it('checks the tarball against the manifest and stores nothing on a mismatch', async () => {
    const before = await snapshot(reg);
    const other = createTarball({ 'package.json': JSON.stringify({ name: 'evil', version: '1.0.0' }) });
    const cases: [unknown, number, RegExp][] = [
      [publishBody('mismatch', '1.0.0', { integrity: sri(Buffer.from('something else')) }), 400, /integrity is sha512-/],
      [publishBody('mismatch', '1.0.0', { tarball: other }), 400, /its package\.json says evil@1\.0\.0/],
      [publishBody('mismatch', '1.0.0', { tarball: Buffer.from('not a tarball') }), 400, /not a gzip file/],
      [publishBody('mismatch', '1.0.0', { tarball: gzipSync(Buffer.alloc(2048)) }), 400, /no package\.json/],
      [publishBody('mismatch', '1.0.0', { tarball: gzipSync(Buffer.alloc(10 * 1024 * 1024)) }), 413, /tarball is \d+ bytes; the limit is 65536|unpacks to more/],
      [{ ...publishBody('mismatch', 'one'), versions: { one: { name: 'mismatch', version: 'one' } } }, 400, /invalid version/],
      [publishBody('other-name', '1.0.0'), 400, /the document is for other-name/],
      [{ ...publishBody('mismatch', '1.0.0'), _attachments: { '../../../etc/passwd': { data: 'AAAA' } } }, 400, /unexpected attachment/],
      [{ ...publishBody('mismatch', '1.0.0'), _attachments: { 'mismatch-1.0.0.tgz': { data: '!!!' } } }, 400, /not base64/],
      [publishBody('mismatch', '1.0.0', { tag: '1.x' }), 400, /invalid dist-tag/],
    ];
    for (const [body, status, message] of cases) {
      const r = await call(reg.url, 'PUT', '/mismatch', { token: alice, body });
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.error, message);
    }
    assert.deepEqual(await snapshot(reg), before);
  });

  it('refuses bad names, traversal, garbage and oversized bodies with JSON errors, and keeps serving', async () => {
    const before = await snapshot(reg);
    for (const path of ['/%2e%2e', '/../../etc/passwd', '/left-pad/-/../../../registry.json', '/@acme/../../x']) {
      const answer = await raw(reg.url, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 (400|404)/, path);
      assert.match(answer, /"error":/, path);
    }
    for (const path of ['/..%2f..%2fetc%2fpasswd', '/Upper', '/@acme', '/left-pad/-/..%2frecord.json', '/left-pad/-/record.json', '/%E0%A4%A', '/-/package/..%2f..%2fx/dist-tags']) {
      const r = await call(reg.url, 'GET', path);
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      assert.equal(typeof r.body.error, 'string', path);
    }
    const json = await call(reg.url, 'PUT', '/left-pad', { token: alice, raw: '{"name": ' });
    assert.equal(json.status, 400);
    assert.match(json.body.error, /not valid JSON/);
    const arr = await call(reg.url, 'PUT', '/left-pad', { token: alice, raw: '[1,2]' });
    assert.equal(arr.status, 400);
    const huge = await call(reg.url, 'PUT', '/left-pad', { token: alice, raw: Buffer.alloc(8 * 1024 * 1024, 0x20) });
    assert.equal(huge.status, 413);
    assert.match(await raw(reg.url, 'THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(await raw(reg.url, 'GET / HTTP/1.1\r\ncontent-length: x\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.equal((await call(reg.url, 'GET', '/-/ping')).status, 200);
    assert.deepEqual(await snapshot(reg), before);
  });

  it('manages dist-tags, and refuses tags on missing versions and removing latest', async () => {
    await call(reg.url, 'PUT', '/left-pad', { token: alice, body: publishBody('left-pad', '1.1.0-beta.1', { tag: 'beta' }) });
    assert.deepEqual((await call(reg.url, 'GET', '/-/package/left-pad/dist-tags')).body, { latest: '1.0.0', beta: '1.1.0-beta.1' });
    assert.equal((await call(reg.url, 'PUT', '/-/package/left-pad/dist-tags/next', { token: alice, body: '1.0.0' })).status, 201);
    assert.equal((await call(reg.url, 'PUT', '/-/package/left-pad/dist-tags/next', { token: alice, body: '9.9.9' })).status, 404);
    assert.equal((await call(reg.url, 'PUT', '/-/package/left-pad/dist-tags/next', { token: bob, body: '1.0.0' })).status, 403);
    assert.equal((await call(reg.url, 'DELETE', '/-/package/left-pad/dist-tags/latest', { token: alice })).status, 403);
    assert.equal((await call(reg.url, 'DELETE', '/-/package/left-pad/dist-tags/next', { token: alice })).status, 200);
    assert.deepEqual((await call(reg.url, 'GET', '/-/package/left-pad/dist-tags')).body, { latest: '1.0.0', beta: '1.1.0-beta.1' });
  });

  it('deprecates and changes owners through PUT, and refuses unpublishing', async () => {
    const doc = (await call(reg.url, 'GET', '/left-pad?write=true')).body;
    doc.versions['1.0.0'].deprecated = 'use 2';
    assert.equal((await call(reg.url, 'PUT', '/left-pad', { token: alice, body: doc })).status, 200);
    assert.equal((await call(reg.url, 'GET', '/left-pad')).body.versions['1.0.0'].deprecated, 'use 2');
    const owners = await call(reg.url, 'PUT', `/left-pad/-rev/${doc._rev}`, { token: alice, body: { _id: 'left-pad', _rev: doc._rev, maintainers: [{ name: 'alice' }, { name: 'bob' }] } });
    assert.equal(owners.status, 200);
    assert.deepEqual((await call(reg.url, 'GET', '/left-pad')).body.maintainers.map((m: { name: string }) => m.name), ['alice', 'bob']);
    const unpublish = { ...doc, versions: {} };
    const r = await call(reg.url, 'PUT', '/left-pad', { token: alice, body: unpublish });
    assert.equal(r.status, 403);
    assert.match(r.body.error, /unpublishing is not supported/);
    assert.equal((await call(reg.url, 'DELETE', `/left-pad/-rev/${doc._rev}`, { token: alice })).status, 403);
  });

  it('serializes concurrent publishes: every version lands, a duplicate wins once', async () => {
    const versions = Array.from({ length: 12 }, (_, i) => `3.0.${i}`);
    const results = await Promise.all(versions.map((v) => call(reg.url, 'PUT', '/busy', { token: alice, body: publishBody('busy', v) })));
    assert.deepEqual(results.map((r) => r.status), versions.map(() => 201));
    assert.deepEqual(Object.keys((await call(reg.url, 'GET', '/busy')).body.versions).sort(), [...versions].sort());
    const same = await Promise.all([1, 2, 3, 4].map(() => call(reg.url, 'PUT', '/busy', { token: alice, body: publishBody('busy', '4.0.0') })));
    assert.deepEqual(same.map((r) => r.status).sort(), [201, 403, 403, 403]);
  });

  it('hands out tokens from the CLI while the server runs', async () => {
    // The embedded database is open in the server alone: the command asks it over its admin socket.
    const database = kind.name === 'postgres' ? ['--database', reg.databaseArg] : [];
    const r = await runCliAsync(['registry', 'token', '--data', data, ...database, '--user', 'carol', '--json'], data);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.user, 'carol');
    assert.equal(out.userCreated, true);
    assert.deepEqual((await call(reg.url, 'GET', '/-/whoami', { token: out.token })).body, { username: 'carol' });
    const bad = await runCliAsync(['registry', 'token', '--data', data, ...database, '--user', '../x'], data);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid user name "\.\.\/x"/);
  });

  it('lists, creates and revokes tokens; logout revokes the token in use', async () => {
    const t = (await createUserToken(store, 'dave')).token;
    const list = (await call(reg.url, 'GET', '/-/npm/v1/tokens', { token: t })).body;
    assert.equal(list.total, 1);
    assert.equal(list.objects[0].token, t.slice(0, 12));
    assert.equal((await call(reg.url, 'POST', '/-/npm/v1/tokens', { token: t, body: { password: 'x', readonly: false } })).status, 401);
    const second = (await createUserToken(store, 'dave')).token;
    const key = createHash('sha256').update(second).digest('hex');
    assert.equal((await call(reg.url, 'DELETE', `/-/npm/v1/tokens/token/${key}`, { token: t })).status, 204);
    assert.equal((await call(reg.url, 'GET', '/-/whoami', { token: second })).status, 401);
    assert.equal((await call(reg.url, 'DELETE', `/-/user/token/${t}`, { token: t })).status, 200);
    assert.equal((await call(reg.url, 'GET', '/-/whoami', { token: t })).status, 401);
    assert.ok(!JSON.stringify(await snapshot(reg)).includes(t.slice(6)), 'tokens are stored hashed');
  });

  it('keeps a granular token to its packages and scopes, and an expired token out', async () => {
    const database = kind.name === 'postgres' ? ['--database', reg.databaseArg] : [];
    const made = await runCliAsync(['registry', 'token', '--data', data, ...database, '--user', 'alice', '--packages', 'left-pad,@granted', '--expires', '30', '--json'], data);
    assert.equal(made.code, 0, made.stderr);
    const { token, packages, expiresAt } = JSON.parse(made.stdout) as { token: string; packages: string[]; expiresAt: string };
    assert.deepEqual(packages, ['@granted', 'left-pad']);
    assert.ok(Date.parse(expiresAt) > Date.now() + 29 * 86_400_000);
    // Its own package, and a new one in its scope: allowed.
    assert.equal((await call(reg.url, 'PUT', '/left-pad', { token, body: publishBody('left-pad', '1.1.0') })).status, 201);
    assert.equal((await call(reg.url, 'PUT', '/@granted%2fnew', { token, body: publishBody('@granted/new', '1.0.0') })).status, 201);
    // Anything else alice may write: refused for this token, before anything is stored.
    const before = await snapshot(reg);
    for (const [path, name] of [['/other-pkg', 'other-pkg'], ['/@acme%2futil', '@acme/util'], ['/@granted-not%2fx', '@granted-not/x']] as const) {
      const put = await call(reg.url, 'PUT', path, { token, body: publishBody(name, '9.0.0') });
      assert.equal(put.status, 403, name);
      assert.match(put.body.error, new RegExp(`this token may write only @granted, left-pad, not ${name.replace('/', '\\/')}`));
    }
    const tag = await call(reg.url, 'PUT', '/-/package/@acme%2futil/dist-tags/next', { token, body: '2.0.0' });
    assert.equal(tag.status, 403);
    assert.deepEqual(await snapshot(reg), before);
    // Reading is not limited.
    assert.equal((await call(reg.url, 'GET', '/@acme%2futil', { token })).status, 200);

    const expired = await createUserToken(store, 'alice');
    await store.writeToken({ ...expired.record, expiresAt: new Date(Date.now() - 1000).toISOString() });
    const late = await call(reg.url, 'GET', '/-/whoami', { token: expired.token });
    assert.equal(late.status, 401);
    assert.match(late.body.error, /the token expired at /);

    const bad = await runCliAsync(['registry', 'token', '--data', data, ...database, '--user', 'alice', '--packages', 'ok,../evil'], data);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /packages\[1\]: expected a package name or @scope, got "\.\.\/evil"/);
  });

  it('makes granular tokens as npm token create asks for them', async () => {
    await store.createUser({ name: 'erin', password: await hashPassword('erin-password'), createdAt: new Date().toISOString() });
    const create = (body: Record<string, unknown>) => call(reg.url, 'POST', '/-/npm/v1/tokens', { basic: 'erin:erin-password', body: { password: 'erin-password', ...body } });
    const made = await create({ name: 'ci', packages: ['erin-lib'], scopes: ['@erin'], packages_and_scopes_permission: 'read-write', expires: 7 });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.packages, made.body.scopes], [['erin-lib'], ['@erin']]);
    assert.ok(made.body.expires);
    assert.equal((await call(reg.url, 'PUT', '/erin-lib', { token: made.body.token, body: publishBody('erin-lib', '1.0.0') })).status, 201);
    assert.equal((await call(reg.url, 'PUT', '/erin-other', { token: made.body.token, body: publishBody('erin-other', '1.0.0') })).status, 403);
    const listed = (await call(reg.url, 'GET', '/-/npm/v1/tokens', { token: made.body.token })).body.objects;
    assert.deepEqual(listed.map((t: { scopes?: string[] }) => t.scopes), [['@erin']]);
    const readOnly = await create({ packages: ['erin-lib'], packages_and_scopes_permission: 'read-only' });
    assert.equal(readOnly.body.readonly, true);
    assert.equal((await create({ orgs: ['acme'] })).status, 501);
    assert.equal((await create({ packages: ['../x'] })).status, 400);
    assert.equal((await create({ expires: 0 })).status, 400);
  });

  it('lets only its maintainers publish new packages in a scope', async () => {
    // alice published @acme/util earlier: @acme is hers.
    const byBob = await call(reg.url, 'PUT', '/@acme%2fbobs', { token: bob, body: publishBody('@acme/bobs', '1.0.0') });
    assert.equal(byBob.status, 403);
    assert.match(byBob.body.error, /bob may not publish in @acme: it belongs to the maintainers of @acme\/util/);
    assert.equal((await call(reg.url, 'PUT', '/@bobs-own%2fx', { token: bob, body: publishBody('@bobs-own/x', '1.0.0') })).status, 201, 'a new scope is claimed');
    const doc = (await call(reg.url, 'GET', '/@acme%2futil')).body;
    const owners = await call(reg.url, 'PUT', `/@acme%2futil/-rev/${doc._rev}`, { token: alice, body: { _id: '@acme/util', _rev: doc._rev, maintainers: [{ name: 'alice' }, { name: 'bob' }] } });
    assert.equal(owners.status, 200, JSON.stringify(owners.body));
    assert.equal((await call(reg.url, 'PUT', '/@acme%2fbobs', { token: bob, body: publishBody('@acme/bobs', '1.0.0') })).status, 201, 'a maintainer in the scope may');
  });

  it('searches hosted packages', async () => {
    const r = (await call(reg.url, 'GET', '/-/v1/search?text=left')).body;
    assert.deepEqual(r.objects.map((o: { package: { name: string } }) => o.package.name), ['left-pad']);
  });
});

for (const kind of kinds) describe(`registry (${kind.name}): users (legacy CouchDB login)`, () => {
  it('refuses sign-up unless enabled, then hashes passwords with scrypt and logs in', async () => {
    const closed = await startOn(kind, { port: 0 });
    const body = { _id: 'org.couchdb.user:erin', name: 'erin', password: 'correct horse', email: 'erin@example.com', type: 'user', roles: [] };
    const refused = await call(closed.url, 'PUT', '/-/user/org.couchdb.user:erin', { body });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error, /sign-up is disabled/);
    await closed.close();
    const open = await startRegistry({ dataDir: closed.dataDir, database: closed.databaseArg, port: 0, signup: true });
    try {
      const created = await call(open.url, 'PUT', '/-/user/org.couchdb.user:erin', { body });
      assert.equal(created.status, 201);
      assert.match(created.body.token, /^npsec_/);
      const stored = (await open.registry.store.readUser('erin'))!;
      assert.match(stored.password ?? '', /^scrypt\$16384\$8\$1\$/);
      assert.ok(!JSON.stringify(stored).includes('correct horse'));
      const login = await call(open.url, 'PUT', '/-/user/org.couchdb.user:erin', { body: { ...body, email: undefined } });
      assert.equal(login.status, 201);
      assert.deepEqual((await call(open.url, 'GET', '/-/whoami', { token: login.body.token })).body, { username: 'erin' });
      const wrong = await call(open.url, 'PUT', '/-/user/org.couchdb.user:erin', { body: { ...body, password: 'wrong password' } });
      assert.equal(wrong.status, 401);
      assert.deepEqual((await call(open.url, 'GET', '/-/whoami', { basic: 'erin:correct horse' })).body, { username: 'erin' });
      assert.equal((await call(open.url, 'GET', '/-/whoami', { basic: 'erin:nope' })).status, 401);
      const user = (await call(open.url, 'GET', '/-/user/org.couchdb.user:erin')).body;
      assert.deepEqual(user, { _id: 'org.couchdb.user:erin', name: 'erin', email: 'erin@example.com', type: 'user', roles: [] });
      assert.equal((await call(open.url, 'PUT', '/-/user/org.couchdb.user:..%2fx', { body: { ...body, name: '../x' } })).status, 400);
    } finally {
      await open.close();
    }
  });
});

for (const kind of kinds) describe(`registry (${kind.name}): pending versions (approval required)`, () => {
  it('keeps a pending version out of packuments, dist-tags and downloads until it is settled', async () => {
    const reg = await startOn(kind, { port: 0, approval: 'required', gate: 'version-state' });
    const data = reg.dataDir;
    const settle = (name: string, version: string, state: 'public' | 'rejected') => setVersionState(reg.registry, name, version, state);
    try {
      const store = reg.registry.store;
      const alice = (await createUserToken(store, 'alice')).token;
      const bob = (await createUserToken(store, 'bob')).token;
      const gatedBody = publishBody('gated', '1.0.0');
      const put = await call(reg.url, 'PUT', '/gated', { token: alice, body: gatedBody });
      assert.equal(put.status, 201);
      assert.equal(put.body.pending, true);
      assert.match(put.headers.get('npm-notice')!, /gated@1\.0\.0 is pending approval/);
      assert.equal((await call(reg.url, 'GET', '/gated')).status, 404);
      assert.equal((await call(reg.url, 'GET', '/gated/1.0.0')).status, 404);
      assert.equal((await call(reg.url, 'GET', '/-/package/gated/dist-tags')).status, 404);
      assert.equal((await fetch(`${reg.url}/gated/-/gated-1.0.0.tgz`)).status, 404);
      assert.ok(existsSync(join(data, 'packages', 'gated', 'gated-1.0.0.tgz')), 'the tarball is kept for review');

      const list = (await call(reg.url, 'GET', '/-/stage', { token: alice })).body;
      assert.equal(list.total, 1);
      const item = list.items[0];
      assert.equal(item.packageName, 'gated');
      assert.equal(item.version, '1.0.0');
      assert.equal(item.actor, 'alice');
      assert.equal(item.tag, 'latest');
      assert.equal(item.id, put.body.stageId);
      assert.equal((await call(reg.url, 'GET', '/-/stage', { token: bob })).body.total, 0, 'only maintainers see requests');
      assert.equal((await call(reg.url, 'GET', `/-/stage/${item.id}`, { token: alice })).body.integrity, gatedBody.versions['1.0.0']!.dist.integrity);
      const staged = await fetch(`${reg.url}/-/stage/${item.id}/tarball`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(staged.status, 200);
      const approve = await call(reg.url, 'POST', `/-/stage/${item.id}/approve`, { token: alice });
      assert.equal(approve.status, 401, 'approval goes through the web-auth flow');
      assert.equal(approve.headers.get('www-authenticate'), 'OTP');
      assert.equal(approve.body.authUrl, `${reg.url}/-/approve/${item.id.replace(/-/g, '')}`);

      await settle('gated', '1.0.0', 'public');
      const doc = (await call(reg.url, 'GET', '/gated')).body;
      assert.deepEqual(doc['dist-tags'], { latest: '1.0.0' });
      assert.equal(doc.versions['1.0.0'].dist.signatures[0].keyid, reg.keyid);
      assert.equal((await fetch(doc.versions['1.0.0'].dist.tarball)).status, 200);
      assert.equal((await call(reg.url, 'GET', '/-/stage', { token: alice })).body.total, 0);

      const second = await call(reg.url, 'PUT', '/gated', { token: alice, body: publishBody('gated', '1.1.0') });
      assert.equal(second.body.pending, true);
      await settle('gated', '1.1.0', 'rejected');
      assert.equal((await call(reg.url, 'GET', '/gated')).body['dist-tags'].latest, '1.0.0');
      assert.ok(!existsSync(join(data, 'packages', 'gated', 'gated-1.1.0.tgz')), 'a rejected tarball is discarded');
      const reuse = await call(reg.url, 'PUT', '/gated', { token: alice, body: publishBody('gated', '1.1.0') });
      assert.equal(reuse.status, 403, 'a rejected version number stays burned');
      await assert.rejects(settle('gated', '1.0.0', 'rejected'), /is public, not pending/);
    } finally {
      await reg.close();
    }
  });
});

for (const kind of kinds) describe(`registry (${kind.name}): seeding`, () => {
  it('writes packages with chosen times, publishers, provenance and deprecations', async () => {
    const reg = await startOn(kind, { port: 0 });
    const data = reg.registry;
    const bundle = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: { payload: Buffer.from('{}').toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [] } };
    await seedPackage(data, { name: 'old-lib', version: '1.0.0', time: '2019-05-01T10:00:00.000Z', npmUser: { name: 'maint', email: 'm@example.com' }, repository: { type: 'git', url: 'git+https://github.com/x/old-lib.git' }, attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle }] });
    await seedPackage(data, { name: 'old-lib', version: '1.0.1', time: '2019-06-01T10:00:00.000Z', npmUser: { name: 'intruder', email: 'i@example.com' }, deprecated: 'do not use', scripts: { postinstall: 'node steal.js' }, files: { 'steal.js': '//' } });
    await seedPackage(data, { name: 'old-lib', version: '2.0.0-rc.1', tag: 'next', state: 'pending' });
    try {
      const doc = (await call(reg.url, 'GET', '/old-lib')).body;
      assert.equal(doc.time['1.0.0'], '2019-05-01T10:00:00.000Z');
      assert.equal(doc.time['1.0.1'], '2019-06-01T10:00:00.000Z');
      assert.equal(doc.time.created, '2019-05-01T10:00:00.000Z');
      assert.deepEqual(Object.keys(doc.versions), ['1.0.0', '1.0.1']);
      assert.deepEqual(doc['dist-tags'], { latest: '1.0.1' });
      assert.equal(doc.versions['1.0.0']._npmUser.name, 'maint');
      assert.equal(doc.versions['1.0.1']._npmUser.name, 'intruder');
      assert.equal(doc.versions['1.0.1'].deprecated, 'do not use');
      assert.equal(doc.versions['1.0.1'].hasInstallScript, true);
      assert.equal(doc.versions['1.0.1'].dist.attestations, undefined);
      const att = doc.versions['1.0.0'].dist.attestations;
      assert.equal(att.provenance.predicateType, 'https://slsa.dev/provenance/v1');
      assert.equal(att.url, `${reg.url}/-/npm/v1/attestations/old-lib@1.0.0`);
      assert.deepEqual((await call(reg.url, 'GET', '/-/npm/v1/attestations/old-lib@1.0.0')).body, { attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle }] });
      assert.equal((await call(reg.url, 'GET', '/-/npm/v1/attestations/old-lib@1.0.1')).status, 404);
      const tgz = Buffer.from(await (await fetch(doc.versions['1.0.1'].dist.tarball)).arrayBuffer());
      const files = readTarball(tgz, { maxEntries: 10, maxUnpackedBytes: 1e6, keep: () => true });
      assert.deepEqual(files.map((f) => f.path), ['package.json', 'steal.js']);
      assert.deepEqual(JSON.parse(files[0]!.data!.toString()).scripts, { postinstall: 'node steal.js' });
    } finally {
      await reg.close();
    }
  });

});

describe('registry: tarballs', () => {
  it('makes reproducible tarballs that round-trip, long paths included', () => {
    const long = `${'d'.repeat(80)}/${'e'.repeat(60)}/file.js`;
    const files = { 'package.json': '{"name":"x","version":"1.0.0"}', [long]: 'x', 'lib/a.js': Buffer.from([1, 2, 3]) };
    const a = createTarball(files);
    assert.deepEqual(a, createTarball(files));
    const back = readTarball(a, { maxEntries: 10, maxUnpackedBytes: 1e6, keep: () => true });
    assert.deepEqual(back.map((e) => e.path), [long, 'lib/a.js', 'package.json']);
    assert.deepEqual([...back[1]!.data!], [1, 2, 3]);
    assert.throws(() => readTarball(gzipSync(Buffer.alloc(2e6)), { maxEntries: 10, maxUnpackedBytes: 1e6 }), /unpacks to more than/);
    assert.throws(() => createTarball({ '../evil': 'x' }), /invalid file path/);
  });
});

for (const kind of kinds) describe(`registry (${kind.name}): upstream proxy`, () => {
  it('reads unhosted packages from upstream through itself, never proxies writes, and hosted names win', async () => {
    const upData = tmpDir('packsec-reg-up-');
    await seedPackage(upData, { name: 'from-upstream', version: '1.0.0' });
    await seedPackage(upData, { name: 'shadowed', version: '9.9.9', description: 'upstream copy' });
    const upstream = await startRegistry({ dataDir: upData, port: 0 });
    await seedPackage(upData, { name: 'only-pending', version: '6.6.6' });
    const gw = await startOn(kind, { port: 0, upstream: upstream.url });
    try {
      await seedPackage(gw.registry, { name: 'shadowed', version: '1.0.0', description: 'hosted copy' });
      await seedPackage(gw.registry, { name: 'only-pending', version: '1.0.0', state: 'pending' });
      const doc = (await call(gw.url, 'GET', '/from-upstream')).body;
      assert.equal(doc.versions['1.0.0'].dist.tarball, `${gw.url}/from-upstream/-/from-upstream-1.0.0.tgz`);
      assert.equal(doc.versions['1.0.0'].dist.signatures[0].keyid, upstream.keyid);
      const tgz = Buffer.from(await (await fetch(doc.versions['1.0.0'].dist.tarball)).arrayBuffer());
      assert.equal(sri(tgz), doc.versions['1.0.0'].dist.integrity);
      const corgi = await call(gw.url, 'GET', '/from-upstream', { accept: 'application/vnd.npm.install-v1+json' });
      assert.equal(corgi.body.versions['1.0.0'].dist.tarball, `${gw.url}/from-upstream/-/from-upstream-1.0.0.tgz`);
      assert.deepEqual((await call(gw.url, 'GET', '/-/package/from-upstream/dist-tags')).body, { latest: '1.0.0' });
      const keys = (await call(gw.url, 'GET', '/-/npm/v1/keys')).body.keys.map((k: { keyid: string }) => k.keyid);
      assert.deepEqual(keys, [gw.keyid, upstream.keyid]);
      assert.equal((await call(gw.url, 'GET', '/shadowed')).body.description, 'hosted copy');
      assert.equal((await call(gw.url, 'GET', '/only-pending')).status, 404, 'a hosted name is never looked up upstream');
      assert.equal((await call(gw.url, 'GET', '/nowhere')).status, 404);
      const token = (await createUserToken(gw.registry.store, 'alice')).token;
      const put = await call(gw.url, 'PUT', '/from-upstream', { token, body: publishBody('from-upstream', '1.0.1') });
      assert.equal(put.status, 201, 'a publish goes to the gateway itself');
      assert.equal((await call(upstream.url, 'GET', '/from-upstream')).body.versions['1.0.1'], undefined, 'upstream is untouched');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

});

describe('registry: upstream down', () => {
  it('answers 502 when upstream is down', async () => {
    const gw = await startRegistry({ dataDir: tmpDir('packsec-reg-gw-'), port: 0, upstream: 'http://127.0.0.1:9/' });
    try {
      const r = await call(gw.url, 'GET', '/anything');
      assert.equal(r.status, 502);
      assert.match(r.body.error, /upstream .* did not answer/);
    } finally {
      await gw.close();
    }
  });
});

for (const kind of kinds) describe(`registry (${kind.name}): advisories`, () => {
  const BULK = '/-/npm/v1/security/advisories/bulk';
  const post = (base: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(base + BULK, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

  it('adds advisories from the CLI while the server runs (checked), lists them, and answers bulk queries by version, gzip included', async () => {
    const reg = await startOn(kind, { port: 0 });
    const data = reg.dataDir;
    // With the embedded database the commands go through the server's admin socket; else to the store.
    const database = kind.name === 'postgres' ? ['--database', reg.databaseArg] : [];
    const add = (...args: string[]) => runCliAsync(['registry', 'advisory', 'add', '--data', data, ...database, ...args], data);
    try {
      const ok = await add('--package', 'left-pad', '--range', '<1.0.3', '--severity', 'high', '--title', 'Pads too much', '--url', 'https://example.com/a/1');
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /added #1 left-pad <1\.0\.3 high: Pads too much/);
      const bad = await add('--package', 'left-pad', '--range', 'soon', '--severity', 'high', '--title', 'x');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /range: "soon" is not a semver range/);
      assert.match((await add('--package', 'left-pad', '--range', '*', '--severity', 'dire', '--title', 'x')).stderr, /severity: expected one of info, low, moderate, high, critical/);
      assert.match((await add('--package', 'left-pad', '--range', '*', '--severity', 'low')).stderr, /needs --title/);
      assert.equal((await add('--package', '../x', '--range', '*', '--severity', 'low', '--title', 'x')).code, 2);
      await addAdvisory(reg.registry.store, { name: 'JSONStream', range: '>=1.0.0', severity: 'critical', title: 'An old name with capitals' });
      const list = await runCliAsync(['registry', 'advisory', 'list', '--data', data, ...database, '--package', 'left-pad', '--json'], data);
      assert.deepEqual(JSON.parse(list.stdout).advisories.map((a: { id: number; range: string }) => [a.id, a.range]), [[1, '<1.0.3']]);

      const r = await post(reg.url, JSON.stringify({ 'left-pad': ['1.0.0', '1.3.0'], JSONStream: ['0.9.0'], other: [] }));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { 'left-pad': [{ id: 1, url: 'https://example.com/a/1', title: 'Pads too much', severity: 'high', vulnerable_versions: '<1.0.3', cwe: [], cvss: { score: 0, vectorString: null } }] });
      assert.deepEqual((await post(reg.url, JSON.stringify({ 'left-pad': ['1.3.0'] }))).body, {}, 'no advisory for a version outside the range');
      const gz = await post(reg.url, gzipSync(JSON.stringify({ JSONStream: ['1.3.5'] })), { 'content-encoding': 'gzip' });
      assert.deepEqual(gz.body.JSONStream.map((a: { id: number }) => a.id), [2]);
      // Added while the server runs: served at once.
      assert.equal((await add('--package', 'left-pad', '--range', '1.3.0', '--severity', 'low', '--title', 'Later')).code, 0);
      assert.deepEqual((await post(reg.url, JSON.stringify({ 'left-pad': ['1.3.0'] }))).body['left-pad'].map((a: { id: number }) => a.id), [3]);
    } finally {
      await reg.close();
    }
    // And with the server stopped, the command opens the store itself.
    const later = await runCliAsync(['registry', 'advisory', 'list', '--data', data, ...database, '--json'], data);
    assert.equal(later.code, 0, later.stderr);
    assert.deepEqual(JSON.parse(later.stdout).advisories.map((a: { id: number }) => a.id), [1, 2, 3]);
  });

  it('refuses malformed queries with 4xx JSON errors that name the place', async () => {
    const reg = await startOn(kind, { port: 0 });
    try {
      const cases: [string | Buffer, Record<string, string>, number, RegExp][] = [
        ['[]', {}, 400, /expected an object of package names to lists of versions, got an array/],
        ['{"a": "1.0.0"}', {}, 400, /^a: expected a list of versions, got "1\.0\.0"/],
        ['{"@s/a": ["1.0.0", 7]}', {}, 400, /^\["@s\/a"\]\[1\]: expected a version string, got 7/],
        ['{"a": [', {}, 400, /not valid JSON/],
        ['not gzip', { 'content-encoding': 'gzip' }, 400, /not valid gzip/],
        ['{}', { 'content-encoding': 'br' }, 415, /content-encoding "br" is not supported/],
        [gzipSync(Buffer.alloc(9 * 1024 * 1024, 32)), { 'content-encoding': 'gzip' }, 413, /inflated request body is over the limit/],
      ];
      for (const [body, headers, status, message] of cases) {
        const r = await post(reg.url, body, headers);
        assert.equal(r.status, status, String(body).slice(0, 40));
        assert.match(r.body.error, message);
      }
      assert.equal((await call(reg.url, 'GET', BULK)).status, 405);
      assert.equal((await call(reg.url, 'POST', '/-/npm/v1/security/audits/quick', { body: {} })).status, 404);
      if (kind.name === 'files') {
        writeFileSync(join(reg.dataDir, 'advisories', '1.json'), '{"id": 1}');
        const corrupt = await post(reg.url, '{"a": ["1.0.0"]}');
        assert.equal(corrupt.status, 500);
        assert.equal(corrupt.body.code, 'DATA_CORRUPT');
      }
    } finally {
      await reg.close();
    }
  });
});

for (const kind of kinds) describe(`registry (${kind.name}): data folder`, () => {
  const shared = kind.name === 'postgres';
  it(shared
    ? 'lets a second gateway share the folder (PostgreSQL serialises writers), and tampered tarballs are 500s not crashes'
    : 'refuses a second server on the same folder, and corrupt files are 500s not crashes', async () => {
    const reg = await startOn(kind, { port: 0 });
    const data = reg.dataDir;
    try {
      await seedPackage(reg.registry, { name: 'fine', version: '1.0.0' });
      if (shared) {
        const second = await startRegistry({ dataDir: data, database: reg.databaseArg, port: 0 });
        try {
          assert.equal((await call(second.url, 'GET', '/fine')).body.name, 'fine');
          assert.equal(second.keyid, reg.keyid);
        } finally {
          await second.close();
        }
      } else {
        await assert.rejects(startRegistry({ dataDir: data, database: reg.databaseArg, port: 0 }), /already uses/);
      }
      writeFileSync(join(data, 'packages', 'fine', 'fine-1.0.0.tgz'), 'tampered');
      const r = await call(reg.url, 'GET', '/fine/-/fine-1.0.0.tgz');
      assert.equal(r.status, 500);
      assert.match(r.body.error, /does not match its integrity/);
      if (kind.name === 'files') {
        writeFileSync(join(data, 'packages', 'fine', 'record.json'), '{ broken');
        assert.equal((await call(reg.url, 'GET', '/fine')).status, 500);
      }
      assert.equal((await call(reg.url, 'GET', '/-/ping')).status, 200);
    } finally {
      await reg.close();
    }
    const again = await startRegistry({ dataDir: data, database: reg.databaseArg, port: 0 });
    await again.close();
  });

  if (kind.name !== 'files') {
    it('refuses a data folder whose signing key is not the one the database\'s versions are signed with', async () => {
      const reg = await startOn(kind, { port: 0 });
      await reg.close();
      rmSync(join(reg.dataDir, 'keys'), { recursive: true });
      await assert.rejects(startRegistry({ dataDir: reg.dataDir, database: reg.databaseArg, port: 0 }), /is not the key of the versions in .*: gateways sharing a database must share the data folder/);
    });
  }
});

for (const kind of kinds) describe(`registry (${kind.name}): shutdown`, () => {
  it('finishes a publish in flight, refuses new connections, and releases the data folder', async () => {
    const reg = await startOn(kind, { port: 0 });
    const data = reg.dataDir;
    const token = (await createUserToken(reg.registry.store, 'alice')).token;
    const body = Buffer.from(JSON.stringify(publishBody('in-flight', '1.0.0')));
    const half = body.length >> 1;
    const answer = new Promise<string>((done) => {
      const s = connect(reg.port, '127.0.0.1', () => {
        s.write(`PUT /in-flight HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
        s.write(body.subarray(0, half));
        setTimeout(() => s.write(body.subarray(half)), 300);
      });
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('close', () => done(text));
    });
    await new Promise((r) => setTimeout(r, 100));
    const closed = reg.close();
    assert.match(await answer, /^HTTP\/1\.1 201 /, 'the publish in flight completes');
    await closed;
    await assert.rejects(fetch(`${reg.url}/-/ping`), 'no new connections');
    assert.ok(!existsSync(join(data, 'server.pid')));
    assert.ok(!existsSync(join(data, 'admin.sock')));
    const store = await openStore({ dataDir: data, database: reg.databaseArg });
    try {
      assert.equal((await store.readPackage('in-flight'))?.versions['1.0.0']?.state, 'public');
    } finally {
      await store.close();
    }
  });
});
