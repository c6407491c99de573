// require(x) with a computed specifier: the package may load modules nobody can list in advance.
import { staticPrefix, type Node } from '../ast.js';
import type { Detector } from './types.js';

export const dynamicRequireDetector: Detector = {
  name: 'dynamic-require',
  category: 'dynamic-code',
  doc: 'require(expr) or process.getBuiltinModule(expr) with a computed specifier: what it loads is decided at run time.',
  nodeTypes: ['CallExpression'],
  detect(node, ctx) {
    const callee = node.callee as Node;
    const path = callee.type === 'MemberExpression' ? ctx.globalPath(callee) : null;
    if (path?.join('.') === 'process.getBuiltinModule' && ctx.requireSpecifier(node) === null && (node.arguments as Node[]).length > 0) {
      ctx.warn('dynamic-require', node, 'process.getBuiltinModule() of a computed name: which built-in it loads is decided at run time');
      return;
    }
    if (!ctx.isRequireCall(node) || ctx.requireSpecifier(node) !== null) return;
    const arg = (node.arguments as Node[])[0];
    if (!arg) return;
    const prefix = staticPrefix(arg);
    ctx.dynamic(node, prefix);
    ctx.warn('dynamic-require', node, prefix ? `require() of a computed specifier starting with ${JSON.stringify(prefix)}` : 'require() of a computed specifier');
  },
};
