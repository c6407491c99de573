// eval, direct or indirect: code built at run time that static analysis cannot see.
import type { Detector } from './types.js';

export const evalDetector: Detector = {
  name: 'eval',
  category: 'dynamic-code',
  doc: 'eval(), direct or through a reference: runs code the analyser cannot see.',
  nodeTypes: ['Identifier'],
  detect(node, ctx) {
    if (ctx.freeName(node) !== 'eval') return;
    const parent = node.parent;
    if (parent?.type === 'UnaryExpression' && parent.operator === 'typeof') return;
    const direct = parent?.type === 'CallExpression' && parent.callee === node;
    ctx.warn('eval', node, direct ? 'calls eval()' : 'takes a reference to eval');
  },
};
