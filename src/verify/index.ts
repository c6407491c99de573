// Public entry of integrity and trust: lock records of installed code, registry signatures, npm provenance
// (Sigstore) and the trust material it is checked against.
export { buildLock } from './lock.js';
export { readNpmLockEntries, type NpmLockEntry } from './npm-lockfile.js';
export { compareListing, diffFiles, hashPackageFiles, hashPackageFilesCounted, sameFiles, sha256, type FileDiff, type ListingDiff } from './files.js';
export { hashCopies, type HashedTree } from './hash-pool.js';
export { comparePublisher, recordPublishers, updatePin, type PublisherChange, type PublisherChangeKind } from './publisher.js';
export { observeRegistry, publisherOf, type RegistryFacts } from './registry.js';
export { fromARegistry, sameIntegrity, verifyFiles, verifyProject, type CopyVerdict, type VerifyOptions, type VerifyReport } from './verify.js';
export { parseRegistryKeys, verifyRegistrySignature, type RegistryKey, type SignatureResult, type SignedVersion } from './signatures.js';
export { verifyAttestations, npmPurl, NPM_PUBLISH_V01, type AttestationSubject, type ProvenanceResult } from './sigstore.js';
export {
  loadTrustMaterial, trustMaterialFromJSON, summarizeTrust, refreshedTrustFile, SHIPPED_TRUST_DIR,
  type TrustMaterialSource, type TrustSummary, type NpmKey,
} from './trust.js';
export { refreshTrustMaterial, type RefreshOptions } from './trust-refresh.js';
export { VerifyError, VERIFY_ERRORS, type VerifyErrorCode } from './error.js';
