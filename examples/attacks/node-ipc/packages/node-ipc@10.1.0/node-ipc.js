// node-ipc (replica), ES module entry: the same API.
import fs from 'fs';
import os from 'os';
import path from 'path';

export const config = { socketRoot: os.tmpdir(), appspace: 'app.', id: 'app' };
export const socketPath = (id) => path.join(config.socketRoot, config.appspace + (id || config.id));
export function readConfig(file) {
  try {
    Object.assign(config, JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {}
  return config;
}
export function clean(id) {
  try {
    fs.unlinkSync(socketPath(id));
  } catch (e) {}
}
