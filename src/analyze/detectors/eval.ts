// eval, direct or indirect: code built at run time that static analysis cannot see.
import type { Detector } from './types.js';

export const evalDetector: Detector = {
  name: 'eval',
  category: 'dynamic-code',
  doc: 'eval(), direct or through a reference (globalThis.eval, an alias): runs code the analyser cannot see.',
  // Identifiers catch `eval` and its aliases; member expressions catch `globalThis.eval`, `global['eval']`.
  nodeTypes: ['Identifier', 'MemberExpression'],
  detect(node, ctx) {
    const path = ctx.globalPath(node);
    if (path?.length !== 1 || path[0] !== 'eval') return;
    const parent = node.parent;
    if (parent?.type === 'UnaryExpression' && parent.operator === 'typeof') return;
    const called = parent?.type === 'CallExpression' && parent.callee === node;
    const direct = called && ctx.freeName(node) === 'eval';
    ctx.warn('eval', node, direct ? 'calls eval()' : called ? 'calls eval() indirectly' : 'takes a reference to eval');
  },
};
