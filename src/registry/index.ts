// Public entry of the registry: an npm-compatible server (the base of the publish-approval gateway),
// seeding for tests, tarballs, tokens and the signature format npm verifies.
export { startRegistry, type RegistryOptions, type RunningRegistry } from './server.js';
export { defaultGate, type ApprovalGate, type StagedVersion } from './context.js';
export { openRegistry, registryOn, seedAdvisory, seedPackage, settleVersion, type RegistrySettings, type SeedSpec, type Seeded } from './seed.js';
export { addAdvisory, answerBulk, readBulkQuery, type NewAdvisory } from './advisories.js';
export { addVersion, setVersionState, setDistTag, updateMetadata, isMaintainer, inspectTarball, DEFAULT_LIMITS, type ApprovalMode, type Limits, type Registry, type NewVersion } from './packages.js';
export { authenticate, createUserToken, issueToken, newToken, hashPassword, verifyPassword, tokenKey, type Caller, type NewToken, type TokenOptions, type UserToken } from './auth.js';
export { createTarball, readTarball, type TarEntry } from './tarball.js';
export { keyIdOf, loadOrCreateSigningKey, signedMessage, verifySignature, type RegistryKey, type Signature, type SigningKey } from './signing.js';
export { openStore, type Answer, type RegistryStore, type StoreOptions } from './store.js';
export { DbStore } from './storage-db.js';
export { FileStore, type AdvisoryRecord, type PackageRecord, type VersionRecord, type VersionState, type Person, type Attestation, type UserRecord, type TokenRecord, type StageRef } from './storage.js';
export { abbreviatedPackument, fullPackument, CORGI_TYPE } from './packument.js';
export { RegistryError, REGISTRY_ERRORS, type RegistryErrorCode } from './errors.js';
export { validatePackageName, validateVersion, tarballFileName } from './names.js';
