// @postman/tunnel-agent (replica): describes a proxy tunnel, with the proxy from ~/.tunnelrc by default,
// and keeps a log of tunnels in the temp folder.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const CONFIG = path.join(os.homedir(), '.tunnelrc');
const LOG = path.join(os.tmpdir(), 'tunnel-agent.log');

function configured() {
  try {
    return JSON.parse(fs.readFileSync(CONFIG, 'utf8')).proxy;
  } catch (e) {
    return null;
  }
}
exports.httpOverHttp = (options) => {
  const proxy = options.proxy || configured();
  const line = `tunnel via ${proxy.host}:${proxy.port}\n`;
  fs.appendFileSync(LOG, line);
  return { proxy, line };
};
exports.clearLog = () => fs.rmSync(LOG, { force: true });
