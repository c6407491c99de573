// Finer grants in the policy: host patterns and path grants (grammar, canonical forms, matching,
// coverage), their validation errors, what counts as gained, how copies and declarations join, and
// how re-running init keeps a restriction made by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalHost, describeEntry, gained, hostAllowed, hostPatternCovers, mergePolicy, normalizeEntry, parseHostPattern, parsePathGrant,
  pathGrantCovers, pathInside, PolicyError, serializePolicy, validatePolicy, type HostPattern, type PathGrant, type Policy,
} from '../src/policy/index.js';
import { union } from '../src/analyze/index.js';

const pattern = (text: string): HostPattern => {
  const p = parseHostPattern(text);
  assert.notEqual(typeof p, 'string', `${text}: ${String(p)}`);
  return p as HostPattern;
};
const allowed = (patterns: string[], host: string, port: number | null) => hostAllowed(patterns.map(pattern), host, port);
const grant = (text: string): PathGrant => {
  const g = parsePathGrant(text);
  assert.notEqual(typeof g, 'string', `${text}: ${String(g)}`);
  return g as PathGrant;
};

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err));
    return err;
  }
  assert.fail('expected an error');
}

describe('host patterns', () => {
  it('spells every form of an address the way getaddrinfo and the URL parser read it', () => {
    for (const form of ['127.0.0.1', '127.1', '0x7f.0.0.1', '0177.0.0.1', '2130706433', '[::ffff:127.0.0.1]', '::ffff:7f00:1']) {
      assert.equal(canonicalHost(form), '127.0.0.1', form);
    }
    assert.equal(canonicalHost('::1'), '[::1]');
    assert.equal(canonicalHost('[0:0:0:0:0:0:0:1]'), '[::1]');
    assert.equal(canonicalHost('Registry.NPMJS.org.'), 'registry.npmjs.org');
    assert.equal(canonicalHost('bücher.example'), 'xn--bcher-kva.example');
    for (const bad of ['', 'a..b', 'evil.com/x', 'user@evil.com', 'a b', '1.2.3.256', 'x'.repeat(64) + '.com', '*.example.com']) {
      assert.equal(canonicalHost(bad), null, bad);
    }
  });

  it('matches exact hosts, subdomain wildcards, ports, IPv6 and international names', () => {
    assert.ok(allowed(['registry.npmjs.org'], 'registry.npmjs.org', 443));
    assert.ok(allowed(['registry.npmjs.org'], 'REGISTRY.npmjs.org.', 80), 'case and a trailing dot do not matter');
    assert.ok(!allowed(['registry.npmjs.org'], 'registry.npmjs.org.evil.com', 443));
    assert.ok(!allowed(['registry.npmjs.org'], 'evilregistry.npmjs.org', 443));
    assert.ok(allowed(['*.example.com'], 'api.example.com', 443));
    assert.ok(allowed(['*.example.com'], 'a.b.example.com', 443));
    assert.ok(!allowed(['*.example.com'], 'example.com', 443), 'the wildcard needs a label');
    assert.ok(!allowed(['*.example.com'], 'badexample.com', 443));
    assert.ok(allowed(['api.example.com:8443'], 'api.example.com', 8443));
    assert.ok(!allowed(['api.example.com:8443'], 'api.example.com', 443));
    assert.ok(allowed(['api.example.com:8443'], 'api.example.com', null), 'a DNS lookup has no port');
    assert.ok(allowed(['[::1]'], '::1', 80) && allowed(['[::1]:80'], '[0::1]', 80) && !allowed(['[::1]:80'], '::1', 81));
    assert.ok(allowed(['bücher.example'], 'xn--bcher-kva.example', 443) && allowed(['xn--bcher-kva.example'], 'BÜCHER.example', 443));
    assert.ok(allowed(['127.0.0.1'], '127.1', 80) && allowed(['127.0.0.1'], '2130706433', 80), 'numeric forms of the same address');
    assert.ok(!allowed(['127.0.0.1'], '127.0.0.2', 80));
    assert.ok(!allowed(['*.example.com'], '10.0.0.1', 80), 'a wildcard never matches an address');
    assert.ok(allowed(['*'], 'anything.at.all', 1) && allowed(['*:443'], 'x.y', 443) && !allowed(['*:443'], 'x.y', 80));
    assert.ok(allowed(['localhost'], '127.0.0.1', 80) && allowed(['127.0.0.1'], 'localhost', 80) && allowed(['[::1]:5'], 'localhost', 5));
    assert.ok(!allowed(['localhost'], '127.0.0.2', 80));
    assert.ok(!allowed(['example.com'], 'example.com/evil', 80) && !allowed(['example.com'], '', 80));
  });

  it('says what is wrong with a pattern', () => {
    assert.match(String(parseHostPattern('https://registry.npmjs.org')), /a host, not a URL/);
    assert.match(String(parseHostPattern('::1')), /IPv6 address in brackets/);
    assert.match(String(parseHostPattern('api.*.com')), /whole leading labels/);
    assert.match(String(parseHostPattern('x.com:0')), /"0" is not a port/);
    assert.match(String(parseHostPattern('x.com:99999')), /not a port/);
    assert.deepEqual(parseHostPattern('unix:$tmp/app.sock'), { kind: 'unix', path: { base: '$tmp', rest: 'app.sock' } });
  });

  it('knows when one pattern covers another', () => {
    const covers = (a: string, b: string) => hostPatternCovers(pattern(a), pattern(b));
    assert.ok(covers('*.example.com', 'api.example.com') && covers('*.example.com', '*.a.example.com'));
    assert.ok(!covers('*.example.com', 'example.com') && !covers('api.example.com', '*.example.com'));
    assert.ok(covers('api.example.com', 'api.example.com:8443') && !covers('api.example.com:8443', 'api.example.com'));
    assert.ok(covers('*', 'x.com:1') && !covers('x.com', '*'));
  });
});

describe('path grants', () => {
  it('takes variables and absolute paths, drops a trailing slash, and refuses ".." and relative paths', () => {
    assert.deepEqual(grant('$package'), { base: '$package', rest: '' });
    assert.deepEqual(grant('$project/config/'), { base: '$project', rest: 'config' });
    assert.deepEqual(grant('/etc/ssl/certs'), { base: '/', rest: 'etc/ssl/certs' });
    for (const bad of ['config', './x', '$project/../x', '$project/./x', '$project//x', '$nope', '$HOME', '~/x', 'C:\\x', '/a/../b']) {
      assert.equal(typeof parsePathGrant(bad), 'string', bad);
    }
  });

  it('covers its own folder and what is below it, never a sibling with the same prefix', () => {
    assert.ok(pathGrantCovers(grant('$project'), grant('$project/config')));
    assert.ok(!pathGrantCovers(grant('$project/config'), grant('$project/config2')));
    assert.ok(!pathGrantCovers(grant('$project'), grant('$home')), 'different variables are not compared');
    assert.ok(pathGrantCovers(grant('/'), grant('/etc')));
    assert.ok(pathInside('/p/config/a.json', '/p/config') && pathInside('/p/config', '/p/config/'));
    assert.ok(!pathInside('/p/config2/a.json', '/p/config') && !pathInside('/p', '/p/config'));
    assert.ok(pathInside('/anything', '/'));
    assert.ok(!pathInside('/P/Config/x', '/p/config'), 'case-sensitive where the file system is');
    assert.ok(pathInside('/P/Config/x', '/p/config', true), 'and not where it is not');
  });
});

describe('net and fs in a policy file', () => {
  it('validates and stores them canonically, in order', () => {
    const p = validatePolicy({
      version: 1,
      packages: { a: { fs: { write: ['$tmp/'], read: ['$package', '$project/config', '$tmp/x'] }, net: ['Registry.npmjs.org', '127.1', '[0::1]:8080', 'bücher.example'], builtins: ['http'] } },
    }, 'packsec.policy.json');
    assert.equal(serializePolicy(p), `{
  "version": 1,
  "packages": {
    "a": {
      "builtins": [
        "http"
      ],
      "net": [
        "127.0.0.1",
        "[::1]:8080",
        "registry.npmjs.org",
        "xn--bcher-kva.example"
      ],
      "fs": {
        "read": [
          "$package",
          "$project/config"
        ],
        "write": [
          "$tmp"
        ]
      }
    }
  }
}
`);
  });

  it('keeps an empty grant: it allows nothing, unlike an absent one', () => {
    const p = validatePolicy({ version: 1, packages: { a: { builtins: ['net'], net: [], fs: {} } } }, 'p');
    assert.deepEqual(p.packages.a, { builtins: ['net'], net: [], fs: {} });
    assert.match(serializePolicy(p), /"net": \[\],\n\s*"fs": \{\}/);
    assert.deepEqual(describeEntry(p.packages.a!), ['builtins:net', 'net:(none)', 'fs.read:(none)']);
  });

  it('names the file, the JSON path and what was expected', () => {
    const err = errorOf(() => validatePolicy({
      version: 1,
      packages: { x: { net: ['https://x.com', 42, '::1'], fs: { read: ['config', '$project/../etc'], write: '$tmp', exec: [] } }, y: { net: 'x.com', fs: ['$tmp'] } },
    }, 'packsec.policy.json'));
    assert.deepEqual(err.message.split('\n'), [
      'packsec.policy.json: packages.x.net[0]: expected a host pattern like "registry.npmjs.org", "*.example.com", "api.example.com:8443", "127.0.0.1", "[::1]" or "unix:$tmp/app.sock" (a host, not a URL), got "https://x.com"',
      'packsec.policy.json: packages.x.net[1]: expected a string, got 42',
      'packsec.policy.json: packages.x.net[2]: expected a host pattern like "registry.npmjs.org", "*.example.com", "api.example.com:8443", "127.0.0.1", "[::1]" or "unix:$tmp/app.sock"; write an IPv6 address in brackets, as "[::1]", got "::1"',
      'packsec.policy.json: packages.x.fs.read[0]: expected "$package", "$project", "$tmp" or "$home" (optionally followed by /sub/folder) or an absolute path, got "config"',
      'packsec.policy.json: packages.x.fs.read[1]: expected "$package", "$project", "$tmp" or "$home" (optionally followed by /sub/folder) or an absolute path, without empty, "." or ".." segments, got "$project/../etc"',
      'packsec.policy.json: packages.x.fs.write: expected an array of paths, got "$tmp"',
      'packsec.policy.json: packages.x.fs.exec: unknown field (expected "read" and "write")',
      'packsec.policy.json: packages.y.net: expected an array of host patterns, got "x.com"',
      'packsec.policy.json: packages.y.fs: expected an object like { "read": ["$package"], "write": ["$tmp"] }, got an array',
    ]);
  });

  it('drops a read path that a write path covers', () => {
    assert.deepEqual(normalizeEntry({ fs: { read: ['$tmp/a', '$package'], write: ['$tmp'] } }), { fs: { read: ['$package'], write: ['$tmp'] } });
  });
});

describe('gained hosts and paths', () => {
  const web3 = { builtins: ['https.request'], net: ['api.mainnet-beta.solana.com'] };

  it('a second host is a gained capability; a host the first covers is not', () => {
    assert.deepEqual(describeEntry(gained(web3, { ...web3, net: ['api.mainnet-beta.solana.com', 'collector.evil.example'] })), ['net:collector.evil.example']);
    assert.deepEqual(gained({ ...web3, net: ['*.solana.com'] }, web3), {});
    assert.deepEqual(gained(web3, { ...web3, net: ['api.mainnet-beta.solana.com:443'] }), {});
  });

  it('losing the restriction (hosts no longer known) gains every host; gaining one where there was none shows the hosts', () => {
    assert.deepEqual(describeEntry(gained(web3, { builtins: ['https.request'] })), ['net:*']);
    assert.deepEqual(describeEntry(gained({}, web3)), ['builtins:https.request', 'net:api.mainnet-beta.solana.com']);
  });

  it('a host named anew is gained even where any host was allowed (inference keeps named hosts beside "*")', () => {
    const open = { builtins: ['https.request'], net: ['*', 'api.mainnet-beta.solana.com'] };
    assert.deepEqual(gained(open, open), {});
    assert.deepEqual(describeEntry(gained(open, { ...open, net: ['*', 'api.mainnet-beta.solana.com', 'collector.evil.example'] })), ['net:collector.evil.example']);
    assert.deepEqual(describeEntry(gained({ builtins: ['https'] }, web3)), ['net:api.mainnet-beta.solana.com'], 'no field at all named no host');
    assert.deepEqual(describeEntry(gained(web3, open)), ['net:*'], 'opening up is gained');
    assert.deepEqual(gained(open, web3), {}, 'narrowing is not');
    assert.deepEqual(normalizeEntry({ builtins: ['http'], net: ['*'] }), { builtins: ['http'] }, 'a lone "*" is no restriction at all');
  });

  it('a wider path, or write where there was read, is gained', () => {
    const base = { builtins: ['fs.readFileSync', 'fs.writeFileSync'], fs: { read: ['$package'], write: ['$tmp/cache'] } };
    assert.deepEqual(gained(base, { ...base, fs: { read: ['$package/data'], write: ['$tmp/cache/x'] } }), {});
    assert.deepEqual(describeEntry(gained(base, { ...base, fs: { read: ['$home/.npmrc'], write: ['$tmp'] } })), ['fs.read:$home/.npmrc', 'fs.write:$tmp']);
    assert.deepEqual(describeEntry(gained(base, { ...base, fs: { write: ['$package'] } })), ['fs.write:$package']);
    assert.deepEqual(describeEntry(gained(base, { builtins: base.builtins })), ['fs.write:*']);
    assert.deepEqual(describeEntry(gained({ builtins: ['fs.readFileSync'], fs: { read: ['$package'] } }, { builtins: ['fs.readFileSync'] })), ['fs.read:*']);
  });
});

describe('joining copies, declarations and community additions', () => {
  it('is unrestricted when one copy reaches any host, and joins the hosts of the others', () => {
    assert.deepEqual(union([{ builtins: ['http.get'], net: ['a.com'] }, { builtins: ['https.get'], net: ['b.com'] }]).net, ['a.com', 'b.com']);
    assert.deepEqual(union([{ builtins: ['http.get'], net: ['a.com'] }, { builtins: ['https.get'] }]).net, ['*', 'a.com'], 'any host, a.com on record');
    assert.equal(union([{ builtins: ['http.get'] }, { builtins: ['https.get'] }]).net, undefined);
    assert.deepEqual(union([{ builtins: ['http.get'], net: ['a.com'] }, { builtins: ['path.join'] }]).net, ['a.com'], 'a copy without network adds nothing');
    assert.deepEqual(union([{ builtins: ['fs.readFileSync'], fs: { read: ['$package'] } }, { files: ['x.js'] }]).fs, { read: ['$package'] });
  });
});

describe('re-init keeps restrictions made by hand', () => {
  const policy = (packages: Policy['packages']): Policy => ({ version: 1, packages });
  const http = { builtins: ['https.request'] };

  it('a restriction added by hand where inference could not bound the hosts stays', () => {
    const r = mergePolicy(policy({ a: { ...http, net: ['api.example.com'] } }), { a: http }, { a: http });
    assert.deepEqual(r.policy.packages.a, { ...http, net: ['api.example.com'] });
    assert.deepEqual(r.changed, []);
    assert.deepEqual(r.keptEdits, [{ name: 'a', added: ['net:api.example.com'], removed: ['net:*'] }]);
  });

  it('a host removed by hand stays removed, a host found anew is added, and a hand-made list survives inference losing track', () => {
    const prev = { a: { ...http, net: ['a.com', 'b.com'] } };
    const r = mergePolicy(policy({ a: { ...http, net: ['a.com'] } }), prev, { a: { ...http, net: ['a.com', 'b.com', 'c.com'] } });
    assert.deepEqual(r.policy.packages.a?.net, ['a.com', 'c.com']);
    const lost = mergePolicy(policy({ a: { ...http, net: ['a.com'] } }), prev, { a: http });
    assert.deepEqual(lost.policy.packages.a?.net, ['a.com']);
  });

  it('an untouched restriction follows inference, also when it widens (and says so)', () => {
    const prev = { a: { ...http, net: ['a.com'] } };
    const widened = mergePolicy(policy(prev), prev, { a: http });
    assert.equal(widened.policy.packages.a?.net, undefined);
    assert.deepEqual(widened.changed.map((c) => [describeEntry(c.gained), describeEntry(c.lost)]), [[['net:*'], ['net:a.com']]]);
    const narrowed = mergePolicy(policy({ a: http }), { a: http }, { a: { ...http, net: ['a.com'] } });
    assert.deepEqual(narrowed.policy.packages.a?.net, ['a.com']);
  });

  it('a restriction removed by hand stays removed', () => {
    const prev = { a: { ...http, net: ['a.com'] } };
    const r = mergePolicy(policy({ a: http }), prev, prev);
    assert.equal(r.policy.packages.a?.net, undefined);
  });

  it('narrows a package-shipped declaration and keeps it narrowed', () => {
    // What init got from the package's own "packsec" field (or a community declaration), then edited by hand.
    const declared = { builtins: ['fs.readFileSync', 'https.get'], net: ['api.example.com', 'cdn.example.com'], fs: { read: ['$package', '$home'] } };
    const edited = { builtins: ['fs.readFileSync', 'https.get'], net: ['api.example.com'], fs: { read: ['$package'] } };
    const r = mergePolicy(policy({ a: edited }), { a: declared }, { a: declared });
    assert.deepEqual(r.policy.packages.a, edited);
    assert.deepEqual(r.keptEdits, [{ name: 'a', added: [], removed: ['net:cdn.example.com', 'fs.read:$home'] }]);
  });

  it('without a record of the last inference, keeps the hand-made lines', () => {
    const r = mergePolicy(policy({ a: { ...http, net: ['b.com'], fs: { read: ['$tmp'] } } }), null, { a: { ...http, net: ['a.com'] } });
    assert.deepEqual(r.policy.packages.a, { ...http, net: ['a.com', 'b.com'], fs: { read: ['$tmp'] } });
  });
});
