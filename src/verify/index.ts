// Public entry of integrity and trust records: building and reading what the lock says about installed code.
export { buildLock } from './lock.js';
export { readNpmLockEntries, type NpmLockEntry } from './npm-lockfile.js';
export { diffFiles, hashPackageFiles, listedRecords, sameFiles, sha256, type FileDiff } from './files.js';
