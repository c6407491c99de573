// Static analysis of one JavaScript file: parse, build scopes, then follow every value that holds a
// built-in module or a global (through aliases, destructuring and member chains) to the exports and
// property paths actually used. Pure: takes source text, returns FileFacts.
import { parse as acornParse } from 'acorn';
import { builtinModuleOf } from '../policy/names.js';
import { children, memberKey, staticPrefix, staticString, type Node } from './ast.js';
import { DETECTORS, type DetectorContext } from './detectors/index.js';
import { GLOBAL_OBJECT_NAMES, globalCapability, globalDepth, type UseContext } from './globals.js';
import type { FileFacts, Location, WarningKind } from './types.js';

export type SourceKind = 'commonjs' | 'module';

export interface AnalyzeOptions {
  /** How Node would load the file; a CommonJS guess that fails to parse is retried as a module. */
  kind: SourceKind;
}

// ---------------------------------------------------------------- values a binding can hold

type Value =
  | { kind: 'builtin'; module: string; path: string[] }
  | { kind: 'global'; path: string[] }
  | { kind: 'require' }
  | { kind: 'import-promise'; module: string };

// Helpers that compilers wrap around require(): they pass the module through.
const INTEROP_HELPERS = new Set([
  '_interopRequireDefault', '_interopRequireWildcard', '__importDefault', '__importStar', '__toESM',
  '__toCommonJS', '_interop_require_default', '_interop_require_wildcard', 'interopRequireDefault',
  'interopRequireWildcard', '__require',
]);

// Built-in exports that are namespaces: their members are granted one by one (fs.promises.readFile).
const NAMESPACE_EXPORTS = new Set(['promises', 'constants', 'posix', 'win32', 'types', 'webcrypto']);

// Capabilities are at most a few keys deep; longer paths are kept at this length ("this or deeper") so
// that a hostile chain `x.a.a.a…` of n links does not cost n² to represent.
const MAX_PATH = 8;

function extend(v: Value, key: string): Value | null {
  if ((v.kind === 'builtin' || v.kind === 'global') && v.path.length >= MAX_PATH) return v;
  if (v.kind === 'builtin') {
    if (v.path.length === 0 && key === 'default') return v;
    return { kind: 'builtin', module: v.module, path: [...v.path, key] };
  }
  if (v.kind === 'global') {
    // globalThis.globalThis, global.global: the global object again, not a property of it.
    if (v.path.length === 0 && GLOBAL_OBJECT_NAMES.has(key)) return v;
    return { kind: 'global', path: [...v.path, key] };
  }
  return null;
}

/**
 * `require('process')` is the global `process` object: its members are granted as globals, so that
 * `require('process').env.HOME` needs process.env.HOME, not the whole environment.
 */
function processGlobal(v: Value): Value | null {
  return v.kind === 'builtin' && v.module === 'process' && v.path.length > 0 ? { kind: 'global', path: ['process', ...v.path] } : null;
}

function complete(v: Value): boolean {
  const asGlobal = processGlobal(v);
  if (asGlobal) return complete(asGlobal);
  if (v.kind === 'builtin') return v.path.length >= (v.path[0] !== undefined && NAMESPACE_EXPORTS.has(v.path[0]) ? 2 : 1);
  if (v.kind === 'global') return v.path.length > 0 && v.path.length >= globalDepth(v.path);
  return false;
}

// ---------------------------------------------------------------- scopes

interface Binding {
  name: string;
  /** Expressions assigned to it, with the destructuring steps from the expression to this name. */
  sources: { init: Node; steps: (string | null)[] }[];
  importOf?: { module: string; imported: string };
  value?: Value | null;
  computing?: boolean;
}

interface Scope {
  parent: Scope | null;
  functionScope: boolean;
  vars: Map<string, Binding>;
}

interface Reference {
  node: Node;
  scope: Scope;
  write: boolean;
}

class FileAnalysis {
  readonly facts: FileFacts = { imports: [], dynamic: [], builtins: [], globals: [], native: [], warnings: [] };
  private readonly refs: Reference[] = [];
  private readonly resolved = new Map<Node, Binding | null>();
  private readonly lineStarts: number[] = [0];
  private readonly seen = new Set<string>();
  private strict: boolean;

  constructor(
    private readonly source: string,
    private readonly kind: SourceKind,
  ) {
    for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.strict = kind === 'module';
  }

  run(program: Node): void {
    const top: Scope = { parent: null, functionScope: true, vars: new Map() };
    if (this.kind === 'commonjs' && hasUseStrict(program)) this.strict = true;
    this.visit(program, null, top);
    // Names are resolved once every declaration is known, which takes care of hoisting.
    for (const r of this.refs) this.resolved.set(r.node, this.lookup(r.scope, r.node.name as string));
    for (const a of this.pendingAssignments) {
      const b = this.resolved.get(a.ident);
      if (b) b.sources.push({ init: a.init, steps: a.steps });
    }
    for (const r of this.refs) if (!r.write) this.useReference(r.node);
    this.collectSources(program);
    this.runDetectors();
  }

  // ---------------------------------------------------------------- pass 1: scopes and references

  private declare(scope: Scope, name: string): Binding {
    let b = scope.vars.get(name);
    if (!b) {
      b = { name, sources: [] };
      scope.vars.set(name, b);
    }
    return b;
  }

  private functionScopeOf(scope: Scope): Scope {
    let s = scope;
    while (!s.functionScope && s.parent) s = s.parent;
    return s;
  }

  private lookup(scope: Scope | null, name: string): Binding | null {
    for (let s = scope; s; s = s.parent) {
      const b = s.vars.get(name);
      if (b) return b;
    }
    return null;
  }

  /** Declares every name a binding pattern introduces; visits defaults and computed keys as expressions. */
  private declarePattern(pattern: Node, target: Scope, exprScope: Scope, init: Node | null, steps: (string | null)[]): void {
    switch (pattern.type) {
      case 'Identifier': {
        const b = this.declare(target, pattern.name as string);
        this.declaredIds.set(pattern, b);
        if (init) b.sources.push({ init, steps });
        return;
      }
      case 'ObjectPattern':
        for (const prop of pattern.properties as Node[]) {
          prop.parent = pattern;
          if (prop.type === 'RestElement') {
            this.declarePattern(prop.argument as Node, target, exprScope, init, [...steps, null]);
            continue;
          }
          const key = prop.key as Node;
          let step: string | null = null;
          if (prop.computed) {
            this.visit(key, prop, exprScope);
            step = staticString(key);
          } else step = key.type === 'Identifier' ? (key.name as string) : staticString(key) ?? (key.type === 'Literal' ? String(key.value) : null);
          this.declarePattern(prop.value as Node, target, exprScope, init, [...steps, step]);
        }
        return;
      case 'ArrayPattern':
        for (const el of pattern.elements as (Node | null)[]) if (el) {
          el.parent = pattern;
          this.declarePattern(el, target, exprScope, init, [...steps, null]);
        }
        return;
      case 'RestElement':
        this.declarePattern(pattern.argument as Node, target, exprScope, init, [...steps, null]);
        return;
      case 'AssignmentPattern':
        (pattern.right as Node).parent = pattern;
        this.visit(pattern.right as Node, pattern, exprScope);
        this.declarePattern(pattern.left as Node, target, exprScope, init, steps);
        return;
      default:
        // Member expressions in assignment patterns (`[a.b] = x`) are ordinary expressions.
        this.visit(pattern, pattern.parent ?? null, exprScope);
    }
  }

  /** Assignment targets: identifiers there are writes to existing bindings. */
  private assignPattern(pattern: Node, parent: Node, scope: Scope, init: Node | null, steps: (string | null)[]): void {
    pattern.parent = parent;
    switch (pattern.type) {
      case 'Identifier':
        this.refs.push({ node: pattern, scope, write: true });
        if (init) this.pendingAssignments.push({ ident: pattern, scope, init, steps });
        return;
      case 'ObjectPattern':
        for (const prop of pattern.properties as Node[]) {
          prop.parent = pattern;
          if (prop.type === 'RestElement') { this.assignPattern(prop.argument as Node, prop, scope, init, [...steps, null]); continue; }
          if (prop.computed) this.visit(prop.key as Node, prop, scope);
          const key = prop.key as Node;
          const step = prop.computed ? staticString(key) : key.type === 'Identifier' ? (key.name as string) : staticString(key);
          this.assignPattern(prop.value as Node, prop, scope, init, [...steps, step]);
        }
        return;
      case 'ArrayPattern':
        for (const el of pattern.elements as (Node | null)[]) if (el) this.assignPattern(el, pattern, scope, init, [...steps, null]);
        return;
      case 'RestElement':
        this.assignPattern(pattern.argument as Node, pattern, scope, init, [...steps, null]);
        return;
      case 'AssignmentPattern':
        this.visit(pattern.right as Node, pattern, scope);
        this.assignPattern(pattern.left as Node, pattern, scope, init, steps);
        return;
      default:
        this.visit(pattern, parent, scope);
    }
  }

  private readonly pendingAssignments: { ident: Node; scope: Scope; init: Node; steps: (string | null)[] }[] = [];

  private visitFunction(node: Node, scope: Scope): void {
    const fnScope: Scope = { parent: scope, functionScope: true, vars: new Map() };
    if (node.type === 'FunctionExpression' && node.id) this.declare(fnScope, (node.id as Node).name as string);
    for (const p of node.params as Node[]) {
      p.parent = node;
      this.declarePattern(p, fnScope, fnScope, null, []);
    }
    const body = node.body as Node;
    body.parent = node;
    if (body.type === 'BlockStatement') {
      const wasStrict = this.strict;
      if (hasUseStrict(body)) this.strict = true;
      for (const stmt of body.body as Node[]) this.visit(stmt, body, fnScope);
      this.strict = wasStrict;
    } else this.visit(body, node, fnScope);
  }

  private visit(node: Node, parent: Node | null, scope: Scope): void {
    node.parent = parent;
    switch (node.type) {
      case 'Identifier':
        this.refs.push({ node, scope, write: false });
        break;
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? this.functionScopeOf(scope) : scope;
        for (const d of node.declarations as Node[]) {
          d.parent = node;
          const init = d.init as Node | null;
          if (init) this.visit(init, d, scope);
          (d.id as Node).parent = d;
          this.declarePattern(d.id as Node, target, scope, init, []);
        }
        break;
      }
      case 'FunctionDeclaration': {
        const name = (node.id as Node | null)?.name as string | undefined;
        if (name) {
          this.declare(scope, name);
          // Annex B: in sloppy code a function in a block is also a var of the enclosing function.
          if (!this.strict) this.declare(this.functionScopeOf(scope), name);
        }
        this.visitFunction(node, scope);
        break;
      }
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.visitFunction(node, scope);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        const id = node.id as Node | null;
        const inner: Scope = { parent: scope, functionScope: false, vars: new Map() };
        if (id) {
          this.declare(node.type === 'ClassDeclaration' ? scope : inner, id.name as string);
          id.parent = node;
        }
        if (node.superClass) this.visit(node.superClass as Node, node, scope);
        const body = node.body as Node;
        body.parent = node;
        for (const member of body.body as Node[]) {
          member.parent = body;
          if (member.computed) this.visit(member.key as Node, member, inner);
          if (member.type === 'StaticBlock') {
            const blockScope: Scope = { parent: inner, functionScope: true, vars: new Map() };
            for (const s of member.body as Node[]) this.visit(s, member, blockScope);
          } else if (member.value) {
            const value = member.value as Node;
            if (member.type === 'PropertyDefinition') {
              const fieldScope: Scope = { parent: inner, functionScope: true, vars: new Map() };
              this.visit(value, member, fieldScope);
            } else this.visit(value, member, inner);
          }
        }
        break;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const inner: Scope = { parent: scope, functionScope: false, vars: new Map() };
        for (const s of node.body as Node[]) this.visit(s, node, inner);
        break;
      }
      case 'SwitchStatement': {
        this.visit(node.discriminant as Node, node, scope);
        const inner: Scope = { parent: scope, functionScope: false, vars: new Map() };
        for (const c of node.cases as Node[]) {
          c.parent = node;
          if (c.test) this.visit(c.test as Node, c, inner);
          for (const s of c.consequent as Node[]) this.visit(s, c, inner);
        }
        break;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const inner: Scope = { parent: scope, functionScope: false, vars: new Map() };
        for (const key of ['init', 'left', 'right', 'test', 'update', 'body']) {
          const child = node[key] as Node | null | undefined;
          if (!child) continue;
          if (key === 'left' && child.type !== 'VariableDeclaration') this.assignPattern(child, node, inner, null, []);
          else this.visit(child, node, inner);
        }
        break;
      }
      case 'CatchClause': {
        const inner: Scope = { parent: scope, functionScope: false, vars: new Map() };
        if (node.param) {
          (node.param as Node).parent = node;
          this.declarePattern(node.param as Node, inner, inner, null, []);
        }
        this.visit(node.body as Node, node, inner);
        break;
      }
      case 'AssignmentExpression': {
        const right = node.right as Node;
        this.visit(right, node, scope);
        this.assignPattern(node.left as Node, node, scope, node.operator === '=' ? right : null, []);
        break;
      }
      case 'UpdateExpression':
        this.assignPattern(node.argument as Node, node, scope, null, []);
        break;
      case 'LogicalExpression': {
        const left = node.left as Node;
        this.visit(left, node, scope);
        // `0 && (module.exports = { a, b })` is esbuild's annotation for cjs-module-lexer: it never runs,
        // and its names are not globals.
        if (node.operator === '&&' && left.type === 'Literal' && !left.value) break;
        this.visit(node.right as Node, node, scope);
        break;
      }
      case 'MemberExpression':
        this.visit(node.object as Node, node, scope);
        if (node.computed) this.visit(node.property as Node, node, scope);
        break;
      case 'Property':
        if (node.computed) this.visit(node.key as Node, node, scope);
        this.visit(node.value as Node, node, scope);
        break;
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) this.visit(node.key as Node, node, scope);
        if (node.value) this.visit(node.value as Node, node, scope);
        break;
      case 'LabeledStatement':
        this.visit(node.body as Node, node, scope);
        break;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'PrivateIdentifier':
      case 'Literal':
      case 'TemplateElement':
      case 'ThisExpression':
      case 'Super':
        break;
      case 'ImportDeclaration': {
        const spec = staticString(node.source as Node) ?? '';
        this.addImport(spec, 'import', node);
        const module = builtinModuleOf(spec);
        for (const s of node.specifiers as Node[]) {
          s.parent = node;
          const b = this.declare(scope, (s.local as Node).name as string);
          if (module) {
            const imported = s.type === 'ImportSpecifier' ? (memberName(s.imported as Node) ?? '*') : '*';
            b.importOf = { module, imported: imported === 'default' ? '*' : imported };
          }
        }
        break;
      }
      case 'ExportNamedDeclaration':
        if (node.source) {
          const spec = staticString(node.source as Node) ?? '';
          this.addImport(spec, 'export-from', node);
          const module = builtinModuleOf(spec);
          if (module) {
            for (const s of node.specifiers as Node[]) {
              const local = memberName(s.local as Node) ?? '*';
              this.addCapability('builtins', local === 'default' || local === '*' ? module : `${module}.${local}`, s);
            }
          }
        } else if (node.declaration) this.visit(node.declaration as Node, node, scope);
        else for (const s of node.specifiers as Node[]) {
          s.parent = node;
          this.visit(s.local as Node, s, scope);
        }
        break;
      case 'ExportAllDeclaration': {
        const spec = staticString(node.source as Node) ?? '';
        this.addImport(spec, 'export-from', node);
        const module = builtinModuleOf(spec);
        if (module) this.addCapability('builtins', module, node);
        break;
      }
      case 'ExportDefaultDeclaration':
        this.visit(node.declaration as Node, node, scope);
        break;
      case 'WithStatement':
        this.visit(node.object as Node, node, scope);
        // Names inside `with` may come from the object; they are still recorded as free names.
        this.visit(node.body as Node, node, scope);
        break;
      default:
        for (const child of children(node)) this.visit(child, node, scope);
    }
    const detectors = DETECTORS_BY_TYPE.get(node.type);
    if (detectors) for (const d of detectors) this.pendingDetectors.push([d, node]);
  }

  private readonly pendingDetectors: [(typeof DETECTORS)[number], Node][] = [];

  private runDetectors(): void {
    const ctx: DetectorContext = {
      freeName: (n) => this.freeName(n),
      isRequireCall: (n) => this.isRequireCall(n),
      isRequire: (n) => this.valueOf(n)?.kind === 'require',
      requireSpecifier: (n) => this.requireSpecifier(n),
      builtinPath: (n) => {
        const v = this.valueOf(n);
        return v?.kind === 'builtin' ? [v.module, ...v.path] : null;
      },
      globalPath: (n) => {
        const found = this.valueOf(n);
        const v = found && (processGlobal(found) ?? found);
        return v?.kind === 'global' ? v.path : null;
      },
      warn: (kind, n, message) => this.addWarning(kind, n, message),
      native: (n, why) => this.addCapability('native', why, n),
      dynamic: (n, prefix) => this.facts.dynamic.push({ ...this.locate(n.start), prefix }),
    };
    for (const [d, node] of this.pendingDetectors) d.detect(node, ctx);
  }

  // ---------------------------------------------------------------- pass 2: values and their uses

  private freeName(node: Node): string | null {
    if (node.type !== 'Identifier' || !this.resolved.has(node)) return null;
    return this.resolved.get(node) ? null : (node.name as string);
  }

  isRequireCall(node: Node): boolean {
    if (node.type !== 'CallExpression') return false;
    const callee = node.callee as Node;
    if (callee.type === 'Identifier' && callee.name === 'require') return true;
    if (callee.type === 'MemberExpression' && !callee.computed && (callee.property as Node).name === 'require'
      && (callee.object as Node).type === 'Identifier' && (callee.object as Node).name === 'module') return true;
    const v = this.valueOf(callee);
    return v?.kind === 'require';
  }

  private requireSpecifier(node: Node): string | null {
    const arg = (node.arguments as Node[])[0];
    return arg ? staticString(arg) : null;
  }

  private bindingValue(b: Binding): Value | null {
    if (b.value !== undefined) return b.value;
    if (b.computing) return null;
    b.computing = true;
    this.computingBindings++;
    let value: Value | null = null;
    if (b.importOf) {
      value = { kind: 'builtin', module: b.importOf.module, path: b.importOf.imported === '*' ? [] : [b.importOf.imported] };
    } else if (b.sources.length === 1 && b.name !== 'require') {
      const src = b.sources[0]!;
      value = this.valueOf(src.init);
      for (const step of src.steps) {
        if (!value) break;
        value = step === null ? null : extend(value, step);
      }
    } else if (b.name === 'require' || b.sources.some((s) => this.valueOf(s.init)?.kind === 'require')) {
      value = { kind: 'require' };
    }
    b.computing = false;
    this.computingBindings--;
    b.value = value;
    return value;
  }

  // Detectors ask for the value of every member and call expression: without memoising, a chain
  // `x.a.a.a…` of n links costs n² steps (a hostile file could then time out the worker).
  private readonly values = new Map<Node, Value | null>();
  private computingBindings = 0;

  private valueOf(node: Node): Value | null {
    const known = this.values.get(node);
    if (known !== undefined) return known;
    const value = this.computeValue(node);
    // A value found while a binding is being computed may be a cycle's provisional null: not kept.
    if (this.computingBindings === 0) this.values.set(node, value);
    return value;
  }

  private computeValue(node: Node): Value | null {
    switch (node.type) {
      case 'Identifier': {
        const name = node.name as string;
        if (name === 'require') return { kind: 'require' };
        const b = this.resolved.get(node);
        if (b) return this.bindingValue(b);
        if (b === undefined) return null; // not a reference (a key or a label)
        if (GLOBAL_OBJECT_NAMES.has(name)) return { kind: 'global', path: [] };
        return { kind: 'global', path: [name] };
      }
      case 'MemberExpression': {
        const obj = this.valueOf(node.object as Node);
        const key = memberKey(node);
        return obj && key !== null ? extend(obj, key) : null;
      }
      case 'CallExpression': {
        if (this.isRequireCall(node)) {
          const spec = this.requireSpecifier(node);
          const module = spec === null ? null : builtinModuleOf(spec);
          return module ? { kind: 'builtin', module, path: [] } : null;
        }
        const callee = node.callee as Node;
        const args = node.arguments as Node[];
        if (callee.type === 'Identifier' && INTEROP_HELPERS.has(callee.name as string) && args[0]) return this.valueOf(args[0]);
        const cv = this.valueOf(callee);
        if (cv?.kind === 'builtin' && cv.module === 'module' && cv.path.join('.') === 'createRequire') return { kind: 'require' };
        if (isGetBuiltinModule(cv)) {
          const spec = this.requireSpecifier(node);
          const module = spec === null ? null : builtinModuleOf(spec);
          return module ? { kind: 'builtin', module, path: [] } : null;
        }
        return null;
      }
      case 'ImportExpression': {
        const spec = staticString(node.source as Node);
        const module = spec === null ? null : builtinModuleOf(spec);
        return module ? { kind: 'import-promise', module } : null;
      }
      case 'AwaitExpression': {
        const v = this.valueOf(node.argument as Node);
        return v?.kind === 'import-promise' ? { kind: 'builtin', module: v.module, path: [] } : null;
      }
      case 'ChainExpression':
      case 'ParenthesizedExpression':
        return this.valueOf(node.expression as Node);
      case 'SequenceExpression': {
        const list = node.expressions as Node[];
        return list.length ? this.valueOf(list[list.length - 1]!) : null;
      }
      default:
        return null;
    }
  }

  /** A reference to a name: if it holds a built-in or a global, find what part of it is used. */
  private useReference(node: Node): void {
    const v = this.valueOf(node);
    if (v && (v.kind === 'builtin' || v.kind === 'global')) this.climb(node, v);
  }

  /** A require()/import() of a built-in: follow what is used of the module it returns. */
  private useSource(node: Node): void {
    const v = this.valueOf(node);
    if (v && (v.kind === 'builtin' || v.kind === 'import-promise')) this.climb(node, v);
  }

  private climb(start: Node, startValue: Value): void {
    let node = start;
    let value = startValue;
    if (complete(value)) return this.record(value, node, 'value');
    for (;;) {
      const p = node.parent;
      if (!p) return this.record(value, node, 'value');
      switch (p.type) {
        case 'MemberExpression': {
          if (p.object !== node) return this.record(value, node, 'value');
          const key = memberKey(p);
          if (key === null) {
            if (value.kind === 'global' && value.path.length === 0) {
              this.addWarning('computed-global', p, 'reads the global object with a computed key');
              return;
            }
            return this.record(value, node, 'value');
          }
          const next = value.kind === 'import-promise' ? null : extend(value, key);
          if (!next) return;
          node = p;
          value = next;
          if (complete(value)) return this.record(value, node, 'value');
          continue;
        }
        case 'ChainExpression':
        case 'ParenthesizedExpression':
          node = p;
          continue;
        case 'AwaitExpression':
          if (value.kind === 'import-promise') value = { kind: 'builtin', module: value.module, path: [] };
          node = p;
          continue;
        case 'SequenceExpression': {
          const list = p.expressions as Node[];
          if (list[list.length - 1] !== node) return; // value discarded
          node = p;
          continue;
        }
        case 'CallExpression': {
          const callee = p.callee as Node;
          if (callee === node) return this.record(value, node, 'call');
          if (callee.type === 'Identifier' && INTEROP_HELPERS.has(callee.name as string)) {
            node = p;
            continue;
          }
          return this.record(value, node, 'value');
        }
        case 'NewExpression':
          if (p.callee === node) return this.record(value, node, (p.arguments as Node[]).length ? 'new-args' : 'new-noargs');
          return this.record(value, node, 'value');
        case 'UnaryExpression':
          if (p.operator === 'typeof' && node.type === 'Identifier' && value.kind === 'global') return;
          if (p.operator === '!' && isExistenceTest(value)) return;
          return this.record(value, node, 'value');
        case 'BinaryExpression':
          if (p.operator === 'instanceof' && p.right === node) return this.record(value, node, 'instanceof');
          // `'env' in process` is a feature test: absent properties answer it truthfully.
          if (p.operator === 'in' && p.right === node && value.kind === 'global') return;
          return this.record(value, node, 'value');
        case 'LogicalExpression':
          if (p.left === node && isExistenceTest(value)) return;
          if (p.right === node) {
            // `a && process.env`: the value flows on as the result of the whole expression.
            node = p;
            continue;
          }
          return this.record(value, node, 'value');
        case 'ConditionalExpression':
          if (p.test !== node) {
            node = p;
            continue;
          }
          if (isExistenceTest(value)) return;
          return this.record(value, node, 'value');
        case 'IfStatement':
        case 'WhileStatement':
        case 'DoWhileStatement':
        case 'ForStatement':
          if (p.test === node && isExistenceTest(value)) return;
          return this.record(value, node, 'value');
        case 'VariableDeclarator':
          if (p.init === node) return this.bindTarget(p.id as Node, value, node);
          return this.record(value, node, 'value');
        case 'AssignmentExpression':
          if (p.right === node && p.operator === '=') return this.bindTarget(p.left as Node, value, node);
          return this.record(value, node, 'value');
        case 'ExpressionStatement':
          // A bare `fs;` or `require('fs');` loads the module but uses nothing from it.
          if (value.kind === 'builtin' && value.path.length === 0) return this.record(value, node, 'load');
          return this.record(value, node, 'value');
        default:
          return this.record(value, node, 'value');
      }
    }
  }

  /** A tracked value assigned to a pattern: tracked names carry it on; anything else is an escape. */
  private bindTarget(target: Node, value: Value, at: Node): void {
    switch (target.type) {
      case 'Identifier': {
        // The binding carries the value on: its own references say what is used.
        const b = this.resolved.get(target) ?? this.declaredIds.get(target);
        if (b && this.bindingValue(b)) return;
        return this.record(value, at, 'value');
      }
      case 'ObjectPattern':
        for (const prop of target.properties as Node[]) {
          if (prop.type === 'RestElement') return this.record(value, at, 'value');
          const key = prop.key as Node;
          const step = prop.computed ? staticString(key) : key.type === 'Identifier' ? (key.name as string) : staticString(key);
          if (step === null) return this.record(value, at, 'value');
          const next = extend(value, step);
          if (!next) continue;
          let inner = prop.value as Node;
          if (inner.type === 'AssignmentPattern') inner = inner.left as Node;
          this.bindTarget(inner, next, prop);
        }
        return;
      default:
        return this.record(value, at, 'value');
    }
  }

  private readonly declaredIds = new Map<Node, Binding>();

  // ---------------------------------------------------------------- recording

  private record(recorded: Value, node: Node, context: UseContext | 'load'): void {
    const value = processGlobal(recorded) ?? recorded;
    if (value.kind === 'builtin' || value.kind === 'import-promise') {
      // Loading a built-in without using it needs no grant: ungranted exports are denied when used.
      if (context === 'load') return;
      const path = value.kind === 'builtin' ? value.path : [];
      const cap = [value.module, ...path].join('.');
      this.addCapability('builtins', cap, node);
      if (value.module === 'vm') this.addWarning('vm', node, `uses the vm module (${cap})`);
      return;
    }
    if (value.kind === 'global') {
      if (context === 'load') return;
      // `process.getBuiltinModule('fs')` is recorded as the built-in it loads (see collectSources). The
      // function itself, which would reach every built-in, is only needed when the name is computed
      // or the function is handed on.
      if (isGetBuiltinModule(value) && node.parent?.type === 'CallExpression' && node.parent.callee === node) {
        const spec = this.requireSpecifier(node.parent);
        if (spec !== null && builtinModuleOf(spec)) return;
      }
      const cap = globalCapability(value.path, context);
      if (cap) this.addCapability('globals', cap, node);
    }
  }

  addCapability(kind: 'builtins' | 'globals' | 'native', cap: string, node: Node): void {
    const loc = this.locate(node.start);
    const key = `${kind}\0${cap}\0${loc.line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.facts[kind].push({ cap, ...loc });
  }

  addImport(specifier: string, kind: 'require' | 'import' | 'dynamic-import' | 'export-from' | 'resolve', node: Node): void {
    if (specifier === '') return;
    this.facts.imports.push({ specifier, kind, ...this.locate(node.start) });
    if (specifier.endsWith('.node')) this.addCapability('native', `loads ${specifier}`, node);
  }

  addWarning(kind: WarningKind, node: Node, message: string): void {
    const loc = this.locate(node.start);
    const key = `w\0${kind}\0${loc.line}\0${loc.column}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.facts.warnings.push({ kind, message, ...loc });
  }

  locate(offset: number): Location {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo]!;
    const next = this.lineStarts[lo + 1];
    const end = next === undefined ? this.source.length : next - 1;
    const column = offset - start;
    let text: string;
    if (end - start <= 160) text = this.source.slice(start, end).trim();
    else {
      const from = Math.max(start, offset - 60);
      text = (from > start ? '…' : '') + this.source.slice(from, Math.min(end, offset + 100)).trim() + (offset + 100 < end ? '…' : '');
    }
    return { line: lo + 1, column: column + 1, text };
  }

  /** Walks require/import call sites: records imports and follows built-in modules not bound to a name. */
  private collectSources(program: Node): void {
    const stack: Node[] = [program];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.type === 'CallExpression' && this.isRequireCall(node)) {
        const spec = this.requireSpecifier(node);
        if (spec !== null) {
          this.addImport(spec, 'require', node);
          if (builtinModuleOf(spec)) this.useSource(node);
        }
      } else if (node.type === 'CallExpression' && isGetBuiltinModule(this.valueOf(node.callee as Node))) {
        // process.getBuiltinModule('fs') (Node 20.16+) loads a built-in without require.
        const spec = this.requireSpecifier(node);
        if (spec !== null && builtinModuleOf(spec)) {
          this.addImport(spec, 'require', node);
          this.useSource(node);
        }
      } else if (node.type === 'CallExpression' && this.isRequireResolve(node)) {
        const spec = this.requireSpecifier(node);
        if (spec !== null) this.addImport(spec, 'resolve', node);
      } else if (node.type === 'ImportExpression') {
        const spec = staticString(node.source as Node);
        if (spec !== null) {
          this.addImport(spec, 'dynamic-import', node);
          if (builtinModuleOf(spec)) this.useSource(node);
        }
      }
      for (const c of children(node)) stack.push(c);
    }
  }

  private isRequireResolve(node: Node): boolean {
    const callee = node.callee as Node;
    return callee.type === 'MemberExpression' && memberKey(callee) === 'resolve' && this.valueOf(callee.object as Node)?.kind === 'require';
  }
}

/**
 * `process.env && …`: every package gets a process object and an env view, so testing that they
 * exist reads nothing. Complete paths (process.env.X, process.stdout) are real reads even in a test.
 */
function isExistenceTest(value: Value): boolean {
  return value.kind === 'global' && value.path[0] === 'process' && !complete(value);
}

function isGetBuiltinModule(v: Value | null): boolean {
  return v?.kind === 'global' && v.path.length === 2 && v.path[0] === 'process' && v.path[1] === 'getBuiltinModule';
}

function memberName(node: Node): string | null {
  if (node.type === 'Identifier') return node.name as string;
  return staticString(node);
}

function hasUseStrict(body: Node): boolean {
  for (const stmt of body.body as Node[]) {
    if (stmt.type !== 'ExpressionStatement' || typeof stmt.directive !== 'string') return false;
    if (stmt.directive === 'use strict') return true;
  }
  return false;
}

const DETECTORS_BY_TYPE = new Map<string, (typeof DETECTORS)[number][]>();
for (const d of DETECTORS) for (const t of d.nodeTypes) {
  const list = DETECTORS_BY_TYPE.get(t) ?? [];
  list.push(d);
  DETECTORS_BY_TYPE.set(t, list);
}

function parse(source: string, kind: SourceKind): Node {
  return acornParse(source, {
    ecmaVersion: 'latest',
    sourceType: kind === 'module' ? 'module' : 'script',
    allowHashBang: true,
    allowReturnOutsideFunction: kind === 'commonjs',
    allowAwaitOutsideFunction: kind === 'module',
    allowReserved: true,
  }) as unknown as Node;
}

/** Analyses one file. Never throws: what cannot be parsed comes back as `unanalysable`. */
export function analyzeSource(source: string, options: AnalyzeOptions): FileFacts {
  if (source.indexOf('\0') >= 0 && source.indexOf('\0') < 8192) {
    return emptyFacts('binary content (a NUL byte), not JavaScript');
  }
  let kind = options.kind;
  let program: Node;
  try {
    program = parse(source, kind);
  } catch (first) {
    const other: SourceKind = kind === 'module' ? 'commonjs' : 'module';
    try {
      program = parse(source, other);
      kind = other;
    } catch {
      return emptyFacts(describeParseError(first));
    }
  }
  try {
    const a = new FileAnalysis(source, kind);
    a.run(program);
    return a.facts;
  } catch (err) {
    if (err instanceof RangeError) return emptyFacts('nesting too deep to analyse');
    return emptyFacts(`analyser error: ${(err as Error).message}`);
  }
}

function describeParseError(err: unknown): string {
  if (err instanceof RangeError || /stack space/.test(String((err as Error)?.message))) return 'nesting too deep to parse';
  const msg = (err as Error)?.message ?? String(err);
  return `does not parse: ${msg}`;
}

export function emptyFacts(unanalysable?: string): FileFacts {
  const facts: FileFacts = { imports: [], dynamic: [], builtins: [], globals: [], native: [], warnings: [] };
  if (unanalysable !== undefined) facts.unanalysable = unanalysable;
  return facts;
}
