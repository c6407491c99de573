// The Function constructor (and its async/generator cousins): eval by another name.
import { memberKey, type Node } from '../ast.js';
import type { Detector } from './types.js';

const FUNCTION_LITERALS = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'ClassExpression']);

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

export const functionConstructorDetector: Detector = {
  name: 'function-constructor',
  category: 'dynamic-code',
  doc: 'new Function(…) / Function(…), an alias of it, or a function\'s .constructor (AsyncFunction, GeneratorFunction): compiles a string into code at run time.',
  nodeTypes: ['CallExpression', 'NewExpression', 'MemberExpression'],
  detect(node, ctx) {
    if (node.type === 'MemberExpression') {
      if (memberKey(node) === 'constructor' && constructorIsFunction(node.object as Node)) {
        ctx.warn('function-constructor', node, 'reaches a Function constructor through .constructor');
      }
      return;
    }
    const path = ctx.globalPath(node.callee as Node);
    if (path?.length === 1 && path[0] === 'Function') ctx.warn('function-constructor', node, 'compiles code with the Function constructor');
  },
};
