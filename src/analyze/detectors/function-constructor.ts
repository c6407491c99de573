// The Function constructor (and its async/generator cousins): eval by another name.
import { memberKey, type Node } from '../ast.js';
import type { Detector } from './types.js';

const FUNCTION_LITERALS = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'ClassExpression']);
const INDIRECT_CALLS = new Set(['call', 'apply', 'bind']);

/** Expressions whose `.constructor` is a Function constructor: `(async () => {})`, `x.constructor`, `Object.getPrototypeOf(function* () {})`. */
function constructorIsFunction(object: Node): boolean {
  let o = object;
  while (o.type === 'ParenthesizedExpression' || o.type === 'ChainExpression') o = o.expression as Node;
  if (FUNCTION_LITERALS.has(o.type)) return true;
  if (o.type === 'MemberExpression') return memberKey(o) === 'constructor';
  if (o.type === 'CallExpression') {
    const callee = o.callee as Node;
    const arg = (o.arguments as Node[])[0];
    return callee.type === 'MemberExpression' && memberKey(callee) === 'getPrototypeOf' && arg !== undefined && constructorIsFunction(arg);
  }
  return false;
}

/** How a reference to Function is used, when that use can compile code: handed on or called indirectly. */
function indirectUse(node: Node): string | null {
  const p = node.parent;
  if (!p) return null;
  switch (p.type) {
    case 'MemberExpression': {
      // Only `Function.call(…)` itself: `Function.call.bind(fn)` is the uncurry-this idiom.
      const key = p.object === node ? memberKey(p) : null;
      const called = p.parent?.type === 'CallExpression' && p.parent.callee === p;
      return key !== null && INDIRECT_CALLS.has(key) && called ? `calls the Function constructor through .${key}` : null;
    }
    case 'CallExpression':
    case 'NewExpression':
      return p.callee === node ? null : 'passes the Function constructor to a function';
    case 'Property':
      return p.value === node ? 'stores the Function constructor in an object' : null;
    case 'ArrayExpression':
    case 'SpreadElement':
      return 'stores the Function constructor in an array';
    case 'AssignmentExpression':
      return p.right === node && (p.left as Node).type === 'MemberExpression' ? 'stores the Function constructor in a property' : null;
    default:
      return null;
  }
}

export const functionConstructorDetector: Detector = {
  name: 'function-constructor',
  category: 'dynamic-code',
  doc: 'new Function(…) / Function(…), directly, through an alias, .call/.apply/.bind or Reflect, or a function\'s .constructor (AsyncFunction, GeneratorFunction): compiles a string into code at run time.',
  nodeTypes: ['CallExpression', 'NewExpression', 'MemberExpression', 'Identifier'],
  detect(node, ctx) {
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      const path = ctx.globalPath(node.callee as Node);
      if (path?.length === 1 && path[0] === 'Function') ctx.warn('function-constructor', node, 'compiles code with the Function constructor');
      return;
    }
    if (node.type === 'MemberExpression' && memberKey(node) === 'constructor' && constructorIsFunction(node.object as Node)) {
      ctx.warn('function-constructor', node, 'reaches a Function constructor through .constructor');
      return;
    }
    // `Function` itself (or `globalThis.Function`) used as a value.
    const path = ctx.globalPath(node);
    if (path?.length !== 1 || path[0] !== 'Function') return;
    const how = indirectUse(node);
    if (how) ctx.warn('function-constructor', node, how);
  },
};
