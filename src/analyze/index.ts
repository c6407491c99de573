// Public entry of static inference: analyse source files, packages and whole installed trees.
export { analyzeSource, type SourceKind, type AnalyzeOptions } from './file.js';
export { analyzeProject, CopyAnalyzer, mergeByName, throughTree, defaultCacheFile, union, type AnalyzeProjectOptions, type ProjectAnalysis } from './project.js';
export type { CopyAnalysis } from './package.js';
export { throughDependencies, HTTP_CLIENTS } from './through.js';
export { fileRecord, listPackageFiles, symlinkRecord, type FoundCopy } from './tree.js';
export { readManifest, installScripts, scriptsKey } from './manifest.js';
export { nodePowers, type ReadPowers, type DirEntry } from './powers.js';
export { CATEGORIES, DANGEROUS, entryCategories, capabilityCategories, builtinCategories, globalCategories, splitKey, type Category } from './categories.js';
export { DETECTORS } from './detectors/index.js';
export { AMBIENT, INTRINSICS } from './globals.js';
export { ScopeTracker, hasUseStrict, type Binding, type Reference } from './scope.js';
export type {
  FileFacts, PackageAnalysis, PackageCopy, PackageWarning, Evidence, WarningKind, CapabilitySource,
} from './types.js';
