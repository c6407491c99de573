// Data the analyzer produces: facts about one file, then capabilities of one package with evidence.
import type { PackagePolicy } from '../policy/index.js';

export type WarningKind =
  | 'eval'
  | 'function-constructor'
  | 'with'
  | 'dynamic-require'
  | 'dynamic-import'
  | 'vm'
  | 'module-internals'
  | 'computed-global'
  | 'unanalysable'
  | 'declaration-mismatch'
  | 'declaration-invalid';

export interface Location {
  line: number;
  column: number;
  /** The source line (or a window of it on minified code). */
  text: string;
}

export interface ImportFact extends Location {
  specifier: string;
  kind: 'require' | 'import' | 'dynamic-import' | 'export-from' | 'resolve' | 'worker';
}

export interface DynamicImportFact extends Location {
  /** Literal text the specifier starts with, when there is one (`'./locale/' + x`). */
  prefix: string | null;
}

export interface CapabilityFact extends Location {
  cap: string;
}

export interface WarningFact extends Location {
  kind: WarningKind;
  message: string;
}

/**
 * A connection (or a lookup) the file makes: the host (and port) when the call names it literally,
 * `host` null when it is computed, and `unix:<path>` for a unix socket at a literal path.
 */
export interface HostFact extends Location {
  host: string | null;
  port: number | null;
  /** The call that makes it ("https.get", "fetch", "axios.create"). */
  via: string;
}

/**
 * A path the file reads or writes: relative to the file's own folder ("dir") or the file itself
 * ("file"), under $tmp or $home, or absolute ("/"); `base` null when it is computed. `rest` holds only
 * whole path segments known for certain (a computed tail is dropped, `partial` then says so).
 */
export interface PathFact extends Location {
  base: 'dir' | 'file' | '$tmp' | '$home' | '/' | null;
  rest: string;
  partial: boolean;
  access: 'read' | 'write';
  via: string;
}

/** What one source file does, independent of where it is installed (so it can be cached by content). */
export interface FileFacts {
  imports: ImportFact[];
  dynamic: DynamicImportFact[];
  builtins: CapabilityFact[];
  globals: CapabilityFact[];
  native: CapabilityFact[];
  warnings: WarningFact[];
  hosts: HostFact[];
  paths: PathFact[];
  /** Set when the file could not be analysed at all. */
  unanalysable?: string;
}

export interface Evidence {
  /** File path relative to the package folder (prefixed by the copy's path when a name has several). */
  file: string;
  line: number;
  column: number;
  text: string;
}

export type CapabilitySource = 'inferred' | 'declared' | 'community';

export interface PackageWarning extends Evidence {
  kind: WarningKind;
  message: string;
}

export interface PackageCopy {
  name: string;
  version: string;
  /** Path relative to the project root, e.g. node_modules/a/node_modules/b. */
  path: string;
  /** Real path on disk. */
  dir: string;
}

/** Everything known about one package name (all installed copies together). */
export interface PackageAnalysis {
  name: string;
  versions: string[];
  copies: PackageCopy[];
  /** What the policy should grant: the declaration when there is one, else the inferred capabilities. */
  entry: PackagePolicy;
  /** What static analysis found, whatever was declared. */
  inferred: PackagePolicy;
  source: CapabilitySource;
  /** Capability key ("builtins:fs.readFile", "globals:process.env.X", "packages:ms", "native", "scripts") → where. */
  evidence: Record<string, Evidence[]>;
  warnings: PackageWarning[];
  /** Lifecycle scripts that npm would run (including the implicit node-gyp rebuild). */
  scripts: Record<string, string>;
  filesAnalysed: number;
}
