// The Function constructor (and its async/generator cousins via Function): eval by another name.
import type { Detector } from './types.js';

export const functionConstructorDetector: Detector = {
  name: 'function-constructor',
  category: 'dynamic-code',
  doc: 'new Function(…) / Function(…): compiles a string into code at run time.',
  nodeTypes: ['CallExpression', 'NewExpression'],
  detect(node, ctx) {
    const callee = node.callee as typeof node;
    const path = callee.type === 'Identifier' ? (ctx.freeName(callee) === 'Function' ? ['Function'] : null) : ctx.globalPath(callee);
    if (path?.length === 1 && path[0] === 'Function') ctx.warn('function-constructor', node, 'compiles code with the Function constructor');
  },
};
