// The approval rule (src/approval/rule.ts) case by case: who counts, for which group, and who may act.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, shortfall, type Approval, type Group, type RequestFacts } from '../src/approval/rule.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const SHA = 'sha512-AAAA';
const group = (id: string, required: number, members: string[]): Group => ({ id, name: id, required, members });
const request = (policy: Group[], over: Partial<RequestFacts> = {}): RequestFacts => ({
  status: 'pending', integrity: SHA, expiresAt: '2025-03-02T12:00:00.000Z', tokenKey: 'tok-publish', sessionId: null, policy, ...over,
});
let clock = 0;
const ok = (user: string, integrity = SHA): Approval => ({ user, integrity, at: new Date(NOW.getTime() - 60_000 + clock++).toISOString() });
const alice = { user: 'alice' };

describe('approval rule', () => {
  it('approves when the one group has its one approval', () => {
    const p = [group('maintainers', 1, ['alice'])];
    const before = decide(p, request(p), [], alice, NOW);
    assert.equal(before.status, 'pending');
    assert.deepEqual(before.approve, { allowed: true });
    assert.deepEqual(before.groups.map((g) => [g.name, g.missing]), [['maintainers', 1]]);
    const after = decide(p, request(p), [ok('alice')], alice, NOW);
    assert.equal(after.status, 'approved');
    assert.deepEqual(after.groups[0]!.approvedBy, ['alice']);
  });

  it('needs every group, and distinct people for a count above one', () => {
    const p = [group('dev', 2, ['alice', 'bob', 'carol']), group('security', 1, ['sec'])];
    assert.equal(decide(p, request(p), [ok('alice'), ok('sec')], null, NOW).status, 'pending');
    const d = decide(p, request(p), [ok('alice'), ok('bob'), ok('sec')], null, NOW);
    assert.equal(d.status, 'approved');
    assert.deepEqual(d.groups.map((g) => g.approvedBy), [['alice', 'bob'], ['sec']]);
  });

  it('refuses a non-member and ignores a non-member\'s approval', () => {
    const p = [group('maintainers', 1, ['alice'])];
    const d = decide(p, request(p), [ok('mallory')], { user: 'mallory' }, NOW);
    assert.equal(d.status, 'pending');
    assert.deepEqual(d.ignored.map((i) => i.user), ['mallory']);
    assert.equal(d.approve.allowed, false);
    assert.equal(!d.approve.allowed && d.approve.code, 'not-member');
    assert.equal(!d.reject.allowed && d.reject.code, 'not-member');
  });

  it('refuses the token and the session that published, but not the same user on another device', () => {
    const p = [group('maintainers', 1, ['alice'])];
    const r = request(p, { tokenKey: 'tok-publish', sessionId: 'sess-publish' });
    for (const actor of [{ user: 'alice', tokenKey: 'tok-publish' }, { user: 'alice', sessionId: 'sess-publish' }]) {
      const d = decide(p, r, [], actor, NOW);
      assert.equal(!d.approve.allowed && d.approve.code, 'publishing-device', JSON.stringify(actor));
      assert.equal(!d.reject.allowed && d.reject.code, 'publishing-device');
    }
    assert.deepEqual(decide(p, r, [], { user: 'alice', sessionId: 'sess-phone' }, NOW).approve, { allowed: true });
    assert.deepEqual(decide(p, request(p, { tokenKey: null }), [], { user: 'alice', tokenKey: null }, NOW).approve, { allowed: true }, 'no token on either side is no match');
  });

  it('counts a person in two groups for one of them only', () => {
    const p = [group('dev', 1, ['alice', 'bob']), group('release', 1, ['alice'])];
    const alone = decide(p, request(p), [ok('alice')], alice, NOW);
    assert.equal(alone.status, 'pending');
    assert.deepEqual(alone.groups.map((g) => g.missing).sort(), [0, 1]);
    assert.equal(!alone.approve.allowed && alone.approve.code, 'already-approved');
    assert.deepEqual(alone.reject, { allowed: true }, 'an approver may still reject');
  });

  it('places each approver where every group can be satisfied, whatever the order of approvals', () => {
    const p = [group('dev', 1, ['alice', 'bob']), group('release', 1, ['alice'])];
    for (const order of [['alice', 'bob'], ['bob', 'alice']]) {
      const d = decide(p, request(p), order.map((u) => ok(u)), null, NOW);
      assert.equal(d.status, 'approved', order.join(','));
      assert.deepEqual(d.groups.map((g) => g.approvedBy), [['bob'], ['alice']]);
    }
  });

  it('counts duplicate approvals once', () => {
    const p = [group('dev', 2, ['alice', 'bob'])];
    const d = decide(p, request(p), [ok('alice'), ok('alice'), ok('alice')], null, NOW);
    assert.equal(d.status, 'pending');
    assert.deepEqual(d.groups[0]!.approvedBy, ['alice']);
    assert.equal(d.ignored.length, 2);
  });

  it('does not count approvals bound to another tarball', () => {
    const p = [group('maintainers', 1, ['alice'])];
    const d = decide(p, request(p), [ok('alice', 'sha512-BBBB')], alice, NOW);
    assert.equal(d.status, 'pending');
    assert.match(d.ignored[0]!.reason, /not this tarball/);
    assert.deepEqual(d.approve, { allowed: true }, 'alice may still approve the right tarball');
  });

  it('expires at expiresAt, and then nobody may approve or reject', () => {
    const p = [group('maintainers', 1, ['alice'])];
    const r = request(p, { expiresAt: NOW.toISOString() });
    const d = decide(p, r, [ok('alice')], alice, NOW);
    assert.equal(d.status, 'expired', 'approvals do not rescue an expired request');
    assert.equal(!d.approve.allowed && d.approve.code, 'expired');
    assert.equal(!d.reject.allowed && d.reject.code, 'expired');
    assert.equal(decide(p, r, [], alice, new Date(NOW.getTime() - 1)).status, 'pending');
  });

  it('keeps a settled request settled', () => {
    const p = [group('maintainers', 1, ['alice'])];
    for (const status of ['rejected', 'approved', 'expired'] as const) {
      const d = decide(p, request(p, { status }), [], alice, NOW);
      assert.equal(d.status, status);
      assert.equal(!d.approve.allowed && d.approve.code, status === 'expired' ? 'expired' : 'not-pending');
      assert.equal(d.reject.allowed, false);
    }
    assert.equal(decide(p, request(p, { status: 'rejected' }), [ok('alice')], null, NOW).status, 'rejected', 'approvals after a rejection change nothing');
  });

  it('never approves without groups', () => {
    const d = decide([], request([]), [ok('alice')], alice, NOW);
    assert.equal(d.status, 'pending');
    assert.equal(!d.approve.allowed && d.approve.code, 'no-groups');
  });

  describe('owners change the groups while a request waits', () => {
    const then = [group('dev', 2, ['alice', 'bob', 'carol'])];
    it('a lower count does not apply to it, a higher one does', () => {
      assert.equal(decide([group('dev', 1, ['alice', 'bob', 'carol'])], request(then), [ok('alice')], null, NOW).status, 'pending');
      const higher = decide([group('dev', 3, ['alice', 'bob', 'carol'])], request(then), [ok('alice'), ok('bob')], null, NOW);
      assert.equal(higher.status, 'pending');
      assert.equal(higher.groups[0]!.missing, 1);
    });
    it('a removed member stops counting at once; an added member does not count for it', () => {
      const now = [group('dev', 2, ['alice', 'carol', 'mallory'])];
      const d = decide(now, request(then), [ok('alice'), ok('bob'), ok('mallory')], { user: 'mallory' }, NOW);
      assert.equal(d.status, 'pending');
      assert.deepEqual(d.groups[0]!.approvedBy, ['alice']);
      assert.deepEqual(d.ignored.map((i) => i.user).sort(), ['bob', 'mallory']);
      assert.equal(!d.approve.allowed && d.approve.code, 'not-member');
    });
    it('a new group applies with its members; a deleted group blocks the request', () => {
      const added = [...then, group('security', 1, ['sec'])];
      const d = decide(added, request(then), [ok('alice'), ok('bob')], null, NOW);
      assert.equal(d.status, 'pending');
      assert.equal(d.groups[1]!.change, 'added');
      assert.equal(decide(added, request(then), [ok('alice'), ok('bob'), ok('sec')], null, NOW).status, 'approved');
      const deleted = decide([], request(then), [ok('alice'), ok('bob')], alice, NOW);
      assert.equal(deleted.status, 'pending');
      assert.equal(deleted.groups[0]!.change, 'deleted');
      assert.equal(!deleted.approve.allowed && deleted.approve.code, 'not-member');
    });
  });

  it('says which groups their members cannot satisfy, one person counting once', () => {
    const missing = (p: Group[]) => shortfall(p).map((s) => [s.name, s.missing]);
    assert.deepEqual(missing([group('dev', 2, ['alice', 'bob']), group('security', 1, ['sec'])]), [['dev', 0], ['security', 0]]);
    assert.deepEqual(missing([group('dev', 2, ['alice']), group('new', 1, [])]), [['dev', 1], ['new', 1]]);
    assert.deepEqual(missing([group('dev', 1, ['alice']), group('security', 1, ['alice'])]).map(([, n]) => n).reduce((a, b) => Number(a) + Number(b)), 1, 'alice cannot fill both groups');
    assert.deepEqual(missing([group('dev', 1, ['alice', 'bob']), group('security', 1, ['alice'])]), [['dev', 0], ['security', 0]], 'bob takes dev so alice can take security');
    assert.deepEqual(missing([group('dev', 1, ['alice', 'alice'])]), [['dev', 0]]);
  });

  it('changes none of its inputs', () => {
    const p = Object.freeze([Object.freeze(group('dev', 1, Object.freeze(['alice']) as string[]))]);
    const r = Object.freeze(request(p as Group[]));
    const a = Object.freeze([Object.freeze(ok('alice'))]);
    assert.equal(decide(p, r, a, Object.freeze({ user: 'alice' }), NOW).status, 'approved');
  });
});
