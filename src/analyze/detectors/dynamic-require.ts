// require(x) with a computed specifier: the package may load modules nobody can list in advance.
import { staticPrefix, type Node } from '../ast.js';
import type { Detector } from './types.js';

export const dynamicRequireDetector: Detector = {
  name: 'dynamic-require',
  category: 'dynamic-code',
  doc: 'require(expr) with a computed specifier: what it loads is decided at run time.',
  nodeTypes: ['CallExpression'],
  detect(node, ctx) {
    if (!ctx.isRequireCall(node) || ctx.requireSpecifier(node) !== null) return;
    const arg = (node.arguments as Node[])[0];
    if (!arg) return;
    const prefix = staticPrefix(arg);
    ctx.dynamic(node, prefix);
    ctx.warn('dynamic-require', node, prefix ? `require() of a computed specifier starting with ${JSON.stringify(prefix)}` : 'require() of a computed specifier');
  },
};
