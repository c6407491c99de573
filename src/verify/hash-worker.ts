// One hashing worker: hashes the package copies it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { hashPackageFilesCounted } from './files.js';

parentPort!.on('message', (msg: { id: number; dir: string }) => {
  const { files, bytes } = hashPackageFilesCounted(msg.dir);
  parentPort!.postMessage({ id: msg.id, files, bytes });
});
