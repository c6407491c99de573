// require handed on as a value (to a function, an object, .call/.apply): loads nobody can list statically.
import { memberKey, type Node } from '../ast.js';
import type { Detector } from './types.js';

const INDIRECT_CALLS = new Set(['call', 'apply', 'bind']);

export const requireEscapeDetector: Detector = {
  name: 'require-escape',
  category: 'dynamic-code',
  doc: 'require passed on as a value or called through .call/.apply/.bind: what it loads is decided elsewhere.',
  nodeTypes: ['Identifier'],
  detect(node, ctx) {
    if (!ctx.isRequire(node)) return;
    const p = node.parent;
    if (!p) return;
    let how: string | null = null;
    switch (p.type) {
      case 'MemberExpression': {
        if (p.object !== node) break;
        const key = memberKey(p);
        if (key === null) how = 'reads require with a computed key';
        else if (INDIRECT_CALLS.has(key)) how = `calls require through .${key}`;
        break;
      }
      case 'CallExpression':
      case 'NewExpression':
        if (p.callee !== node) how = 'passes require to a function';
        break;
      case 'Property':
        if (p.value === node) how = 'stores require in an object';
        break;
      case 'ArrayExpression':
      case 'SpreadElement':
        how = 'stores require in an array';
        break;
      case 'ReturnStatement':
        how = 'returns require';
        break;
      case 'ArrowFunctionExpression':
        if (p.body === node) how = 'returns require';
        break;
      case 'AssignmentExpression':
        if (p.right === node && (p.left as Node).type === 'MemberExpression') how = 'stores require in a property';
        break;
      default:
        break;
    }
    if (how) ctx.warn('dynamic-require', node, `${how}: what it loads is not known statically`);
  },
};
