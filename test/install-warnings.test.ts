// Install-gate warnings: typosquat detection against the shipped popular list, release age, deprecation,
// repository, publisher and maintainer changes, on recorded registry documents and hostile ones.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InstallError } from '../src/install/error.js';
import { compareVersions } from '../src/install/packument.js';
import { boundedDistance } from '../src/install/typosquat.js';
import {
  buildPopularList, checkPackage, loadPopularList, typosquatCandidates, type CheckInput, type Packument, type Warning,
} from '../src/install/warnings.js';
import { fixturesDir, repoRoot, tmpProject } from './helpers.js';

function fixture(name: string): Packument {
  return JSON.parse(readFileSync(join(fixturesDir, 'packuments', `${name}.json`), 'utf8')) as Packument;
}

const DAY = 24 * 60;
const popular = loadPopularList();

/** checkPackage with the defaults of these tests: no release age, a tiny popular list that matches nothing here. */
function check(input: Partial<CheckInput> & Pick<CheckInput, 'packument'>): Warning[] {
  return checkPackage({
    name: 'some-package', version: '1.0.0', now: new Date('2025-06-01T00:00:00Z'), minReleaseAgeMinutes: 0,
    popular: buildPopularList(['zzzzzzzzzzzz']), ...input,
  });
}

function kinds(ws: Warning[]): string[] {
  return ws.map((w) => w.kind);
}

/** A well-formed document: each version has a repository and a publish time (minutes after 2025-01-01). */
function doc(versions: Record<string, { minutes?: number; publisher?: string; maintainers?: string[]; deprecated?: string; provenance?: boolean }>): Packument {
  const out: Packument = { name: 'some-package', versions: {}, time: {} };
  for (const [v, o] of Object.entries(versions)) {
    out.versions![v] = {
      name: 'some-package', version: v, repository: { type: 'git', url: 'git+https://github.com/o/some-package.git' },
      ...(o.publisher ? { _npmUser: { name: o.publisher, email: `${o.publisher}@example.com` } } : {}),
      ...(o.maintainers ? { maintainers: o.maintainers.map((name) => ({ name, email: `${name}@example.com` })) } : {}),
      ...(o.deprecated !== undefined ? { deprecated: o.deprecated } : {}),
      ...(o.provenance ? { dist: { attestations: { url: `https://registry.example/-/npm/v1/attestations/some-package@${v}`, provenance: { predicateType: 'https://slsa.dev/provenance/v1' } } } } : {}),
    };
    if (o.minutes !== undefined) out.time![v] = new Date(Date.UTC(2025, 0, 1) + o.minutes * 60_000).toISOString();
  }
  return out;
}

describe('typosquat candidates against the shipped list', () => {
  const cases: Array<[string, string, string]> = [
    ['crossenv', 'cross-env', 'separators'],
    ['cross_env', 'cross-env', 'separators'],
    ['env-cross', 'cross-env', 'word-order'],
    ['cross-env.js', 'cross-env', 'affix'],
    ['jquery.js', 'jquery', 'affix'],
    ['expressjs', 'express', 'affix'],
    ['node-lodash', 'lodash', 'affix'],
    ['@typescript_eslint/parser', '@typescript-eslint/parser', 'scope'],
    ['types-node', '@types/node', 'scope'],
    ['babel-preset-env', 'babel-preset-env', ''],
    ['1odash', 'lodash', 'homoglyph'],
    ['rnoment', 'moment', 'homoglyph'],
    ['@babe1/core', '@babel/core', 'homoglyph'],
    ['mongose', 'mongoose', 'edit-distance'],
    ['electorn', 'electron', 'edit-distance'],
    ['loadsh', 'lodash', 'edit-distance'],
    ['axois', 'axios', 'edit-distance'],
    ['babelcli', 'babel-cli', 'separators'],
    ['nodesass', 'node-sass', 'separators'],
    ['discordjs', 'discord.js', 'separators'],
  ];
  for (const [name, similarTo, reason] of cases) {
    it(reason === '' ? `${name} is popular and never flags` : `${name} resembles ${similarTo} (${reason})`, () => {
      const first = typosquatCandidates(name, popular)[0];
      if (reason === '') assert.equal(first, undefined);
      else assert.deepEqual([first?.similarTo, first?.reason], [similarTo, reason]);
    });
  }

  it('does not flag short names, popular names, names in a popular scope or unrelated names', () => {
    for (const name of ['ms', 'qs', 'mss', 'qz', 'pgx', 'glob', 'react', 'preact', 'lodash', 'cross-env', '@types/some-new-lib',
      '@babel/plugin-made-up', '@acme/cross-env', 'tiny-state-kit', 'packsec']) {
      assert.deepEqual(typosquatCandidates(name, popular), [], name);
    }
  });

  it('reports the closest popular name first, then the most popular, and honours the limit', () => {
    const list = buildPopularList(['colors', 'color', 'colord']);
    assert.deepEqual(typosquatCandidates('colorz', list), [
      { similarTo: 'colors', reason: 'edit-distance', distance: 1 },
      { similarTo: 'color', reason: 'edit-distance', distance: 1 },
      { similarTo: 'colord', reason: 'edit-distance', distance: 1 },
    ]);
    assert.equal(typosquatCandidates('colorz', list, 1).length, 1);
    assert.deepEqual(typosquatCandidates('COLORS', list).map((m) => [m.similarTo, m.reason, m.distance]), [
      ['colors', 'case', 0], ['color', 'edit-distance', 1], ['colord', 'edit-distance', 1],
    ]);
  });

  it('scales the allowed distance with the length of the popular name', () => {
    const list = buildPopularList(['jest', 'react', 'typescript']);
    assert.deepEqual(typosquatCandidates('jets', list), []);
    assert.equal(typosquatCandidates('raect', list)[0]?.distance, 1);
    assert.deepEqual(typosquatCandidates('raetc', list), []);
    assert.equal(typosquatCandidates('tpyescrpit', list)[0]?.distance, 2);
    assert.deepEqual(typosquatCandidates('tpyesrcpti', list), []);
  });

  it('counts an adjacent transposition as one edit and stops past the bound', () => {
    assert.equal(boundedDistance('electron', 'electorn', 2), 1);
    assert.equal(boundedDistance('abc', 'abc', 0), 0);
    assert.equal(boundedDistance('kitten', 'sitting', 5), 3);
    assert.equal(boundedDistance('kitten', 'sitting', 1), 2);
    assert.equal(boundedDistance('a', 'abcdef', 2), 3);
  });
});

describe('the shipped popular list', () => {
  it('holds a few thousand names, scoped ones among them, in the shape loadPopularList reads', () => {
    const raw = JSON.parse(readFileSync(join(repoRoot, 'data', 'popular-packages.json'), 'utf8')) as { count: number; packages: string[]; generated: string };
    assert.equal(raw.count, raw.packages.length);
    assert.ok(raw.packages.length >= 2000 && raw.packages.length <= 3500, `${raw.packages.length} names`);
    assert.equal(new Set(raw.packages).size, raw.packages.length);
    assert.match(raw.generated, /^\d{4}-\d{2}-\d{2}$/);
    for (const n of ['@types/node', '@babel/core', '@aws-sdk/client-s3', '@angular/core', 'react', 'express', 'cross-env', 'electron']) {
      assert.ok(raw.packages.includes(n), n);
    }
    assert.deepEqual(popular.names, raw.packages);
    assert.equal(loadPopularList(), popular, 'the shipped list is read once');
  });

  it('rejects a list that is not one, naming the file and the entry', () => {
    const dir = tmpProject();
    const file = join(dir, 'list.json');
    writeFileSync(file, JSON.stringify({ packages: ['a', 7] }));
    assert.throws(() => loadPopularList(file), (err: unknown) =>
      err instanceof InstallError && err.code === 'POPULAR_LIST_INVALID' && err.message === `${file}: packages[1]: expected a package name, got 7`);
    writeFileSync(file, '{');
    assert.throws(() => loadPopularList(file), (err: unknown) => err instanceof InstallError && err.message.startsWith(`${file}: cannot read`));
    writeFileSync(file, JSON.stringify({ packages: ['left-pad'] }));
    assert.deepEqual(loadPopularList(file).names, ['left-pad']);
  });
});

describe('checkPackage on recorded registry documents', () => {
  const crossEnv = fixture('cross-env');
  const published = Date.parse(crossEnv.time!['10.1.0']!);

  it('refuses a version younger than the minimum release age, and says when it may be installed', () => {
    const ws = checkPackage({
      name: 'cross-env', version: '10.1.0', packument: crossEnv, previousVersion: '10.0.0',
      now: new Date(published + 90 * 60_000), minReleaseAgeMinutes: DAY,
    });
    assert.deepEqual(ws, [{
      kind: 'fresh', package: 'cross-env', version: '10.1.0', severity: 'block',
      message: 'cross-env@10.1.0 was published 90 minutes ago (2025-09-30T11:35:29.889Z); the minimum release age is 1 day',
      detail: { publishedAt: '2025-09-30T11:35:29.889Z', ageMinutes: 90, minReleaseAgeMinutes: DAY, allowedFrom: '2025-10-01T11:35:29.889Z' },
    }]);
  });

  it('says nothing about an old enough version of a popular package with a repository', () => {
    assert.deepEqual(checkPackage({
      name: 'cross-env', version: '10.1.0', packument: crossEnv, now: new Date(published + 2 * DAY * 60_000), minReleaseAgeMinutes: DAY,
    }), []);
    assert.deepEqual(checkPackage({ name: 'request', version: '2.88.2', packument: fixture('request'), now: new Date(), minReleaseAgeMinutes: DAY }), []);
  });

  it('reports a deprecation with its text', () => {
    const request = fixture('request');
    request.versions!['2.88.2']!.deprecated = 'request has been deprecated, see https://github.com/request/request/issues/3142';
    const ws = checkPackage({ name: 'request', version: '2.88.2', packument: request, now: new Date(), minReleaseAgeMinutes: 0 });
    assert.deepEqual(ws.map((w) => [w.kind, w.severity, w.message]), [[
      'deprecated', 'warn', 'request@2.88.2 is deprecated: "request has been deprecated, see https://github.com/request/request/issues/3142"',
    ]]);
  });

  it('flags the event-stream hand-over: a version published by someone who published none before', () => {
    // The recorded document, with the publishers and maintainers of 2018 (this registry mirror omits
    // _npmUser and maintainers) and the malicious 3.3.6, which the registry no longer serves.
    const es = fixture('event-stream');
    for (const v of ['3.3.4', '3.3.5', '4.0.0', '4.0.1']) {
      es.versions![v]!._npmUser = { name: 'dominictarr', email: 'dominic.tarr@gmail.com' };
      es.versions![v]!.maintainers = [{ name: 'dominictarr', email: 'dominic.tarr@gmail.com' }];
    }
    es.versions!['3.3.6'] = {
      name: 'event-stream', version: '3.3.6', repository: es.versions!['3.3.5']!.repository,
      _npmUser: { name: 'right9ctrl', email: 'right9ctrl@outlook.com' },
      maintainers: [{ name: 'dominictarr', email: 'dominic.tarr@gmail.com' }, { name: 'right9ctrl', email: 'right9ctrl@outlook.com' }],
    };
    es.time!['3.3.6'] = '2025-01-10T00:00:00.000Z';
    const ws = checkPackage({ name: 'event-stream', version: '3.3.6', packument: es, previousVersion: '3.3.5', now: new Date('2025-02-01T00:00:00Z'), minReleaseAgeMinutes: DAY });
    assert.deepEqual(ws.map((w) => [w.kind, w.severity, w.message]), [
      ['new-publisher', 'warn', 'event-stream@3.3.6 was published by "right9ctrl", who published none of the 4 earlier versions (3.3.5 was published by "dominictarr")'],
      ['new-maintainer', 'warn', 'event-stream@3.3.6 lists a maintainer that 3.3.5 did not: "right9ctrl"'],
    ]);
    assert.deepEqual(ws[0]!.detail, { publisher: 'right9ctrl', earlierPublishers: ['dominictarr'], earlierVersions: 4, previousVersion: '3.3.5', previousPublisher: 'dominictarr' });
    assert.deepEqual(ws[1]!.detail, { added: ['right9ctrl'], previousVersion: '3.3.5', previousMaintainers: ['dominictarr'] });
    // The next release by the same newcomer is no longer new.
    es.versions!['3.3.7'] = { ...es.versions!['3.3.6']!, version: '3.3.7' };
    es.time!['3.3.7'] = '2025-01-11T00:00:00.000Z';
    assert.deepEqual(kinds(checkPackage({ name: 'event-stream', version: '3.3.7', packument: es, previousVersion: '3.3.6', now: new Date('2025-02-01'), minReleaseAgeMinutes: 0 })), []);
  });

  it('warns about a typosquat name with the popular package it imitates', () => {
    const squat: Packument = { ...fixture('cross-env'), name: 'crossenv' };
    const ws = checkPackage({ name: 'crossenv', version: '10.1.0', packument: squat, now: new Date('2026-01-01'), minReleaseAgeMinutes: 0 });
    assert.deepEqual(ws, [{
      kind: 'typosquat', package: 'crossenv', version: '10.1.0', severity: 'warn',
      message: 'crossenv@10.1.0 may be a typosquat of the popular package "cross-env" (the same letters with other separators)',
      detail: { similarTo: 'cross-env', reason: 'separators', distance: 1, matches: [{ similarTo: 'cross-env', reason: 'separators', distance: 1 }] },
    }]);
  });
});

describe('checkPackage: release age and publish times', () => {
  const p = doc({ '1.0.0': { minutes: 0 } });
  const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1) + minutes * 60_000);

  it('blocks below the minimum age, passes at it, and is off at 0', () => {
    assert.deepEqual(kinds(check({ packument: p, now: at(59), minReleaseAgeMinutes: 60 })), ['fresh']);
    assert.equal(check({ packument: p, now: at(59), minReleaseAgeMinutes: 60 })[0]!.message,
      'some-package@1.0.0 was published 59 minutes ago (2025-01-01T00:00:00.000Z); the minimum release age is 1 hour');
    assert.deepEqual(check({ packument: p, now: at(60), minReleaseAgeMinutes: 60 }), []);
    assert.deepEqual(check({ packument: p, now: at(1), minReleaseAgeMinutes: 0 }), []);
    assert.deepEqual(check({ packument: p, now: at(1), minReleaseAgeMinutes: -5 }), []);
  });

  it('treats a publish time in the future as fresh', () => {
    const [w] = check({ packument: p, now: at(-120), minReleaseAgeMinutes: 10 });
    assert.equal(w?.message, 'some-package@1.0.0 has a publish time in the future (2025-01-01T00:00:00.000Z); the minimum release age is 10 minutes');
    assert.equal(w?.detail.ageMinutes, -120);
  });

  it('reports a missing or unreadable publish time, blocking only when a minimum age is set', () => {
    const none = doc({ '1.0.0': {} });
    assert.deepEqual(check({ packument: none, minReleaseAgeMinutes: 60 }).map((w) => [w.kind, w.severity, w.message]), [
      ['no-publish-time', 'block', 'some-package@1.0.0 has no publish time in the registry document, so its release age cannot be checked'],
    ]);
    assert.deepEqual(check({ packument: none }).map((w) => w.severity), ['warn']);
    for (const bad of ['yesterday', '1', '2025-13-45T99:99Z', 42, null]) {
      const odd = doc({ '1.0.0': {} });
      (odd.time as Record<string, unknown>)['1.0.0'] = bad;
      const ws = check({ packument: odd, minReleaseAgeMinutes: 60 });
      assert.deepEqual(ws.map((w) => w.message), ['some-package@1.0.0 has an unreadable publish time in the registry document, so its release age cannot be checked'], String(bad));
    }
  });
});

describe('checkPackage: repository and deprecation', () => {
  it('accepts a repository on the version or on the document, as a string or { url }', () => {
    const p = doc({ '1.0.0': { minutes: 0 } });
    delete p.versions!['1.0.0']!.repository;
    assert.deepEqual(kinds(check({ packument: p })), ['no-repository']);
    assert.equal(check({ packument: p })[0]!.message, 'some-package@1.0.0 names no source repository, so its published code cannot be compared with a public source');
    assert.deepEqual(check({ packument: { ...p, repository: 'github:o/some-package' } }), []);
    p.versions!['1.0.0']!.repository = { type: 'git', url: '  ' };
    assert.deepEqual(kinds(check({ packument: p })), ['no-repository']);
  });

  it('ignores an empty deprecation (npm un-deprecates with "") and cleans the text of escapes', () => {
    assert.deepEqual(check({ packument: doc({ '1.0.0': { minutes: 0, deprecated: '' } }) }), []);
    const evil = '\u001b[2J\u001b[31mall good\nreally\u202e' + 'x'.repeat(500);
    const [w] = check({ packument: doc({ '1.0.0': { minutes: 0, deprecated: evil } }) });
    assert.equal(w?.kind, 'deprecated');
    assert.doesNotMatch(w!.message, /[\u0000-\u001f\u202e]/);
    assert.ok(w!.message.startsWith('some-package@1.0.0 is deprecated: "[2J [31mall good really xxx'), w!.message);
    assert.ok(w!.message.length < 260, `${w!.message.length} characters`);
  });
});

describe('checkPackage: publishers and maintainers', () => {
  it('says nothing for a first release, a returning publisher or a document without publishers', () => {
    assert.deepEqual(check({ packument: doc({ '1.0.0': { minutes: 0, publisher: 'alice' } }) }), []);
    const team = doc({ '0.9.0': { minutes: 0, publisher: 'bob' }, '0.9.1': { minutes: 1, publisher: 'alice' }, '1.0.0': { minutes: 2, publisher: 'bob' } });
    assert.deepEqual(check({ packument: team, previousVersion: '0.9.1' }), []);
    assert.deepEqual(check({ packument: doc({ '0.9.0': { minutes: 0 }, '1.0.0': { minutes: 1, publisher: 'mallory' } }) }), []);
  });

  it('compares with every earlier publisher even without a previous version', () => {
    const p = doc({ '0.9.0': { minutes: 0, publisher: 'alice' }, '0.9.1': { minutes: 1, publisher: 'bob' }, '1.0.0': { minutes: 2, publisher: 'mallory' } });
    assert.deepEqual(check({ packument: p }).map((w) => w.message), [
      'some-package@1.0.0 was published by "mallory", who published none of the 2 earlier versions (earlier versions were published by "alice", "bob")',
    ]);
  });

  it('orders versions by publish time, so a backport by a known publisher is not new', () => {
    const p = doc({ '1.0.0': { minutes: 0, publisher: 'alice' }, '2.0.0': { minutes: 1, publisher: 'bob' }, '1.0.1': { minutes: 2, publisher: 'bob' } });
    assert.deepEqual(check({ packument: p, version: '1.0.1', previousVersion: '1.0.0' }), []);
    // …and a version published before every other one has nothing to be compared with.
    const q = doc({ '1.0.0': { minutes: 5, publisher: 'alice' }, '0.1.0': { minutes: 0, publisher: 'eve' } });
    assert.deepEqual(check({ packument: q, version: '0.1.0' }), []);
  });

  it('falls back to semver order when publish times are missing', () => {
    const p = doc({ '1.0.0-beta.2': { publisher: 'alice' }, '1.0.0': { publisher: 'mallory' }, '1.0.1': { publisher: 'bob' } });
    const ws = check({ packument: p, previousVersion: '1.0.0-beta.2' });
    assert.deepEqual(kinds(ws), ['no-publish-time', 'new-publisher']);
    assert.deepEqual(ws[1]!.detail, { publisher: 'mallory', earlierPublishers: ['alice'], earlierVersions: 1, previousVersion: '1.0.0-beta.2', previousPublisher: 'alice' });
  });

  it('lists new maintainers, reading legacy "name <email>" entries too', () => {
    const p = doc({ '1.0.0': { minutes: 0, maintainers: ['alice'] }, '2.0.0': { minutes: 1, maintainers: ['alice', 'eve', 'mallory', 'trent', 'zed'] } });
    (p.versions!['1.0.0']!.maintainers as unknown[]).push('bob <bob@example.com>');
    const ws = check({ packument: p, version: '2.0.0', previousVersion: '1.0.0' });
    assert.deepEqual(ws.map((w) => w.message), ['some-package@2.0.0 lists maintainers that 1.0.0 did not: "eve", "mallory", "trent", and 1 more']);
    assert.deepEqual(ws[0]!.detail.previousMaintainers, ['alice', 'bob']);
    // Without a previous version, or one without maintainers, there is nothing to compare.
    assert.deepEqual(check({ packument: p, version: '2.0.0' }), []);
    delete p.versions!['1.0.0']!.maintainers;
    assert.deepEqual(check({ packument: p, version: '2.0.0', previousVersion: '1.0.0' }), []);
  });
});

describe('checkPackage on hostile documents', () => {
  const shapes: unknown[] = [
    null, 42, 'packument', [], {}, { versions: null }, { versions: [] }, { versions: 'x' }, { versions: { '1.0.0': 'x' } },
    { versions: { '1.0.0': [] } }, { time: 5 }, { time: [] }, { time: { '1.0.0': {} } },
    { versions: { '1.0.0': { _npmUser: 5, maintainers: 'eve', deprecated: {}, repository: { url: 5 } } } },
    { versions: { '1.0.0': { _npmUser: { name: {} }, maintainers: [null, 5, { name: 7 }, ''] }, '0.1.0': { _npmUser: 'eve' } } },
    { versions: { '1.0.0': { _npmUser: { name: 'eve' } }, 'not-semver': { _npmUser: { name: 'bob' } }, '99999999999999999999.0.0': { _npmUser: { name: 'x' } } } },
    JSON.parse('{"versions":{"__proto__":{"_npmUser":{"name":"eve"}},"1.0.0":{"_npmUser":{"name":"bob"}}},"time":{"__proto__":"2025-01-01T00:00:00Z"}}'),
  ];
  for (const [i, shape] of shapes.entries()) {
    it(`never throws (shape ${i}: ${JSON.stringify(shape)?.slice(0, 60)})`, () => {
      for (const version of ['1.0.0', '__proto__', 'constructor', 'toString']) {
        const ws = check({ packument: shape as Packument, version, previousVersion: '0.1.0', minReleaseAgeMinutes: 60 });
        assert.ok(Array.isArray(ws));
        for (const w of ws) assert.equal(typeof w.message, 'string');
      }
    });
  }

  it('reads only what it can: a bare document gives no time and no repository, nothing else', () => {
    assert.deepEqual(kinds(check({ packument: null as unknown as Packument, minReleaseAgeMinutes: 60 })), ['no-publish-time', 'no-repository']);
    assert.deepEqual(kinds(check({ packument: { versions: { '1.0.0': { _npmUser: 5 as never, deprecated: {} as never } } } })), ['no-publish-time', 'no-repository']);
  });

  it('does not mistake inherited properties for versions', () => {
    const p = JSON.parse('{"versions":{"__proto__":{"_npmUser":{"name":"alice"}},"1.0.0":{"_npmUser":{"name":"bob"},"repository":"x"}},"time":{"__proto__":"2025-01-01T00:00:00Z","1.0.0":"2025-01-02T00:00:00Z"}}') as Packument;
    assert.deepEqual(kinds(check({ packument: p })), ['new-publisher'], 'the own "__proto__" version counts as an earlier version');
    assert.deepEqual(kinds(check({ packument: p, version: 'constructor', minReleaseAgeMinutes: 1 })), ['no-publish-time', 'no-repository']);
  });

  it('keeps a hostile name out of the terminal', () => {
    const [w] = check({ name: 'evil\u001b]0;pwned\u0007', packument: doc({ '1.0.0': {} }) });
    assert.equal(w?.message, 'evil ]0;pwned@1.0.0 has no publish time in the registry document, so its release age cannot be checked');
  });
});

describe('semver order', () => {
  it('follows semver precedence, including pre-releases and huge numbers', () => {
    const sorted = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1+build.5', '1.10.0', '99999999999999999999.0.0'];
    for (let i = 0; i + 1 < sorted.length; i++) assert.equal(compareVersions(sorted[i]!, sorted[i + 1]!), -1, `${sorted[i]} < ${sorted[i + 1]}`);
    assert.equal(compareVersions('1.0.0+a', '1.0.0+b'), 0);
    assert.equal(compareVersions('1.0', '1.0.0'), undefined);
    assert.equal(compareVersions('latest', '1.0.0'), undefined);
  });
});

describe('provenance dropped', () => {
  it('refuses a version without provenance published after one with it (nx, axios)', () => {
    const p = doc({ '1.0.0': { minutes: 0, provenance: true }, '1.1.0': { minutes: 10, provenance: true }, '1.2.0': { minutes: 20 } });
    const ws = check({ packument: p, version: '1.2.0' });
    assert.deepEqual(ws.map((w) => [w.kind, w.severity]), [['provenance-dropped', 'block']]);
    assert.match(ws[0]!.message, /some-package@1\.2\.0 has no provenance attestation, but 1\.1\.0, published before it, had one/);
    assert.deepEqual(kinds(check({ packument: p, version: '1.1.0' })), [], 'with provenance');
  });

  it('is judged against the version published just before, by time, then by semver order', () => {
    // A 0.x backport published after 1.1.0 without provenance: the version before it in time had it.
    const p = doc({ '0.9.0': { minutes: 0 }, '1.1.0': { minutes: 10, provenance: true }, '0.9.1': { minutes: 20 } });
    assert.deepEqual(kinds(check({ packument: p, version: '0.9.1' })), ['provenance-dropped']);
    // A project that stopped publishing with provenance long ago is not flagged again and again.
    const q = doc({ '1.0.0': { minutes: 0, provenance: true }, '1.1.0': { minutes: 10 }, '1.2.0': { minutes: 20 } });
    assert.deepEqual(kinds(check({ packument: q, version: '1.2.0' })), []);
    // No publish times: semver order decides.
    const r = doc({ '1.0.0': { provenance: true }, '2.0.0': {} });
    delete r.time;
    assert.ok(kinds(check({ packument: r, version: '2.0.0' })).includes('provenance-dropped'));
  });
});
