// The approver UI in a real browser (Debian chromium, CDP virtual authenticators): sign in with a login
// link, register a device, approve and reject pending requests; a page for another request, an
// unregistered authenticator and another user's credential are all refused, and the requests stay pending.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestPayload } from '../../src/approval/push.js';
import { startUi, type RunningUi } from '../approval-web-helpers.js';
import { addVirtualAuthenticator, launchChromium, type Chromium, type VirtualAuthenticator } from './chromium.js';

const FILES = (version: string) => ({ 'package.json': JSON.stringify({ name: 'left-pad', version }), 'index.js': 'module.exports = (s) => s;\n' });

/** In the page (the test's lib has no DOM types, hence a string): approve r2 with whatever credential the authenticator offers. */
const BYPASS_ALLOW_LIST = `(async () => {
  const csrf = document.body.dataset.csrf;
  const post = (path, body) => fetch('/-/approve' + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, body: await r.json() }));
  const options = await post('/r2/options', {});
  const optionsJSON = { ...options.body.options, allowCredentials: [] };
  const response = await window.SimpleWebAuthnBrowser.startAuthentication({ optionsJSON });
  return post('/r2/approve', { challengeId: options.body.challengeId, response });
})()`;

describe('approver UI in chromium', { timeout: 180_000 }, () => {
  let ui: RunningUi;
  let browser: Chromium;
  let first: VirtualAuthenticator;

  const page = () => browser.page;
  const state = (id: string) => ui.approvals.held.get(id)!.state;

  async function signIn(userId: string): Promise<void> {
    await browser.context.clearCookies();
    await page().goto(await ui.loginLink(userId));
    // The script moved the code from the fragment into the form and out of the address bar.
    assert.equal(new URL(page().url()).hash, '');
    await Promise.all([page().waitForURL(`${ui.url}/-/approve/`), page().click('button[type=submit]')]);
  }

  async function registerDevice(name: string): Promise<void> {
    await page().goto(`${ui.url}/-/approve/devices`);
    await page().fill('#device-name', name);
    await Promise.all([page().waitForURL(`${ui.url}/-/approve/devices?registered=1`), page().click('#register-device')]);
  }

  /** Clicks Approve (or Reject) on the request's page and returns what the page then says. */
  async function clickApprove(id: string, button = '#approve'): Promise<string> {
    await page().goto(`${ui.url}/-/approve/${id}`);
    await page().click(button);
    // A selector, not a function: the page's CSP forbids the eval that waitForFunction needs.
    await page().waitForSelector('#status[data-kind="ok"], #status[data-kind="error"]', { timeout: 60_000 });
    return (await page().textContent('#status')) ?? '';
  }

  before(async () => {
    ui = await startUi();
    for (const [id, version] of [['r1', '1.1.0'], ['r2', '1.2.0'], ['r3', '1.3.0']] as const) {
      ui.approvals.add({ id, packageName: 'left-pad', version, publisher: 'carol', approvers: ['alice'], required: 1, files: FILES(version), previous: { version: '1.0.0', files: FILES('1.0.0') } });
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  it('registers a device and approves a pending request through the UI', async () => {
    first = await addVirtualAuthenticator(page());
    await signIn('alice');
    await registerDevice('laptop');
    assert.match((await page().textContent('main'))!, /laptop/);
    const [stored] = await ui.credentials.listByUser('alice');
    assert.ok(stored, 'a credential was stored');
    assert.deepEqual((await first.credentials()).map((c) => c.credentialId.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')), [stored.id]);

    await page().goto(`${ui.url}/-/approve/r1`);
    assert.equal(await page().textContent('#integrity'), ui.approvals.held.get('r1')!.integrity);
    const said = await clickApprove('r1');
    assert.match(said, /approval was recorded; the request is approved/);
    assert.equal(state('r1'), 'approved');
    assert.equal(await page().textContent('#state'), 'approved');
    // The counter the authenticator reports is the one stored.
    const [after] = await ui.credentials.listByUser('alice');
    assert.ok(after!.counter >= 1, `counter ${after!.counter}`);
    assert.equal((await first.credentials())[0]!.signCount, after!.counter);
  });

  it('does not accept an assertion made on one request page for another request', async () => {
    // The page for r2 asks for a challenge bound to r2; its approval is sent to r3 instead.
    await page().route(`${ui.url}/-/approve/r2/approve`, (route) => route.continue({ url: `${ui.url}/-/approve/r3/approve` }));
    try {
      const said = await clickApprove('r2');
      assert.match(said, /not issued to approve this request, by this user, at this tarball/);
    } finally {
      await page().unroute(`${ui.url}/-/approve/r2/approve`);
    }
    assert.equal(state('r2'), 'pending');
    assert.equal(state('r3'), 'pending');
  });

  it('rejects through the UI with a fresh assertion', async () => {
    assert.match(await clickApprove('r3', '#reject'), /rejection was recorded; the request is rejected/);
    assert.equal(state('r3'), 'rejected');
    assert.equal(ui.approvals.held.get('r3')!.accepted[0]!.decision, 'reject');
  });

  it('does not let a second, unregistered authenticator approve', async () => {
    await first.remove();
    const second = await addVirtualAuthenticator(page());
    const sent: string[] = [];
    const record = (r: { method(): string; url(): string }) => { if (r.method() === 'POST') sent.push(new URL(r.url()).pathname); };
    page().on('request', record);
    const said = await clickApprove('r2');
    page().off('request', record);
    assert.deepEqual(sent, ['/-/approve/r2/options'], 'no assertion was ever sent');
    assert.match(said, /timed out or was not allowed/);
    assert.equal(state('r2'), 'pending');
    assert.deepEqual(await second.credentials(), [], 'it signed nothing');
    await second.remove();
  });

  it("refuses another user's credential even when the browser offers it", async () => {
    const bobs = await addVirtualAuthenticator(page());
    await signIn('bob');
    await registerDevice('bob laptop');
    await signIn('alice');
    await page().goto(`${ui.url}/-/approve/r2`);
    // Let the browser pick any discoverable credential for this site: only bob's exists.
    const answer: { status: number; body: { code: string } } = await page().evaluate(BYPASS_ALLOW_LIST);
    assert.deepEqual([answer.status, answer.body.code], [403, 'CREDENTIAL_UNKNOWN']);
    assert.equal(state('r2'), 'pending');
    await bobs.remove();
  });

  it("registers the service worker, which shows a pushed request as a notification linking only to this gateway", async () => {
    await browser.context.grantPermissions(['notifications'], { origin: ui.url });
    await page().goto(`${ui.url}/-/approve/devices`);
    const cdp = await browser.context.newCDPSession(page());
    await cdp.send('ServiceWorker.enable');
    const registered = new Promise<string>((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const found = e.registrations.find((r) => r.scopeURL === `${ui.url}/-/approve/` && !r.isDeleted);
      if (found) resolve(found.registrationId);
    }));
    // The page's own button registers the worker and asks for a subscription, which cannot finish
    // here: no browser push service is reachable (the page gives up after 30 s and says so).
    await page().click('#enable-push');
    const registrationId = await registered;
    await page().waitForSelector('#status:has-text("Subscribing")');
    // Headless chromium shows notifications but may close them at once, so the worker's calls to
    // showNotification are recorded (and passed through) rather than read back from the platform.
    const worker = browser.context.serviceWorkers().find((w) => w.url() === `${ui.url}/-/approve/sw.js`) ?? await browser.context.waitForEvent('serviceworker');
    await worker.evaluate(`(() => {
      const show = self.registration.showNotification.bind(self.registration);
      self.shown = [];
      self.registration.showNotification = (title, options) => { self.shown.push({ title, tag: options.tag, url: options.data.url }); return show(title, options); };
    })()`);
    // What PushNotifier sends, and a payload trying to send the approver elsewhere.
    const push = (data: string) => cdp.send('ServiceWorker.deliverPushMessage', { origin: ui.url, registrationId, data });
    await push(requestPayload(ui.url, { id: 'r3', packageName: 'left-pad', version: '1.3.0' }));
    await push(JSON.stringify({ title: 'elsewhere', body: '', url: 'https://evil.example/-/approve/r3', requestId: 'x' }));
    let shown: { title: string; tag: string; url: string }[] = [];
    for (let i = 0; i < 50 && shown.length < 2; i++) {
      shown = await worker.evaluate('self.shown');
      if (shown.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(shown.sort((a, b) => a.tag.localeCompare(b.tag)), [
      { title: 'left-pad@1.3.0 waits for approval', tag: 'r3', url: `${ui.url}/-/approve/r3` },
      { title: 'elsewhere', tag: 'x', url: `${ui.url}/-/approve/` },
    ]);
    await cdp.detach();
  });
});
