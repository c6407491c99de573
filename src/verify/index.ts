// Public entry of integrity and trust records: building and reading what the lock says about installed code.
export { buildLock } from './lock.js';
export { readNpmLockEntries, type NpmLockEntry } from './npm-lockfile.js';
export { compareListing, diffFiles, hashPackageFiles, sameFiles, sha256, type FileDiff, type ListingDiff } from './files.js';
