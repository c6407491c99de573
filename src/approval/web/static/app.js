// packsec approvals: the browser side of the approver pages. WebAuthn ceremonies go through
// SimpleWebAuthnBrowser (served from this gateway), push through the service worker. The page passes
// data in data-* attributes; there is no inline script (the CSP forbids it) and no HTML is built here.
'use strict';
(function () {
  const base = '/-/approve';
  const csrf = document.body.dataset.csrf || '';
  const status = document.getElementById('status');
  const webauthn = window.SimpleWebAuthnBrowser;
  // The CSP requires Trusted Types: the only script URL this page ever hands the browser is the worker's.
  const worker = base + '/sw.js';
  const scriptUrls = window.trustedTypes
    ? window.trustedTypes.createPolicy('packsec', {
      createScriptURL: (url) => {
        if (url !== worker) throw new TypeError('unexpected script URL');
        return url;
      },
    })
    : { createScriptURL: (url) => url };

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.dataset.kind = kind || 'info';
  }

  async function post(path, data) {
    const res = await fetch(base + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(data || {}),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(json.error ? json.error + (json.hint ? ' (' + json.hint + ')' : '') : 'HTTP ' + res.status);
    return json;
  }

  function onClick(id, action) {
    const button = document.getElementById(id);
    if (!button) return;
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await action(button);
      } catch (err) {
        say(err && err.message ? err.message : String(err), 'error');
        button.disabled = false;
      }
    });
  }

  // Login page: take the one-time code from the link's fragment, and drop it from the address bar.
  const code = document.getElementById('code');
  if (code && location.hash.startsWith('#code=')) {
    code.value = decodeURIComponent(location.hash.slice('#code='.length));
    history.replaceState(null, '', location.pathname + location.search);
  }
  // An invite link opened before signing in: keep its code for the invite page, which sign-in returns to.
  if (location.hash.startsWith('#invite=')) {
    sessionStorage.setItem('packsec-invite', decodeURIComponent(location.hash.slice('#invite='.length)));
    history.replaceState(null, '', location.pathname + location.search);
  }
  const invite = document.getElementById('invite-code');
  if (invite && sessionStorage.getItem('packsec-invite')) {
    invite.value = sessionStorage.getItem('packsec-invite');
    sessionStorage.removeItem('packsec-invite');
  }

  onClick('register-device', async (button) => {
    if (button.dataset.stepUp === 'true') {
      say('First confirm with a device you registered before.');
      const s = await post('/devices/step-up/options');
      await post('/devices/step-up', { challengeId: s.challengeId, response: await webauthn.startAuthentication({ optionsJSON: s.options }) });
    }
    say('Follow your browser to register this device.');
    const r = await post('/devices/options');
    const response = await webauthn.startRegistration({ optionsJSON: r.options });
    const name = document.getElementById('device-name');
    await post('/devices', { challengeId: r.challengeId, response, name: name ? name.value : '' });
    say('Device registered.', 'ok');
    location.assign(base + '/devices?registered=1');
  });

  function within(promise, ms, what) {
    return Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(what + ' did not answer in time')), ms))]);
  }

  onClick('enable-push', async () => {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) throw new Error('this browser has no Web Push');
    say('Registering the service worker.');
    const registration = await navigator.serviceWorker.register(scriptUrls.createScriptURL(worker), { scope: base + '/' });
    await navigator.serviceWorker.ready;
    if ((await Notification.requestPermission()) !== 'granted') throw new Error('notifications are not allowed for this site');
    say("Subscribing with the browser's push service.");
    const subscription = await within(registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: document.body.dataset.vapid }), 30000, "the browser's push service");
    await post('/push', { subscription: subscription.toJSON() });
    say('Notifications are on for this browser.', 'ok');
  });

  // Approving and rejecting each take a fresh assertion, bound by the server to this request and tarball.
  function decide(decision, noun) {
    return async (button) => {
      const path = '/' + encodeURIComponent(button.dataset.requestId);
      say('Confirm with your registered device.');
      const o = await post(path + '/options', { decision });
      const response = await webauthn.startAuthentication({ optionsJSON: o.options });
      const result = await post(path + '/' + decision, { challengeId: o.challengeId, response });
      const state = document.getElementById('state');
      if (state) state.textContent = result.state;
      say('Your ' + noun + ' was recorded; the request is ' + result.state + '.', 'ok');
    };
  }
  onClick('approve', decide('approve', 'approval'));
  onClick('reject', decide('reject', 'rejection'));

  // Package pages: every change an owner makes (a group, a count, an invite, a removal, a notice) is a
  // form whose fields become the action; the server binds a challenge to exactly that action, and the
  // registered device confirms it.
  const pkg = document.getElementById('package');
  for (const form of document.querySelectorAll('form.manage')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button[type=submit]');
      const action = { kind: form.dataset.kind };
      for (const [key, value] of new FormData(form)) action[key] = value;
      if (form.dataset.confirm) {
        if (!window.confirm(form.dataset.confirm)) return;
        action.belowRequired = true;
      }
      if (button) button.disabled = true;
      try {
        const path = '/packages/' + encodeURIComponent(pkg.dataset.package);
        say('Confirm with your registered device.');
        const o = await post(path + '/options', { action });
        const response = await webauthn.startAuthentication({ optionsJSON: o.options });
        const result = await post(path + '/act', { action, challengeId: o.challengeId, response });
        if (result.invite) {
          const field = document.getElementById('invite-link-' + action.groupId);
          field.value = result.invite.link;
          field.parentElement.hidden = false;
          field.select();
          say('Invite link for ' + result.invite.group + ' created; it works once, until ' + result.invite.expiresAt + '.', 'ok');
          if (button) button.disabled = false;
          return;
        }
        location.assign(location.pathname + '?done=' + encodeURIComponent(result.done));
      } catch (err) {
        say(err && err.message ? err.message : String(err), 'error');
        if (button) button.disabled = false;
      }
    });
  }
})();
