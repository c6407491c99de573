// Garbage over HTTP: traversal in package and tarball names (plain, percent-encoded, NUL), malformed
// JSON, wrong content types, oversized headers and bodies. Each must be a clear JSON 4xx, store nothing,
// and leave the server serving.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUserToken, FileStore, seedPackage, startRegistry, type RunningRegistry } from '../src/registry/index.js';
import { checkTarget } from '../src/registry/target.js';
import { call, publishBody, raw, tree } from './registry-client.js';
import { tmpDir } from './registry-helpers.js';

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

function bodyOf(answer: string): { error?: string; code?: string; hint?: string } {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error?: string };
}

/** Streams a chunked body of up to `total` bytes until the server answers; returns the answer and how much was sent. */
function streamUntilAnswered(base: string, head: string, total: number): Promise<{ answer: string; sent: number }> {
  return new Promise((done) => {
    const s = connect(Number(new URL(base).port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    let finished = false;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!answer && sent < total) {
        sent += chunk.length;
        s.write(`${chunk.length.toString(16)}\r\n`);
        s.write(chunk);
        if (!s.write('\r\n')) return void s.once('drain', pump);
      }
      if (!answer) s.write('0\r\n\r\n');
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      s.destroy();
      done({ answer, sent });
    };
    s.on('connect', () => {
      s.write(head);
      pump();
    });
    s.on('data', (d) => {
      answer += d;
      if (answer.includes('\r\n\r\n') && answer.includes('}')) finish();
    });
    s.on('error', finish);
    s.on('close', finish);
  });
}

describe('registry: garbage HTTP', () => {
  let reg: RunningRegistry;
  let data: string;
  let token: string;
  let before_: string[];
  before(async () => {
    data = tmpDir('packsec-reg-garbage-');
    await seedPackage(data, { name: 'left-pad', version: '1.0.0' });
    reg = await startRegistry({ dataDir: data, port: 0, limits: { maxTarballBytes: 64 * 1024 } });
    token = createUserToken(new FileStore(data), 'alice').token;
    before_ = tree(data);
  });
  after(async () => {
    assert.deepEqual(tree(data), before_, 'nothing was stored or changed');
    assert.equal((await call(reg.url, 'GET', '/left-pad')).status, 200, 'still serving');
    await reg.close();
  });

  it('checks request targets before routing: only a target that parses to itself goes through', () => {
    for (const ok of ['/', '/left-pad', '/@s%2fa', '/@s/a/-/a-1.0.0.tgz', '/-/v1/search?text=a%20b', '/x/-/..%2fy']) assert.equal(checkTarget(ok), null, ok);
    const refused: [string, RegExp][] = [
      ['/..', /"\." or "\.\." segment/], ['/a/../b', /"\." or "\.\." segment/], ['/%2e%2e', /"\." or "\.\." segment/],
      ['/a/.%2E/b', /"\." or "\.\." segment/], ['/a/./b', /"\." or "\.\." segment/], ['/a\\..\\b', /backslash/],
      ['/a%00', /control character/], ['/a%0d%0ab', /control character/], ['/%E0%A4%A', /malformed percent-encoding/],
      ['//evil.example/a', /must be percent-encoded/], ['/a b', /must be percent-encoded/], ['/a#b', /must be percent-encoded/],
      ['http://evil.example/a', /must be a path/], ['*', /must be a path/],
    ];
    for (const [target, why] of refused) assert.match(checkTarget(target)?.message ?? 'accepted', why, target);
  });

  it('refuses traversal in package names, plain and encoded, with JSON 400s', async () => {
    const targets = [
      '/..', '/../../etc/passwd', '/%2e%2e', '/%2E%2E/registry.json', '/.%2e/keys/signing-key.pem', '/left-pad/%2e%2e/%2e%2e/registry.json',
      '/..%2f..%2fregistry.json', '/@acme%2f..%2f..%2fx', '/@acme/..', '/@acme/%2e%2e', '/left-pad%00', '/%00', '/left-pad\\..\\registry.json',
      '//etc/passwd', '/-/package/..%2fx/dist-tags', '/-/stage/package/..%2f..%2fx',
    ];
    for (const target of targets) {
      for (const method of ['GET', 'PUT']) {
        const body = method === 'PUT' ? '{}' : '';
        const answer = await raw(reg.url, `${method} ${target} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
        const status = statusOf(answer);
        assert.ok(status === 400 || status === 404 || status === 405, `${method} ${target}: ${answer.slice(0, 200)}`);
        assert.equal(typeof bodyOf(answer).error, 'string', `${method} ${target}`);
      }
    }
  });

  it('never reads a tarball path from the URL: traversal in tarball names is a 404', async () => {
    for (const file of ['..%2frecord.json', '..%2f..%2fregistry.json', '%2e%2e%2f%2e%2e%2fkeys%2fsigning-key.pem', 'record.json', 'left-pad-1.0.0.tgz%2f..']) {
      const r = await call(reg.url, 'GET', `/left-pad/-/${file}`);
      assert.equal(r.status, 404, file);
      assert.match(r.body.error, /not found/, file);
    }
    for (const target of ['/left-pad/-/left-pad-1.0.0.tgz%00', '/left-pad/-/%2e%2e', '/left-pad/-/../record.json']) {
      const answer = await raw(reg.url, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.equal(statusOf(answer), 400, target);
    }
    assert.equal((await call(reg.url, 'GET', '/left-pad/-/left-pad-1.0.0.tgz')).status, 200);
  });

  it('refuses traversal in the names inside a publish document', async () => {
    const cases: [string, unknown][] = [
      ['/evil', { ...publishBody('evil', '1.0.0'), _attachments: { '../../registry.json': { data: 'AAAA' } } }],
      ['/evil', { ...publishBody('evil', '1.0.0'), _attachments: { '..%2f..%2fevil-1.0.0.tgz': { data: 'AAAA' } } }],
      ['/@acme%2fevil', { ...publishBody('@acme/evil', '1.0.0'), _attachments: { '@acme/../../evil-1.0.0.tgz': { data: 'AAAA' } } }],
      ['/evil', { ...publishBody('evil', '1.0.0'), name: '../evil', _id: '../evil' }],
      ['/evil', publishBody('evil', '1.0.0/../../x')],
      ['/evil', publishBody('evil', '1.0.0', { tag: '../latest' })],
      ['/evil%00', publishBody('evil\u0000', '1.0.0')],
    ];
    for (const [path, body] of cases) {
      const r = await call(reg.url, 'PUT', path, { token, body });
      assert.equal(r.status, 400, `${path} ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error, 'string');
    }
    const staged = await call(reg.url, 'POST', '/-/stage/package/evil', { token, body: { ...publishBody('evil', '1.0.0'), _attachments: { '../x.tgz': { data: 'AAAA' } } } });
    assert.equal(staged.status, 400);
  });

  it('refuses malformed JSON with 400 BAD_JSON', async () => {
    const nested = '['.repeat(200_000) + ']'.repeat(200_000);
    for (const text of ['{"name": ', '{', 'nul', '{"a":1}}', '\u00ff\u00fe{}', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), '[1,2]', '"left-pad"', 'null', nested]) {
      const r = await call(reg.url, 'PUT', '/left-pad', { token, raw: text });
      assert.equal(r.status, 400, String(text).slice(0, 20));
      assert.equal(r.body.code, 'BAD_JSON', String(text).slice(0, 20));
      assert.equal(typeof r.body.hint, 'string');
    }
    const tag = await call(reg.url, 'PUT', '/-/package/left-pad/dist-tags/next', { token, raw: '1.0.0' });
    assert.equal(tag.status, 400);
  });

  it('refuses bodies that are not JSON with 415, and unknown encodings', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/jsonx']) {
      const r = await call(reg.url, 'PUT', '/fresh', { token, raw: JSON.stringify(publishBody('fresh', '1.0.0')), headers: { 'content-type': type } });
      assert.equal(r.status, 415, type);
      assert.equal(r.body.code, 'MEDIA_TYPE');
      assert.match(r.body.hint, /application\/json/);
    }
    const br = await call(reg.url, 'PUT', '/fresh', { token, raw: '{}', headers: { 'content-encoding': 'br' } });
    assert.equal(br.status, 415);
    assert.equal(br.body.code, 'ENCODING');
    const charset = await call(reg.url, 'PUT', '/left-pad', { token, raw: 'nope', headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(charset.body.code, 'BAD_JSON', 'a JSON content type with parameters is read');
  });

  it('answers oversized headers with 431, and garbage that is not HTTP with 400', async () => {
    const big = await raw(reg.url, `GET /left-pad HTTP/1.1\r\nhost: x\r\nx-junk: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    assert.equal(statusOf(big), 431);
    assert.equal(bodyOf(big).code, 'HEADERS_TOO_LARGE');
    for (const request of ['THIS IS NOT HTTP\r\n\r\n', 'GET / HTTP/1.1\r\ncontent-length: x\r\n\r\n', Buffer.from('GET /left\u0000pad HTTP/1.1\r\nhost: x\r\n\r\n'), 'GET /left-pad HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n']) {
      const answer = await raw(reg.url, request);
      assert.equal(statusOf(answer), 400, String(request).slice(0, 30));
      assert.equal(typeof bodyOf(answer).error, 'string');
    }
    const noHost = await raw(reg.url, 'GET /left-pad HTTP/1.0\r\n\r\n');
    assert.ok([200, 400].includes(statusOf(noHost)), noHost.slice(0, 100));
  });

  it('refuses an oversized body by its declared length without reading it', async () => {
    const answer = await raw(reg.url, `PUT /big HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n{"name":`);
    assert.equal(statusOf(answer), 413);
    assert.match(bodyOf(answer).error!, /limit/);
    const tag = await call(reg.url, 'PUT', '/-/package/left-pad/dist-tags/next', { token, raw: `"${'1'.repeat(2 * 1024 * 1024)}"` });
    assert.equal(tag.status, 413);
  });

  it('refuses a streamed (chunked) body as soon as it passes the limit, before the client is done', async () => {
    const total = 64 * 1024 * 1024;
    const head = `PUT /big HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const { answer, sent } = await streamUntilAnswered(reg.url, head, total);
    assert.equal(statusOf(answer), 413, answer.slice(0, 200));
    assert.equal(bodyOf(answer).code, 'TOO_LARGE');
    assert.ok(sent < total / 2, `answered after ${sent} of ${total} bytes`);
  });

  it('answers unknown methods with 405 and unknown routes with 404, as JSON', async () => {
    assert.equal((await call(reg.url, 'PATCH', '/left-pad', { token, body: {} })).status, 405);
    const unknown = await call(reg.url, 'GET', '/-/nothing/here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'NOT_FOUND');
    assert.equal((await call(reg.url, 'POST', '/left-pad', { token, body: {} })).status, 404);
  });
});
