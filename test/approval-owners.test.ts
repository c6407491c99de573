// Owners' pages of the approval gateway over HTTP, on PGlite and (with PACKSEC_TEST_DATABASE_URL)
// PostgreSQL: an owner creates a group, changes its count, invites a coworker and removes members from the
// package page, each change confirmed by a fresh assertion bound to it; non-owners, missing, mismatched and
// replayed assertions are refused and change nothing. The invite made on the page works end to end.
// Maintainers post security notices the same way; readers get them, signed, from the registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyNotice } from '../src/approval/index.js';
import { createUserToken, FileStore, startRegistry, type RegistryKey, type RunningRegistry } from '../src/registry/index.js';
import { Client } from './approval-web-client.js';
import { backends } from './db-helpers.js';
import { call, publishBody } from './registry-client.js';
import { tmpDir } from './registry-helpers.js';
import { SoftAuthenticator, UP } from './webauthn-authenticator.js';

const PAGE = '/-/approve/packages/team-lib';

for (const backend of backends()) {
  describe(`owner pages of the approval gateway (${backend.name})`, () => {
    let reg: RunningRegistry;
    let drop: () => Promise<void>;
    let web: string;
    const tokens: Record<string, string> = {};
    const clients: Record<string, Client> = {};
    const keys: Record<string, SoftAuthenticator> = {};

    const groups = async () => reg.gateway!.service.groups('team-lib');
    const groupNamed = async (name: string) => (await groups()).find((g) => g.name === name)!;

    /** Publishes as alice and approves it with her device: the version is public. */
    async function publishApproved(version: string, approvers = ['alice'], name = 'team-lib'): Promise<void> {
      const put = await call(reg.url, 'PUT', `/${name.replace('/', '%2f')}`, { token: tokens.alice, body: publishBody(name, version) });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const id = put.body.stageId.replace(/-/g, '');
      let state = '';
      for (const user of approvers) {
        const approved = await clients[user]!.approve(id, keys[user]!);
        assert.equal(approved.status, 200, JSON.stringify(approved.body));
        state = approved.body.state;
      }
      assert.equal(state, 'approved');
    }

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      const data = tmpDir('packsec-owners-');
      const store = new FileStore(data);
      store.init();
      for (const user of ['alice', 'bob', 'carol']) tokens[user] = createUserToken(store, user).token;
      reg = await startRegistry({ dataDir: data, port: 0, approval: 'required', approvalDb: opened.db, gateway: { sweepEveryMs: 0 } });
      web = reg.gateway!.webUrl;
      for (const user of ['alice', 'bob', 'carol']) {
        clients[user] = new Client({ url: web, loginLink: (u) => reg.gateway!.loginLink(u) });
        await clients[user]!.signInWithLink(user);
        keys[user] = new SoftAuthenticator(web, 'localhost');
        assert.equal((await clients[user]!.register(keys[user]!)).status, 201);
      }
      await publishApproved('1.0.0');
    });
    after(async () => {
      await reg?.close();
      await drop?.();
    });

    it('lists the packages a user maintains, linked from the request list, and shows a package\'s groups to who takes part', async () => {
      const list = await (await clients.alice!.fetch('/-/approve/')).text();
      assert.match(list, /href="\/-\/approve\/packages"/);
      const mine = await (await clients.alice!.fetch('/-/approve/packages')).text();
      assert.match(mine, /href="\/-\/approve\/packages\/team-lib"/);
      assert.doesNotMatch(await (await clients.carol!.fetch('/-/approve/packages')).text(), /team-lib/);
      const page = await clients.alice!.fetch(PAGE);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<h3>maintainers <span class="dim">\(this package; 1 approval required\)<\/span><\/h3>/);
      assert.match(html, /You are an owner/);
      assert.equal((await clients.carol!.fetch(PAGE)).status, 404, 'someone with no part in it does not see it');
      assert.equal((await clients.alice!.fetch('/-/approve/packages/%40nope%2Fnothing')).status, 404);
      assert.equal((await new Client({ url: web, loginLink: async () => '' }).fetch(PAGE)).status, 303, 'signed out: to the sign-in page');
    });

    it('refuses owner actions by non-owners (403), before any challenge and again with one', async () => {
      const maintainers = await groupNamed('maintainers');
      for (const action of [
        { kind: 'create-group', scope: 'team-lib', name: 'mine', required: 1 },
        { kind: 'invite', groupId: maintainers.id },
        { kind: 'set-required', groupId: maintainers.id, required: 3 },
        { kind: 'remove-member', groupId: maintainers.id, user: 'alice' },
        { kind: 'post-notice', version: '1.0.0', severity: 'high', title: 'Fake', body: '' },
      ]) {
        const refused = await clients.carol!.manage('team-lib', action, keys.carol!);
        assert.equal(refused.status, 403, `${action.kind}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.code, 'NOT_OWNER');
      }
      // A challenge carol obtained for something she may do (nothing here) cannot be sent: the act is refused first.
      const act = await clients.carol!.json(`${PAGE}/act`, { action: { kind: 'invite', groupId: maintainers.id }, challengeId: 'x', response: {} });
      assert.equal(act.status, 403);
      assert.equal(act.body.code, 'NOT_OWNER');
      assert.deepEqual((await groups()).map((g) => [g.name, g.required, g.members]), [['maintainers', 1, ['alice']]], 'nothing changed');
    });

    it('refuses owner actions without a fresh assertion for exactly that action, and a replayed one', async () => {
      const alice = clients.alice!;
      const create = { kind: 'create-group', scope: 'team-lib', name: 'security', required: 1 };
      const none = await alice.json(`${PAGE}/act`, { action: create });
      assert.equal(none.status, 403);
      assert.equal(none.body.code, 'CHALLENGE_UNKNOWN');

      const stepUp = await alice.json('/-/approve/devices/step-up/options', {});
      const viaStepUp = await alice.json(`${PAGE}/act`, { action: create, challengeId: stepUp.body.challengeId, response: keys.alice!.assert(stepUp.body.options) });
      assert.equal(viaStepUp.body.code, 'CHALLENGE_MISMATCH', 'a step-up is not a confirmation of this action');

      const other = await alice.json(`${PAGE}/options`, { action: { ...create, required: 2 } });
      const swapped = await alice.json(`${PAGE}/act`, { action: create, challengeId: other.body.challengeId, response: keys.alice!.assert(other.body.options) });
      assert.equal(swapped.body.code, 'CHALLENGE_MISMATCH', 'confirmed with required 2, sent with required 1');

      const noUv = await alice.json(`${PAGE}/options`, { action: create });
      const unverified = await alice.json(`${PAGE}/act`, { action: create, challengeId: noUv.body.challengeId, response: keys.alice!.assert(noUv.body.options, { flags: UP }) });
      assert.equal(unverified.body.code, 'USER_NOT_VERIFIED');
      assert.deepEqual((await groups()).map((g) => g.name), ['maintainers'], 'nothing changed');

      const options = await alice.json(`${PAGE}/options`, { action: create });
      const response = keys.alice!.assert(options.body.options);
      const made = await alice.json(`${PAGE}/act`, { action: create, challengeId: options.body.challengeId, response });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const replay = await alice.json(`${PAGE}/act`, { action: create, challengeId: options.body.challengeId, response });
      assert.equal(replay.status, 403);
      assert.equal(replay.body.code, 'CHALLENGE_UNKNOWN');
      assert.deepEqual((await groups()).map((g) => [g.name, g.required, g.members]), [['maintainers', 1, ['alice']], ['security', 1, []]]);
      assert.match(await (await alice.fetch(PAGE)).text(), /security cannot reach its count: its members can fill 0 of 1 places/);

      const bad = await alice.json(`${PAGE}/options`, { action: { kind: 'create-group', scope: '@other', name: 'x', required: 1 } });
      assert.equal(bad.status, 400, 'a group made on this page applies to this package or its scope');
      assert.equal((await alice.manage('team-lib', { ...create, required: 2 }, keys.alice!)).body.code, 'CONFLICT', 'the name is taken');
    });

    it('creates an invite link on the page that a coworker uses to join; then both groups must approve', async () => {
      const security = await groupNamed('security');
      const invited = await clients.alice!.manage('team-lib', { kind: 'invite', groupId: security.id }, keys.alice!);
      assert.equal(invited.status, 200, JSON.stringify(invited.body));
      assert.equal(invited.body.invite.group, 'security');
      const link = new URL(invited.body.invite.link);
      assert.equal(`${link.origin}${link.pathname}`, `${web}/-/approve/invite`);
      const code = link.hash.slice('#invite='.length);
      assert.match(code, /^npsi_/);

      const joined = await clients.bob!.form('/-/approve/invite', { csrf: clients.bob!.csrf, code });
      assert.equal(joined.status, 200);
      assert.match(await joined.text(), /You joined security/);
      const again = await clients.carol!.form('/-/approve/invite', { csrf: clients.carol!.csrf, code });
      assert.equal(again.status, 403, 'the code works once');
      assert.deepEqual((await groupNamed('security')).members, ['bob']);
      assert.doesNotMatch(await (await clients.alice!.fetch(PAGE)).text(), /cannot reach its count/);
      assert.equal((await clients.bob!.fetch(PAGE)).status, 200, 'a member sees the page');
      assert.equal((await clients.bob!.manage('team-lib', { kind: 'invite', groupId: security.id }, keys.bob!)).status, 403, 'a member is not an owner');

      await publishApproved('1.1.0', ['alice', 'bob']);
    });

    it('changes a group\'s count, and removes a member only with confirmation when the group could no longer reach it', async () => {
      const alice = clients.alice!;
      const security = await groupNamed('security');
      assert.equal((await alice.manage('team-lib', { kind: 'set-required', groupId: security.id, required: '2' }, keys.alice!)).status, 200);
      assert.equal((await groupNamed('security')).required, 2);
      assert.match(await (await alice.fetch(PAGE)).text(), /security cannot reach its count: its members can fill 1 of 2 places/);
      assert.equal((await alice.manage('team-lib', { kind: 'set-required', groupId: security.id, required: 0 }, keys.alice!)).status, 400);
      await alice.manage('team-lib', { kind: 'set-required', groupId: security.id, required: 1 }, keys.alice!);

      const remove = { kind: 'remove-member', groupId: security.id, user: 'bob' };
      const page = await (await alice.fetch(PAGE)).text();
      assert.match(page, /data-kind="remove-member" data-confirm="Removing bob leaves security/, 'the page asks before such a removal');
      const refused = await alice.manage('team-lib', remove, keys.alice!);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'BELOW_REQUIRED');
      assert.deepEqual((await groupNamed('security')).members, ['bob']);
      const removed = await alice.manage('team-lib', { ...remove, belowRequired: true }, keys.alice!);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual((await groupNamed('security')).members, []);
      assert.equal((await clients.bob!.fetch(PAGE)).status, 404, 'no longer involved');
    });

    it('posts a signed security notice from the package page: maintainers only, with a fresh assertion; readers get it without a token', async () => {
      const notice = { kind: 'post-notice', version: '1.0.0', severity: 'high', title: 'Tokens leaked', body: 'Upgrade to 1.1.0.\nRotate your keys.' };
      await reg.gateway!.service.acceptInvite('bob', (await reg.gateway!.service.invite('alice', (await groupNamed('security')).id)).code);
      const byMember = await clients.bob!.manage('team-lib', notice, keys.bob!);
      assert.equal(byMember.status, 403, 'a group member who is not a maintainer');
      assert.equal(byMember.body.code, 'NOT_OWNER');
      const none = await clients.alice!.json(`${PAGE}/act`, { action: notice });
      assert.equal(none.body.code, 'CHALLENGE_UNKNOWN');
      const options = await clients.alice!.json(`${PAGE}/options`, { action: notice });
      const edited = await clients.alice!.json(`${PAGE}/act`, { action: { ...notice, body: 'All is fine.' }, challengeId: options.body.challengeId, response: keys.alice!.assert(options.body.options) });
      assert.equal(edited.body.code, 'CHALLENGE_MISMATCH', 'the assertion confirmed another text');
      assert.equal((await clients.alice!.manage('team-lib', { ...notice, version: '9.9.9' }, keys.alice!)).status, 404, 'only a published version');
      assert.deepEqual(await reg.gateway!.service.notices.list('team-lib'), []);

      const posted = await clients.alice!.manage('team-lib', notice, keys.alice!);
      assert.equal(posted.status, 200, JSON.stringify(posted.body));
      assert.match(await (await clients.alice!.fetch(`${PAGE}?done=post-notice`)).text(), /Notice posted and signed by the registry[^]*<span class="severity">high<\/span> Tokens leaked/);

      const key = ((await (await fetch(`${reg.url}/-/npm/v1/keys`)).json()) as { keys: RegistryKey[] }).keys[0]!;
      const one = await fetch(`${reg.url}/-/packsec/v1/notices/team-lib`);
      assert.equal(one.status, 200);
      const doc = (await one.json()) as { name: string; notices: any[] };
      assert.equal(doc.name, 'team-lib');
      assert.deepEqual(doc.notices.map((n) => [n.packageName, n.version, n.severity, n.title, n.body, n.author, n.keyid]),
        [['team-lib', '1.0.0', 'high', 'Tokens leaked', 'Upgrade to 1.1.0.\nRotate your keys.', 'alice', key.keyid]]);
      assert.equal(verifyNotice(doc.notices[0], key), true);
      assert.equal(verifyNotice({ ...doc.notices[0], body: 'All is fine.' }, key), false);

      const bulk = await call(reg.url, 'POST', '/-/packsec/v1/notices/bulk', { body: { 'team-lib': ['1.0.0', '1.1.0'], 'left-pad': ['1.0.0'] } });
      assert.equal(bulk.status, 200);
      assert.deepEqual(Object.keys(bulk.body), ['team-lib']);
      assert.equal(bulk.body['team-lib'][0].id, doc.notices[0].id);
      assert.deepEqual((await call(reg.url, 'POST', '/-/packsec/v1/notices/bulk', { body: { 'team-lib': ['1.1.0'] } })).body, {}, 'only the versions asked about');
      assert.equal((await call(reg.url, 'POST', '/-/packsec/v1/notices/bulk', { body: { 'team-lib': [1] } })).status, 400);

      await publishApproved('1.0.0', ['alice'], '@acme/tool');
      assert.equal((await clients.alice!.manage('@acme/tool', { ...notice, title: 'Scoped' }, keys.alice!)).status, 200);
      for (const path of ['@acme%2ftool', '@acme%2Ftool', '@acme/tool']) {
        const scoped = (await (await fetch(`${reg.url}/-/packsec/v1/notices/${path}`)).json()) as { name: string; notices: { title: string }[] };
        assert.deepEqual([scoped.name, scoped.notices.map((n) => n.title)], ['@acme/tool', ['Scoped']], path);
      }
      assert.deepEqual(((await (await fetch(`${reg.url}/-/packsec/v1/notices/nothing-here`)).json()) as { notices: unknown[] }).notices, []);
    });
  });
}
