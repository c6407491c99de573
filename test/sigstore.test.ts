// npm provenance against the pinned Sigstore trust root, on real recorded attestations (test/fixtures/
// attestations/): each verifies, and each tamper is refused with a reason; garbage never throws.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkPredicate, identityFromCertificate } from '../src/verify/provenance-identity.js';
import {
  loadTrustMaterial, npmPurl, refreshedTrustFile, summarizeTrust, trustMaterialFromJSON, verifyAttestations, VerifyError,
  SHIPPED_TRUST_DIR, type AttestationSubject, type ProvenanceResult,
} from '../src/verify/index.js';
import { fixturesDir } from './helpers.js';
import { tmpDir } from './registry-helpers.js';

const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';

function fixture(file: string): any {
  return JSON.parse(readFileSync(join(fixturesDir, 'attestations', file), 'utf8'));
}

const shippedJson = (file: string) => JSON.parse(readFileSync(join(SHIPPED_TRUST_DIR, file), 'utf8'));
const trust = trustMaterialFromJSON(shippedJson('trusted_root.json'), shippedJson('npm-keys.json'), { origin: 'shipped', location: 'test' });

const playwright: AttestationSubject = {
  name: '@playwright/cli',
  version: '0.1.1',
  // `npm view @playwright/cli@0.1.1 dist.integrity`
  integrity: 'sha512-9k11ZfDwAfMVDDIuEVW1Wvs8SoDNXIY1dNQ+9C9/SS8ZmElkcxesu5eoL7vNa96ntibUGaq1TM2qQoqvdl/I9g==',
};

/** Recordings of versions no longer on the registry: their integrity is the signed subject's digest. */
function subjectOf(doc: any, name: string, version: string): AttestationSubject {
  const statement = JSON.parse(Buffer.from(doc.attestations[0].bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  return { name, version, integrity: `sha512-${Buffer.from(statement.subject[0].digest.sha512, 'hex').toString('base64')}` };
}

function entry(doc: any, predicateType: string): any {
  return doc.attestations.find((a: any) => a.predicateType === predicateType);
}

function reasonOf(r: ProvenanceResult): string {
  assert.equal(r.status, 'failed', `expected a failure, got ${JSON.stringify(r)}`);
  return (r as { reason: string }).reason;
}

/** The statement of the provenance bundle, decoded, changed by `edit`, and put back (the signature no longer covers it). */
function editPayload(doc: any, edit: (statement: any) => void): any {
  const bundle = entry(doc, SLSA_V1).bundle;
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  edit(statement);
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return doc;
}

describe('npm provenance: real attestations verify with the pinned root', () => {
  it('@playwright/cli@0.1.1 (SLSA v1, bundle v0.3): identity from the certificate, publish attestation verified', () => {
    assert.deepEqual(verifyAttestations(fixture('playwright-cli-0.1.1.json'), playwright, trust), {
      status: 'verified',
      identity: {
        repository: 'https://github.com/microsoft/playwright-cli',
        workflow: '.github/workflows/publish.yml',
        commit: 'd1c6d1113932ddcee243e8b111b6d4aea553df20',
        ref: 'refs/tags/v0.1.1',
        issuer: 'https://token.actions.githubusercontent.com',
      },
      publish: 'verified',
    });
  });

  it('gundam-visor@1.0.1 (bundle v0.2, certificate chain, npm\'s key since expired): times come from Rekor, not now', () => {
    const doc = fixture('gundam-visor-1.0.1.json');
    const r = verifyAttestations(doc, subjectOf(doc, 'gundam-visor', '1.0.1'), trust);
    assert.equal(r.status, 'verified');
    assert.equal((r as any).publish, 'verified', 'the npm key that expired on 2025-01-29 was valid at the Rekor time of 2024-06-03');
    assert.deepEqual((r as any).identity, {
      repository: 'https://github.com/ramonpetgrave64/gundam-visor',
      workflow: '.github/workflows/npm-publish.yml',
      commit: '599500821344b070902a7a5666064bfdaba715df',
      ref: 'refs/tags/v1.0.1',
      issuer: 'https://token.actions.githubusercontent.com',
    });
  });

  it('@laurentsimon/provenance-npm-test@1.0.3 (SLSA v0.2, bundle v0.1, inclusion promise only)', () => {
    const doc = fixture('laurentsimon-provenance-npm-test-1.0.3.json');
    const r = verifyAttestations(doc, subjectOf(doc, '@laurentsimon/provenance-npm-test', '1.0.3'), trust);
    assert.equal(r.status, 'verified', JSON.stringify(r));
    assert.equal((r as any).identity.ref, 'refs/heads/main');
    assert.equal((r as any).identity.workflow, '.github/workflows/release.yml');
  });

  it('writes the package URL as npm does', () => {
    assert.equal(npmPurl('@playwright/cli', '0.1.1'), 'pkg:npm/%40playwright/cli@0.1.1');
    assert.equal(npmPurl('left-pad', '1.3.0'), 'pkg:npm/left-pad@1.3.0');
  });
});

describe('npm provenance: tampering is refused with a reason', () => {
  const doc = () => fixture('playwright-cli-0.1.1.json');

  it('another version, another name, another integrity', () => {
    assert.match(reasonOf(verifyAttestations(doc(), { ...playwright, version: '0.1.2' }, trust)), /is about "pkg:npm\/%40playwright\/cli@0\.1\.1", not pkg:npm\/%40playwright\/cli@0\.1\.2/);
    assert.match(reasonOf(verifyAttestations(doc(), { ...playwright, name: '@playwright/test' }, trust)), /not pkg:npm\/%40playwright\/test@0\.1\.1/);
    const other = `sha512-${Buffer.alloc(64, 1).toString('base64')}`;
    assert.match(reasonOf(verifyAttestations(doc(), { ...playwright, integrity: other }, trust)), /sha512 "f64d7565.*" is not the registry's integrity/);
    assert.match(reasonOf(verifyAttestations(doc(), { ...playwright, integrity: 'sha1-abc' }, trust)), /has no sha512 digest/);
  });

  it('a changed payload byte, a changed signature, a swapped certificate', () => {
    const payload = editPayload(doc(), (s) => (s.predicate.runDetails.builder.id += 'x'));
    assert.match(reasonOf(verifyAttestations(payload, playwright, trust)), /provenance: .*(tlog|signature|digest|hash)/i);

    const sig = doc();
    const s = entry(sig, SLSA_V1).bundle.dsseEnvelope.signatures[0];
    s.sig = Buffer.from(Buffer.from(s.sig, 'base64').map((b: number, i: number) => (i === 10 ? b ^ 1 : b))).toString('base64');
    assert.match(reasonOf(verifyAttestations(sig, playwright, trust)), /provenance: .*(signature|tlog)/i);

    const swapped = doc();
    entry(swapped, SLSA_V1).bundle.verificationMaterial.certificate.rawBytes =
      entry(fixture('gundam-visor-1.0.1.json'), SLSA_V1).bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;
    assert.match(reasonOf(verifyAttestations(swapped, playwright, trust)), /provenance: .*(certificate|signature|tlog)/i);
  });

  it('a removed or duplicated transparency log entry', () => {
    const removed = doc();
    entry(removed, SLSA_V1).bundle.verificationMaterial.tlogEntries = [];
    assert.match(reasonOf(verifyAttestations(removed, playwright, trust)), /provenance: .*(tlog|timestamp)/i);
    const doubled = doc();
    const tlog = entry(doubled, SLSA_V1).bundle.verificationMaterial.tlogEntries;
    tlog.push(structuredClone(tlog[0]));
    assert.match(reasonOf(verifyAttestations(doubled, playwright, trust)), /provenance: .*duplicate/i);
    const noProof = doc();
    delete entry(noProof, SLSA_V1).bundle.verificationMaterial.tlogEntries[0].inclusionProof;
    delete entry(noProof, SLSA_V1).bundle.verificationMaterial.tlogEntries[0].inclusionPromise;
    assert.match(reasonOf(verifyAttestations(noProof, playwright, trust)), /provenance: /);
  });

  it('a predicate whose repository (or workflow, ref, commit) disagrees with the certificate', () => {
    // A validly signed disagreeing statement cannot be made without Fulcio, so the check itself is run on the
    // real certified identity and the real predicate with one field changed; end to end, the change breaks the signature.
    const statement = JSON.parse(Buffer.from(entry(doc(), SLSA_V1).bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const cert = {
      repository: 'https://github.com/microsoft/playwright-cli', workflow: '.github/workflows/publish.yml',
      commit: 'd1c6d1113932ddcee243e8b111b6d4aea553df20', ref: 'refs/tags/v0.1.1', issuer: 'https://token.actions.githubusercontent.com',
    };
    assert.equal(checkPredicate(SLSA_V1, statement.predicate, cert), null);
    const edits: [(p: any) => void, RegExp][] = [
      [(p) => (p.buildDefinition.externalParameters.workflow.repository = 'https://github.com/evil/playwright-cli'), /says repository https:\/\/github.com\/evil\/playwright-cli, the certificate says https:\/\/github.com\/microsoft\/playwright-cli/],
      [(p) => (p.buildDefinition.externalParameters.workflow.path = '.github/workflows/other.yml'), /says workflow \.github\/workflows\/other\.yml/],
      [(p) => { p.buildDefinition.externalParameters.workflow.ref = 'refs/heads/main'; p.buildDefinition.resolvedDependencies[0].uri = 'git+https://github.com/microsoft/playwright-cli@refs/heads/main'; }, /says ref refs\/heads\/main/],
      [(p) => (p.buildDefinition.resolvedDependencies[0].digest.gitCommit = '0'.repeat(40)), /says commit 0{40}/],
      [(p) => (p.buildDefinition.resolvedDependencies = []), /names no source commit/],
      [(p) => (p.buildDefinition.buildType = 'https://example.com/other'), /unsupported SLSA build type "https:\/\/example.com\/other"/],
    ];
    for (const [edit, reason] of edits) {
      const predicate = structuredClone(statement.predicate);
      edit(predicate);
      assert.match(checkPredicate(SLSA_V1, predicate, cert) ?? 'agreed', reason);
    }
    assert.match(checkPredicate(SLSA_V1, statement.predicate, { ...cert, issuer: 'https://accounts.google.com' }) ?? '', /certificate from https:\/\/accounts.google.com/);
    assert.match(reasonOf(verifyAttestations(editPayload(doc(), (st) => (st.predicate.buildDefinition.externalParameters.workflow.repository = 'https://github.com/evil/x')), playwright, trust)), /provenance: /);
  });

  it('a certificate without Fulcio\'s build extensions gives no identity', () => {
    assert.match((identityFromCertificate({ key: null as never, identity: { oids: [] } }) as { reason: string }).reason, /lacks Fulcio's source repository/);
  });

  it('a trust root without the Fulcio CA, or without the Rekor key', () => {
    const root = shippedJson('trusted_root.json');
    const noFulcio = trustMaterialFromJSON({ ...root, certificateAuthorities: [] }, shippedJson('npm-keys.json'), { origin: 'shipped', location: 'test' });
    assert.match(reasonOf(verifyAttestations(doc(), playwright, noFulcio)), /provenance: .*certificate/i);
    const noRekor = trustMaterialFromJSON({ ...root, tlogs: [] }, shippedJson('npm-keys.json'), { origin: 'shipped', location: 'test' });
    assert.match(reasonOf(verifyAttestations(doc(), playwright, noRekor)), /provenance: .*(inclusion|tlog)/i);
  });

  it('a publish attestation that fails, or that no pinned npm key vouches for, is reported beside verified provenance', () => {
    const publish = doc();
    const env = entry(publish, PUBLISH).bundle.dsseEnvelope;
    env.signatures[0].sig = entry(doc(), SLSA_V1).bundle.dsseEnvelope.signatures[0].sig;
    const r = verifyAttestations(publish, playwright, trust) as any;
    assert.equal(r.status, 'verified');
    assert.equal(r.publish, 'failed');
    assert.match(r.publishReason, /signature|tlog/i);

    const noNpmKeys = trustMaterialFromJSON(shippedJson('trusted_root.json'), { keys: [] }, { origin: 'shipped', location: 'test' });
    const k = verifyAttestations(doc(), playwright, noNpmKeys) as any;
    assert.equal(k.publish, 'failed');
    assert.match(k.publishReason, /key not found: SHA256:DhQ8wR5APBvFHLF/);

    const only = doc();
    only.attestations = only.attestations.filter((a: any) => a.predicateType === SLSA_V1);
    assert.equal((verifyAttestations(only, playwright, trust) as any).publish, 'absent');
  });

  it('swapped predicate types: the publish bundle offered as provenance', () => {
    const swapped = doc();
    const [a, b] = swapped.attestations;
    [a.predicateType, b.predicateType] = [b.predicateType, a.predicateType];
    assert.match(reasonOf(verifyAttestations(swapped, playwright, trust)), /not signed with a Fulcio certificate/);
  });
});

describe('npm provenance: garbage documents', () => {
  it('absent when there is nothing to check', () => {
    assert.deepEqual(verifyAttestations(null, playwright, trust), { status: 'absent' });
    assert.deepEqual(verifyAttestations(undefined, playwright, trust), { status: 'absent' });
    assert.deepEqual(verifyAttestations({ attestations: [] }, playwright, trust), { status: 'absent' });
    const onlyPublish = fixture('playwright-cli-0.1.1.json');
    onlyPublish.attestations = onlyPublish.attestations.filter((a: any) => a.predicateType === PUBLISH);
    assert.deepEqual(verifyAttestations(onlyPublish, playwright, trust), { status: 'absent' });
  });

  it('failed with a reason, never a throw and never verified', () => {
    const real = fixture('playwright-cli-0.1.1.json');
    const bundle = entry(real, SLSA_V1).bundle;
    const deep: any = {};
    let at = deep;
    for (let i = 0; i < 10_000; i++) at = at.next = {};
    const garbage: unknown[] = [
      'attestations', 42, true, [], [real], { attestations: 'x' }, { attestations: {} }, { attestations: new Array(100_000).fill(real.attestations[1]) },
      { attestations: [null] }, { attestations: [42] }, { attestations: [{ predicateType: 5, bundle }] }, { attestations: [{ predicateType: SLSA_V1, bundle: 'x' }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: {} }] }, { attestations: [{ predicateType: SLSA_V1, bundle: deep }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: { ...bundle, mediaType: 42 } }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: 12 } } }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payloadType: 'text/plain' } } }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, signatures: [] } } }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, certificate: { rawBytes: 'AAAA' } } } }] },
      { attestations: [{ predicateType: SLSA_V1, bundle: { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [{ logIndex: {}, integratedTime: 'soon' }] } } }] },
      { attestations: [real.attestations[1], real.attestations[1]] },
      { attestations: [real.attestations[1], { ...real.attestations[1], predicateType: 'https://slsa.dev/provenance/v0.2' }] },
      editPayload(fixture('playwright-cli-0.1.1.json'), (s) => { s.subject = []; }),
      Object.create(null), new Proxy({}, { get() { throw new Error('trap'); } }),
    ];
    for (const [i, doc] of garbage.entries()) {
      let r: ProvenanceResult | undefined;
      assert.doesNotThrow(() => (r = verifyAttestations(doc, playwright, trust)));
      assert.equal(r?.status, 'failed', `garbage[${i}]: ${JSON.stringify(r)}`);
      assert.ok((r as { reason: string }).reason.length > 0);
    }
    for (const subject of [null, {}, { name: 1, version: '1', integrity: 'x' }]) {
      assert.equal(verifyAttestations(real, subject as unknown as AttestationSubject, trust).status, 'failed');
    }
  });
});

describe('trust material', () => {
  it('uses the shipped root until a refreshed copy exists, then the refreshed one', () => {
    const cacheDir = tmpDir('packsec-trust-');
    const shipped = loadTrustMaterial({ cacheDir });
    assert.equal(shipped.origin, 'shipped');
    const summary = summarizeTrust(shipped);
    assert.deepEqual(summary.fulcio.map((f) => f.uri), ['https://fulcio.sigstore.dev', 'https://fulcio.sigstore.dev']);
    assert.ok(summary.rekor.some((r) => r.keyId === 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=' && r.url === 'https://rekor.sigstore.dev'));
    assert.ok(summary.npmKeys.some((k) => k.keyId === 'SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U' && k.usage === 'npm:attestations'));

    const file = refreshedTrustFile(cacheDir);
    mkdirSync(join(cacheDir, 'sigstore'), { recursive: true });
    const root = shippedJson('trusted_root.json');
    writeFileSync(file, JSON.stringify({ refreshedAt: '2030-01-01T00:00:00.000Z', mirror: 'https://mirror.example', trustedRoot: { ...root, ctlogs: [] }, npmKeys: shippedJson('npm-keys.json') }));
    const refreshed = loadTrustMaterial({ cacheDir });
    assert.equal(refreshed.origin, 'refreshed');
    assert.equal(refreshed.refreshedAt, '2030-01-01T00:00:00.000Z');
    assert.equal(refreshed.trustedRoot.ctlogs.length, 0);
    // Without CT logs the certificate's SCT cannot be checked: the refreshed copy is the one in use.
    assert.match(reasonOf(verifyAttestations(fixture('playwright-cli-0.1.1.json'), playwright, refreshed)), /SCT|certificate/i);
  });

  it('refuses a broken refreshed copy or trusted root, naming the file', () => {
    const cacheDir = tmpDir('packsec-trust-');
    const file = refreshedTrustFile(cacheDir);
    mkdirSync(join(cacheDir, 'sigstore'), { recursive: true });
    const cases: [string, RegExp][] = [
      ['{', /JSON/],
      ['{"refreshedAt": 1}', /expected refreshedAt and mirror/],
      [JSON.stringify({ refreshedAt: 'x', mirror: 'y', trustedRoot: { mediaType: 'text/plain' }, npmKeys: { keys: [] } }), /trusted root: mediaType/],
      [JSON.stringify({ refreshedAt: 'x', mirror: 'y', trustedRoot: { ...shippedJson('trusted_root.json'), tlogs: [{ baseUrl: 'x' }] }, npmKeys: { keys: [] } }), /trusted root: /],
      [JSON.stringify({ refreshedAt: 'x', mirror: 'y', trustedRoot: shippedJson('trusted_root.json'), npmKeys: { keys: [{ keyId: 'k' }] } }), /npm keys: keys\[0\]/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(file, text);
      assert.throws(() => loadTrustMaterial({ cacheDir }), (err: unknown) => err instanceof VerifyError && err.code === 'TRUST_INVALID' && err.message.startsWith(file) && message.test(err.message));
    }
  });
});
