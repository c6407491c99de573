// The shape of a detector: a small rule that looks at one kind of syntax node and reports what it finds.
import type { Node } from '../ast.js';
import type { WarningKind } from '../types.js';

export interface DetectorContext {
  /** The name of an identifier that refers to no local binding (a global), else null. */
  freeName(node: Node): string | null;
  isRequireCall(node: Node): boolean;
  /** True when the expression holds a require function (require, module.require, an alias, createRequire()). */
  isRequire(node: Node): boolean;
  /** The literal specifier of a require() call, or null when it is computed. */
  requireSpecifier(node: Node): string | null;
  /** ["fs", "readFile"] when the expression holds (part of) a built-in module. */
  builtinPath(node: Node): string[] | null;
  /** ["process", "env"] when the expression reads a global path. */
  globalPath(node: Node): string[] | null;
  warn(kind: WarningKind, node: Node, message: string): void;
  native(node: Node, why: string): void;
  /** A load whose specifier is computed; `prefix` is its literal start, when it has one. */
  dynamic(node: Node, prefix: string | null): void;
}

export interface Detector {
  name: string;
  /** The capability category it feeds (docs/capabilities.md lists them). */
  category: 'dynamic-code' | 'native' | 'module-internals';
  /** One line for the docs: what it finds and why it matters. */
  doc: string;
  nodeTypes: readonly string[];
  detect(node: Node, ctx: DetectorContext): void;
}
