// import(x) with a computed specifier.
import { staticPrefix, staticString, type Node } from '../ast.js';
import type { Detector } from './types.js';

export const dynamicImportDetector: Detector = {
  name: 'dynamic-import',
  category: 'dynamic-code',
  doc: 'import(expr) with a computed specifier: what it loads is decided at run time.',
  nodeTypes: ['ImportExpression'],
  detect(node, ctx) {
    const source = node.source as Node;
    if (staticString(source) !== null) return;
    const prefix = staticPrefix(source);
    ctx.dynamic(node, prefix);
    ctx.warn('dynamic-import', node, prefix ? `import() of a computed specifier starting with ${JSON.stringify(prefix)}` : 'import() of a computed specifier');
  },
};
