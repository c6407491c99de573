// Registry signatures as npm checks them, against packsec's own registry on 127.0.0.1 (which signs the way
// registry.npmjs.org does), with tampered names, versions, integrities, signatures, keys and expiries.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { seedPackage, startRegistry, type RunningRegistry } from '../src/registry/index.js';
import { parseRegistryKeys, verifyRegistrySignature, VerifyError, type RegistryKey } from '../src/verify/index.js';
import { tmpDir } from './registry-helpers.js';

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return res.json();
}

describe('registry signatures', () => {
  let reg: RunningRegistry;
  let keysDoc: any;
  let keys: RegistryKey[];
  let dist: { integrity: string; signatures: { keyid: string; sig: string }[] };
  let publishedAt: Date;
  let otherSig: { keyid: string; sig: string };

  before(async () => {
    const data = tmpDir('packsec-sig-');
    await seedPackage(data, { name: '@scope/signed', version: '1.0.0', time: '2024-03-01T10:00:00.000Z' });
    await seedPackage(data, { name: '@scope/signed', version: '1.0.1', time: '2024-03-02T10:00:00.000Z' });
    reg = await startRegistry({ dataDir: data, port: 0 });
    keysDoc = await getJson(`${reg.url}/-/npm/v1/keys`);
    keys = parseRegistryKeys(keysDoc, `${reg.url}/-/npm/v1/keys`);
    const doc = await getJson(`${reg.url}/@scope%2fsigned`);
    dist = doc.versions['1.0.0'].dist;
    publishedAt = new Date(doc.time['1.0.0']);
    otherSig = doc.versions['1.0.1'].dist.signatures[0];
  });
  after(() => reg.close());

  const check = (over: Partial<Parameters<typeof verifyRegistrySignature>[1]> = {}, withKeys = keys) =>
    verifyRegistrySignature(withKeys, { name: '@scope/signed', version: '1.0.0', integrity: dist.integrity, signatures: dist.signatures, publishedAt, ...over });

  it('reads the registry\'s keys and verifies a real signature', () => {
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.keyid, reg.keyid);
    assert.equal(keys[0]!.expires, null);
    assert.deepEqual(check(), { status: 'verified', keyid: reg.keyid });
  });

  it('refuses another version, another name, another integrity and a swapped signature', () => {
    const reasons = [
      check({ version: '1.0.1' }),
      check({ name: '@scope/other' }),
      check({ integrity: 'sha512-' + Buffer.alloc(64, 7).toString('base64') }),
      check({ signatures: [otherSig] }),
    ];
    for (const r of reasons) {
      assert.equal(r.status, 'failed');
      assert.match((r as { reason: string }).reason, /does not match @scope\/(signed|other)@1\.0\.[01] with integrity/);
    }
  });

  it('refuses an unknown keyid, a key that expired before publication, and a key packsec cannot check', () => {
    const unknown = check({ signatures: [{ ...dist.signatures[0]!, keyid: 'SHA256:nobody' }] });
    assert.equal(unknown.status, 'failed');
    assert.match((unknown as { reason: string }).reason, /"SHA256:nobody", which is not among the registry's keys/);

    const expiring = parseRegistryKeys({ keys: [{ ...keysDoc.keys[0], expires: '2024-03-01T09:00:00.000Z' }] }, 'test');
    const expired = check({}, expiring);
    assert.match((expired as { reason: string }).reason, /expired 2024-03-01T09:00:00.000Z, and this version was published 2024-03-01T10:00:00.000Z/);
    const stillValid = parseRegistryKeys({ keys: [{ ...keysDoc.keys[0], expires: '2024-03-01T11:00:00.000Z' }] }, 'test');
    assert.equal(check({}, stillValid).status, 'verified', 'a key that expired after publication still vouches for it');
    assert.equal(check({ publishedAt: undefined }, stillValid).status, 'failed', 'without a publish time, an expired key vouches for nothing');

    const ed = parseRegistryKeys({ keys: [{ ...keysDoc.keys[0], keytype: 'ed25519', scheme: 'ed25519' }] }, 'test');
    assert.match((check({}, ed) as { reason: string }).reason, /ed25519\/ed25519, which packsec cannot check/);
  });

  it('accepts a signature by any valid key in the list, and requires every listed signature to verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const extra = { keyid: 'SHA256:extra', keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', expires: null, key: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
    const both = parseRegistryKeys({ keys: [extra, keysDoc.keys[0]] }, 'test');
    const sig = sign('sha256', Buffer.from(`@scope/signed@1.0.0:${dist.integrity}`), privateKey).toString('base64');
    assert.deepEqual(check({ signatures: [{ keyid: 'SHA256:extra', sig }] }, both), { status: 'verified', keyid: 'SHA256:extra' });
    assert.equal(check({ signatures: [...dist.signatures, { keyid: 'SHA256:extra', sig: otherSig.sig }] }, both).status, 'failed');
  });

  it('tells unsigned versions and a registry without keys apart from failures', () => {
    assert.deepEqual(check({ signatures: undefined }), { status: 'unsigned' });
    assert.deepEqual(check({ signatures: [] }), { status: 'unsigned' });
    assert.deepEqual(check({}, []), { status: 'no-keys' });
  });

  it('never throws on hostile signatures', () => {
    const hostile: unknown[] = [
      'sig', 42, {}, [null], [42], [{ keyid: 1, sig: 2 }], [{ keyid: reg.keyid, sig: '!!!' }], [{ keyid: reg.keyid, sig: 'AAAA' }],
      [{ keyid: reg.keyid, sig: 'A'.repeat(5000) }], new Array(10_000).fill(dist.signatures[0]),
      [{ keyid: '__proto__', sig: 'AAAA' }], [Object.create(null)],
    ];
    for (const signatures of hostile) {
      const r = check({ signatures });
      assert.equal(r.status, 'failed', JSON.stringify(signatures)?.slice(0, 80));
    }
    assert.equal(verifyRegistrySignature(keys, { name: 42 as unknown as string, version: '1.0.0', integrity: dist.integrity, signatures: dist.signatures }).status, 'failed');
  });

  it('names the source and the JSON path of a malformed keys document', () => {
    const bad: [unknown, RegExp][] = [
      [null, /^src: \(root\): expected an object with "keys", got null$/],
      [{ keys: 'x' }, /^src: keys: expected an array, got "x"$/],
      [{ keys: [42] }, /^src: keys\[0\]: expected an object, got 42$/],
      [{ keys: [{ ...keysDoc.keys[0], keyid: 7 }] }, /^src: keys\[0\]\.keyid: expected a non-empty string, got 7$/],
      [{ keys: [{ ...keysDoc.keys[0], key: 'not base64!' }] }, /^src: keys\[0\]\.key: expected the base64 of a DER public key/],
      [{ keys: [{ ...keysDoc.keys[0], key: Buffer.from('junk').toString('base64') }] }, /^src: keys\[0\]\.key: expected the base64 of a DER public key/],
      [{ keys: [{ ...keysDoc.keys[0], expires: 'soon' }] }, /^src: keys\[0\]\.expires: expected null or an ISO date, got "soon"$/],
      [{ keys: [keysDoc.keys[0], keysDoc.keys[0]] }, /^src: keys\[1\]\.keyid: .* is listed twice$/],
      [{ keys: new Array(1000).fill(keysDoc.keys[0]) }, /^src: keys: more than 100 keys$/],
    ];
    for (const [json, message] of bad) {
      assert.throws(() => parseRegistryKeys(json, 'src'), (err: unknown) => err instanceof VerifyError && err.code === 'REGISTRY_KEYS_INVALID' && message.test(err.message));
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    assert.throws(() => parseRegistryKeys({ keys: [{ ...keysDoc.keys[0], key: rsa }] }, 'src'), /keys\[0\]\.key: expected a P-256 public key/);
  });
});
