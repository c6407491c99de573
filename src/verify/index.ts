// Public entry of integrity and trust records: building and reading what the lock says about installed code.
export { buildLock } from './lock.js';
export { readNpmLockEntries, type NpmLockEntry } from './npm-lockfile.js';
export { diffFiles, hashPackageFiles, hashPackageFilesCounted, sameFiles, type FileDiff } from './files.js';
export { hashCopies, type HashedTree } from './hash-pool.js';
export { comparePublisher, recordPublishers, updatePin, type PublisherChange, type PublisherChangeKind } from './publisher.js';
export { observeRegistry, publisherOf, type RegistryFacts } from './registry.js';
export { fromARegistry, sameIntegrity, verifyFiles, verifyProject, type CopyVerdict, type VerifyOptions, type VerifyReport } from './verify.js';
