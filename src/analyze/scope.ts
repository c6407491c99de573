// Scope analysis shared by inference and the runtime's source transform: declares every binding,
// collects every identifier reference with its scope, and resolves them once all declarations are
// known (which takes care of hoisting). Also records `this` expressions with the strictness and kind
// of the function they belong to.
import { children, staticString, type Node } from './ast.js';

export interface Binding {
  name: string;
  /** Expressions assigned to it, with the destructuring steps from the expression to this name. */
  sources: { init: Node; steps: (string | null)[] }[];
  importOf?: { module: string; imported: string };
}

export interface Scope {
  parent: Scope | null;
  functionScope: boolean;
  /** Created on the first declaration: most blocks declare nothing. */
  vars: Map<string, Binding> | null;
}

export interface Reference {
  node: Node;
  scope: Scope;
  write: boolean;
}

export interface ThisUse {
  node: Node;
  /** True when `this` belongs to a non-arrow function (or the top level) whose code is sloppy. */
  sloppyFunction: boolean;
}

export interface ScopeOptions {
  /**
   * Skip the right side of `0 && …` / `false && …`: esbuild's never-run annotation for
   * cjs-module-lexer (`0 && (module.exports = { a, b })`), whose names are not globals.
   */
  skipFalsyAnd?: boolean;
}

export interface ScopeHooks {
  /** Called for every node visited, after its children (used to run detectors). */
  onNode?(node: Node): void;
  /** An import declaration: lets the caller attach what the binding holds. */
  onImport?(node: Node, specifier: Node, binding: Binding): void;
}

export class ScopeTracker {
  readonly refs: Reference[] = [];
  readonly resolved = new Map<Node, Binding | null>();
  readonly declaredIds = new Map<Node, Binding>();
  readonly thisUses: ThisUse[] = [];
  readonly withStatements: Node[] = [];
  private readonly pendingAssignments: { ident: Node; init: Node; steps: (string | null)[] }[] = [];
  private strict: boolean;
  /** Whether the innermost non-arrow function (or the top level) is sloppy. */
  private sloppyThis: boolean;

  constructor(
    private readonly kind: 'commonjs' | 'module',
    private readonly hooks: ScopeHooks = {},
    private readonly options: ScopeOptions = {},
  ) {
    this.strict = kind === 'module';
    // Top-level `this` in CommonJS is module.exports, in a module undefined: never the global.
    this.sloppyThis = false;
  }

  run(program: Node): void {
    const top: Scope = { parent: null, functionScope: true, vars: null };
    if (this.kind === 'commonjs' && hasUseStrict(program)) this.strict = true;
    this.visit(program, null, top);
    for (const r of this.refs) this.resolved.set(r.node, lookup(r.scope, r.node.name as string));
    for (const a of this.pendingAssignments) {
      const b = this.resolved.get(a.ident);
      if (b) b.sources.push({ init: a.init, steps: a.steps });
    }
  }

  /** The name of an identifier reference that resolves to no binding, else null. */
  freeName(node: Node): string | null {
    if (node.type !== 'Identifier' || !this.resolved.has(node)) return null;
    return this.resolved.get(node) ? null : (node.name as string);
  }

  private declare(scope: Scope, name: string): Binding {
    const vars = (scope.vars ??= new Map());
    let b = vars.get(name);
    if (!b) {
      b = { name, sources: [] };
      vars.set(name, b);
    }
    return b;
  }

  private functionScopeOf(scope: Scope): Scope {
    let s = scope;
    while (!s.functionScope && s.parent) s = s.parent;
    return s;
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
            (prop.argument as Node).parent = prop;
            this.declarePattern(prop.argument as Node, target, exprScope, init, [...steps, null]);
            continue;
          }
          const key = prop.key as Node;
          if (prop.computed) this.visit(key, prop, exprScope);
          (prop.value as Node).parent = prop;
          this.declarePattern(prop.value as Node, target, exprScope, init, [...steps, propertyStep(prop)]);
        }
        return;
      case 'ArrayPattern':
        for (const el of pattern.elements as (Node | null)[]) {
          if (!el) continue;
          el.parent = pattern;
          this.declarePattern(el, target, exprScope, init, [...steps, null]);
        }
        return;
      case 'RestElement':
        (pattern.argument as Node).parent = pattern;
        this.declarePattern(pattern.argument as Node, target, exprScope, init, [...steps, null]);
        return;
      case 'AssignmentPattern':
        this.visit(pattern.right as Node, pattern, exprScope);
        (pattern.left as Node).parent = pattern;
        this.declarePattern(pattern.left as Node, target, exprScope, init, steps);
        return;
      default:
        this.visit(pattern, pattern.parent ?? null, exprScope);
    }
  }

  /** Assignment targets: identifiers there are writes to existing bindings (or implicit globals). */
  private assignPattern(pattern: Node, parent: Node, scope: Scope, init: Node | null, steps: (string | null)[]): void {
    pattern.parent = parent;
    switch (pattern.type) {
      case 'Identifier':
        this.refs.push({ node: pattern, scope, write: true });
        if (init) this.pendingAssignments.push({ ident: pattern, init, steps });
        return;
      case 'ObjectPattern':
        for (const prop of pattern.properties as Node[]) {
          prop.parent = pattern;
          if (prop.type === 'RestElement') {
            this.assignPattern(prop.argument as Node, prop, scope, init, [...steps, null]);
            continue;
          }
          if (prop.computed) this.visit(prop.key as Node, prop, scope);
          this.assignPattern(prop.value as Node, prop, scope, init, [...steps, propertyStep(prop)]);
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

  private visitFunction(node: Node, scope: Scope): void {
    const fnScope: Scope = { parent: scope, functionScope: true, vars: null };
    if (node.type === 'FunctionExpression' && node.id) {
      const id = node.id as Node;
      id.parent = node;
      this.declaredIds.set(id, this.declare(fnScope, id.name as string));
    }
    const body = node.body as Node;
    body.parent = node;
    const wasStrict = this.strict;
    const wasSloppyThis = this.sloppyThis;
    if (body.type === 'BlockStatement' && hasUseStrict(body)) this.strict = true;
    if (node.type !== 'ArrowFunctionExpression') this.sloppyThis = !this.strict;
    for (const p of node.params as Node[]) {
      p.parent = node;
      this.declarePattern(p, fnScope, fnScope, null, []);
    }
    if (body.type === 'BlockStatement') for (const stmt of body.body as Node[]) this.visit(stmt, body, fnScope);
    else this.visit(body, node, fnScope);
    this.strict = wasStrict;
    this.sloppyThis = wasSloppyThis;
  }

  private visit(node: Node, parent: Node | null, scope: Scope): void {
    node.parent = parent;
    switch (node.type) {
      case 'Identifier':
        this.refs.push({ node, scope, write: false });
        break;
      case 'ThisExpression':
        this.thisUses.push({ node, sloppyFunction: this.sloppyThis });
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
        const id = node.id as Node | null;
        if (id) {
          id.parent = node;
          const b = this.declare(scope, id.name as string);
          this.declaredIds.set(id, b);
          // Annex B: in sloppy code a function in a block is also a var of the enclosing function.
          if (!this.strict) this.declare(this.functionScopeOf(scope), id.name as string);
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
        const inner: Scope = { parent: scope, functionScope: false, vars: null };
        if (id) {
          id.parent = node;
          this.declaredIds.set(id, this.declare(node.type === 'ClassDeclaration' ? scope : inner, id.name as string));
        }
        if (node.superClass) this.visit(node.superClass as Node, node, scope);
        const body = node.body as Node;
        body.parent = node;
        // Class bodies are always strict.
        const wasStrict = this.strict;
        const wasSloppyThis = this.sloppyThis;
        this.strict = true;
        this.sloppyThis = false;
        for (const member of body.body as Node[]) {
          member.parent = body;
          if (member.computed) this.visit(member.key as Node, member, inner);
          if (member.type === 'StaticBlock') {
            const blockScope: Scope = { parent: inner, functionScope: true, vars: null };
            for (const s of member.body as Node[]) this.visit(s, member, blockScope);
          } else if (member.value) {
            const value = member.value as Node;
            const valueScope = member.type === 'PropertyDefinition' ? { parent: inner, functionScope: true, vars: null } : inner;
            this.visit(value, member, valueScope);
          }
        }
        this.strict = wasStrict;
        this.sloppyThis = wasSloppyThis;
        break;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const inner: Scope = { parent: scope, functionScope: false, vars: null };
        for (const s of node.body as Node[]) this.visit(s, node, inner);
        break;
      }
      case 'SwitchStatement': {
        this.visit(node.discriminant as Node, node, scope);
        const inner: Scope = { parent: scope, functionScope: false, vars: null };
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
        const inner: Scope = { parent: scope, functionScope: false, vars: null };
        for (const key of ['init', 'left', 'right', 'test', 'update', 'body']) {
          const child = node[key] as Node | null | undefined;
          if (!child) continue;
          if (key === 'left' && child.type !== 'VariableDeclaration') this.assignPattern(child, node, inner, null, []);
          else this.visit(child, node, inner);
        }
        break;
      }
      case 'CatchClause': {
        const inner: Scope = { parent: scope, functionScope: false, vars: null };
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
        if (this.options.skipFalsyAnd && node.operator === '&&' && left.type === 'Literal' && !left.value) break;
        this.visit(node.right as Node, node, scope);
        break;
      }
      case 'MemberExpression':
        this.visit(node.object as Node, node, scope);
        (node.property as Node).parent = node;
        if (node.computed) this.visit(node.property as Node, node, scope);
        break;
      case 'Property':
        (node.key as Node).parent = node;
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
      case 'Super':
        break;
      case 'ImportDeclaration':
        for (const s of node.specifiers as Node[]) {
          s.parent = node;
          const local = s.local as Node;
          local.parent = s;
          const b = this.declare(scope, local.name as string);
          this.declaredIds.set(local, b);
          this.hooks.onImport?.(node, s, b);
        }
        break;
      case 'ExportNamedDeclaration':
        if (node.declaration) this.visit(node.declaration as Node, node, scope);
        else if (!node.source) for (const s of node.specifiers as Node[]) {
          s.parent = node;
          this.visit(s.local as Node, s, scope);
        }
        break;
      case 'ExportAllDeclaration':
        break;
      case 'ExportDefaultDeclaration':
        this.visit(node.declaration as Node, node, scope);
        break;
      case 'WithStatement':
        this.withStatements.push(node);
        this.visit(node.object as Node, node, scope);
        this.visit(node.body as Node, node, scope);
        break;
      default:
        for (const child of children(node)) this.visit(child, node, scope);
    }
    this.hooks.onNode?.(node);
  }
}

function lookup(scope: Scope | null, name: string): Binding | null {
  for (let s = scope; s; s = s.parent) {
    const b = s.vars?.get(name);
    if (b) return b;
  }
  return null;
}

function propertyStep(prop: Node): string | null {
  const key = prop.key as Node;
  if (prop.computed) return staticString(key);
  if (key.type === 'Identifier') return key.name as string;
  return staticString(key) ?? (key.type === 'Literal' ? String(key.value) : null);
}

export function hasUseStrict(body: Node): boolean {
  for (const stmt of body.body as Node[]) {
    if (stmt.type !== 'ExpressionStatement' || typeof stmt.directive !== 'string') return false;
    if (stmt.directive === 'use strict') return true;
  }
  return false;
}
