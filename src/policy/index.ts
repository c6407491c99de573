// Public entry of the policy domain: the model, validation, and reading/writing policy and lock files.
export { PolicyError, type PolicyErrorCode } from './error.js';
export {
  POLICY_FILE, LOCK_FILE, POLICY_VERSION, LIST_FIELDS, FLAG_FIELDS, emptyPolicy, normalizeEntry, covers, gained,
  isEmptyEntry, compareCapability, gainedHosts, gainedPaths, hostScope, pathScope, unionEntries, ANY,
  type Policy, type PackagePolicy, type ListField, type FlagField,
} from './model.js';
export {
  canonicalHost, parseHostPattern, formatHostPattern, normalizeHostPattern, hostAllowed, hostPatternCovers, isIP, isIPv4,
  parsePathGrant, formatPathGrant, normalizePathGrant, pathGrantCovers, pathInside, usesNetwork, usesFs, NET_MODULES, NET_GLOBALS, FS_MODULES,
  PATH_VARIABLES, type HostPattern, type PathGrant, type PathVariable, type FsGrants,
} from './grants.js';
export { validatePolicy, checkEntry, problemsToError, type Problem } from './schema.js';
export { serializePolicy, readPolicy, requirePolicy, writePolicy, parseJsonFile, policyPath } from './io.js';
export { builtinModuleOf, isKnownBuiltin, parseBuiltinCapability, packageNameOf, isValidPackageName, isValidGlobal, isValidAppFile, matchesAppFile } from './names.js';
export { readLock, writeLock, serializeLock, validateLock, lockPath, type Lock, type LockRecord, type PublisherRecord, type PublisherPin, type ProvenanceIdentity } from './lock.js';
export { mergePolicy, mergeRestriction, describeEntry, describeReach, isEmptyChange, type MergeResult, type EntryChange } from './merge.js';
export { AMBIENT, INTRINSICS, GLOBAL_OBJECT_NAMES } from './ambient.js';
export { FS_CALLS, FS_PASS, FS_STREAMS, flagsAccess, type FsCall, type FsPathArg } from './fs-calls.js';
