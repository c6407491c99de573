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
