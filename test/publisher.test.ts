// Publisher pinning on first use, and the changes a later version shows against the pin.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublisherRecord } from '../src/policy/index.js';
import { comparePublisher, updatePin } from '../src/verify/publisher.js';

const built = (repository: string, workflow = '.github/workflows/publish.yml'): PublisherRecord['identity'] => ({ repository, workflow, commit: 'a'.repeat(40) });
const v1: PublisherRecord = { npmUser: 'alice', provenance: 'verified', identity: built('https://github.com/acme/lib') };

describe('publisher pins', () => {
  it('pins on first use and finds nothing to report for the same publisher', () => {
    const pin = updatePin(undefined, '1.0.0', v1)!;
    assert.deepEqual(pin, { npmUsers: ['alice'], since: '1.0.0', repository: 'https://github.com/acme/lib', workflow: '.github/workflows/publish.yml' });
    assert.deepEqual(comparePublisher('lib', '1.0.1', pin, { ...v1, identity: { ...v1.identity!, commit: 'b'.repeat(40) } }), []);
    assert.deepEqual(comparePublisher('lib', '1.0.1', pin, { ...v1, identity: built('git+https://github.com/acme/lib.git') }), [], 'same repository spelled differently');
  });

  it('flags a new npm user, another repository, another workflow and a provenance downgrade', () => {
    const pin = updatePin(undefined, '1.0.0', v1)!;
    const kinds = (rec: PublisherRecord) => comparePublisher('lib', '2.0.0', pin, rec).map((c) => c.kind);
    assert.deepEqual(kinds({ npmUser: 'mallory', provenance: 'verified', identity: v1.identity! }), ['new-npm-user']);
    assert.deepEqual(kinds({ npmUser: 'alice', provenance: 'verified', identity: built('https://github.com/evil/lib') }), ['other-repository']);
    assert.deepEqual(kinds({ npmUser: 'alice', provenance: 'verified', identity: built('https://github.com/acme/lib', '.github/workflows/x.yml') }), ['other-workflow']);
    const dropped = comparePublisher('lib', '2.0.0', pin, { npmUser: 'mallory', provenance: 'none' });
    assert.deepEqual(dropped.map((c) => c.kind), ['new-npm-user', 'provenance-dropped']);
    assert.match(dropped[1]!.message, /lib@2\.0\.0 has no provenance, but 1\.0\.0 was built with provenance from https:\/\/github\.com\/acme\/lib/);
  });

  it('provenance that could not be checked here is neither a downgrade nor a match', () => {
    const pin = updatePin(undefined, '1.0.0', v1)!;
    assert.deepEqual(comparePublisher('lib', '2.0.0', pin, { npmUser: 'alice', provenance: 'unverified' }), []);
    assert.deepEqual(updatePin(pin, '2.0.0', { npmUser: 'alice', provenance: 'unverified' }), pin);
  });

  it('a registry that names no publisher pins nothing it cannot see, and adopts the first one it later sees', () => {
    const pin = updatePin(undefined, '1.0.0', { provenance: 'none' })!;
    assert.deepEqual(pin, { npmUsers: [], since: '1.0.0' });
    assert.deepEqual(comparePublisher('lib', '1.1.0', pin, { npmUser: 'bob', provenance: 'none' }), []);
    assert.deepEqual(updatePin(pin, '1.1.0', { npmUser: 'bob', provenance: 'none' })!.npmUsers, ['bob']);
    assert.deepEqual(updatePin(pin, '1.1.0', v1)!.repository, 'https://github.com/acme/lib', 'first verified provenance is pinned');
  });

  it('accepting a change widens the pin; accepting a downgrade drops the expectation of provenance', () => {
    const pin = updatePin(undefined, '1.0.0', v1)!;
    assert.deepEqual(updatePin(pin, '2.0.0', { npmUser: 'mallory', provenance: 'verified', identity: v1.identity! })!.npmUsers, ['alice'], 'not without accepting');
    assert.deepEqual(updatePin(pin, '2.0.0', { npmUser: 'mallory', provenance: 'verified', identity: v1.identity! }, true)!.npmUsers, ['alice', 'mallory']);
    const accepted = updatePin(pin, '2.0.0', { npmUser: 'alice', provenance: 'none' }, true)!;
    assert.equal(accepted.repository, undefined);
    assert.deepEqual(comparePublisher('lib', '2.0.1', accepted, { npmUser: 'alice', provenance: 'none' }), []);
  });
});
