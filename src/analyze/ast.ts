// Minimal ESTree typing and child iteration for the analyzer (acorn produces plain ESTree objects).
export interface Node {
  type: string;
  start: number;
  end: number;
  parent?: Node | null;
  [key: string]: unknown;
}

// Keys holding child nodes, per node type. Unknown types fall back to scanning every key.
const CHILD_KEYS: Record<string, readonly string[]> = {
  Program: ['body'],
  ExpressionStatement: ['expression'],
  BlockStatement: ['body'],
  StaticBlock: ['body'],
  EmptyStatement: [],
  DebuggerStatement: [],
  WithStatement: ['object', 'body'],
  ReturnStatement: ['argument'],
  LabeledStatement: ['body'],
  BreakStatement: [],
  ContinueStatement: [],
  IfStatement: ['test', 'consequent', 'alternate'],
  SwitchStatement: ['discriminant', 'cases'],
  SwitchCase: ['test', 'consequent'],
  ThrowStatement: ['argument'],
  TryStatement: ['block', 'handler', 'finalizer'],
  CatchClause: ['param', 'body'],
  WhileStatement: ['test', 'body'],
  DoWhileStatement: ['body', 'test'],
  ForStatement: ['init', 'test', 'update', 'body'],
  ForInStatement: ['left', 'right', 'body'],
  ForOfStatement: ['left', 'right', 'body'],
  FunctionDeclaration: ['id', 'params', 'body'],
  VariableDeclaration: ['declarations'],
  VariableDeclarator: ['id', 'init'],
  ThisExpression: [],
  ArrayExpression: ['elements'],
  ObjectExpression: ['properties'],
  Property: ['key', 'value'],
  FunctionExpression: ['id', 'params', 'body'],
  ArrowFunctionExpression: ['params', 'body'],
  UnaryExpression: ['argument'],
  UpdateExpression: ['argument'],
  BinaryExpression: ['left', 'right'],
  AssignmentExpression: ['left', 'right'],
  LogicalExpression: ['left', 'right'],
  MemberExpression: ['object', 'property'],
  ConditionalExpression: ['test', 'consequent', 'alternate'],
  CallExpression: ['callee', 'arguments'],
  NewExpression: ['callee', 'arguments'],
  SequenceExpression: ['expressions'],
  YieldExpression: ['argument'],
  AwaitExpression: ['argument'],
  TemplateLiteral: ['quasis', 'expressions'],
  TaggedTemplateExpression: ['tag', 'quasi'],
  TemplateElement: [],
  ObjectPattern: ['properties'],
  ArrayPattern: ['elements'],
  RestElement: ['argument'],
  AssignmentPattern: ['left', 'right'],
  ClassDeclaration: ['id', 'superClass', 'body'],
  ClassExpression: ['id', 'superClass', 'body'],
  ClassBody: ['body'],
  MethodDefinition: ['key', 'value'],
  PropertyDefinition: ['key', 'value'],
  PrivateIdentifier: [],
  MetaProperty: [],
  ImportDeclaration: ['specifiers', 'source', 'attributes'],
  ImportSpecifier: ['imported', 'local'],
  ImportDefaultSpecifier: ['local'],
  ImportNamespaceSpecifier: ['local'],
  ImportAttribute: [],
  ExportNamedDeclaration: ['declaration', 'specifiers', 'source'],
  ExportSpecifier: ['local', 'exported'],
  ExportDefaultDeclaration: ['declaration'],
  ExportAllDeclaration: ['exported', 'source'],
  ImportExpression: ['source', 'options'],
  ChainExpression: ['expression'],
  ParenthesizedExpression: ['expression'],
  SpreadElement: ['argument'],
  Super: [],
  Identifier: [],
  Literal: [],
};

const NO_CHILDREN: Node[] = [];

/** The child nodes of a node, in source order (a plain array: this is the analyser's hottest loop). */
export function children(node: Node): Node[] {
  const keys = Object.prototype.hasOwnProperty.call(CHILD_KEYS, node.type) ? CHILD_KEYS[node.type]! : Object.keys(node).filter((k) => k !== 'parent');
  if (keys.length === 0) return NO_CHILDREN;
  const out: Node[] = [];
  for (let k = 0; k < keys.length; k++) {
    const value = node[keys[k]!];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as Node | null;
        if (item !== null && typeof item === 'object' && typeof item.type === 'string') out.push(item);
      }
    } else if (value !== null && typeof value === 'object' && typeof (value as Node).type === 'string') {
      out.push(value as Node);
    }
  }
  return out;
}

/** The string value of a literal or an expression-free template, else null. */
export function staticString(node: Node | null | undefined): string | null {
  if (!node) return null;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && (node.expressions as Node[]).length === 0) {
    const q = (node.quasis as Node[])[0] as { value: { cooked: string | null } } | undefined;
    return q?.value.cooked ?? null;
  }
  return null;
}

/** The literal text an expression certainly starts with ('./locale/' + x → './locale/'), or null. */
export function staticPrefix(node: Node): string | null {
  const s = staticString(node);
  if (s !== null) return s;
  if (node.type === 'BinaryExpression' && node.operator === '+') return staticPrefix(node.left as Node);
  if (node.type === 'TemplateLiteral') {
    const q = (node.quasis as Node[])[0] as { value: { cooked: string | null } } | undefined;
    return q?.value.cooked ?? null;
  }
  return null;
}

/** The key of a non-computed member or a computed member with a literal key. */
export function memberKey(node: Node): string | null {
  const prop = node.property as Node;
  if (!node.computed) return prop.type === 'Identifier' ? (prop.name as string) : null;
  const s = staticString(prop);
  if (s !== null) return s;
  if (prop.type === 'Literal' && typeof prop.value === 'number') return String(prop.value);
  return null;
}
