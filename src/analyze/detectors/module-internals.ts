// Reaching into the module system (require.cache, module.parent, …) can read or rewrite other packages.
import { memberKey, type Node } from '../ast.js';
import type { Detector } from './types.js';

const REQUIRE_KEYS = new Set(['cache', 'main', 'extensions']);
const MODULE_KEYS = new Set(['parent', 'children', 'constructor', 'paths', 'loaded']);

export const moduleInternalsDetector: Detector = {
  name: 'module-internals',
  category: 'module-internals',
  doc: 'require.cache, require.main, module.parent, module.constructor, process.mainModule: reach other modules.',
  nodeTypes: ['MemberExpression'],
  detect(node, ctx) {
    const object = node.object as Node;
    const key = memberKey(node);
    if (key === null || object.type !== 'Identifier') return;
    const name = object.name as string;
    if ((name === 'require' && REQUIRE_KEYS.has(key)) || (name === 'module' && ctx.freeName(object) === 'module' && MODULE_KEYS.has(key))
      || (name === 'process' && key === 'mainModule' && ctx.freeName(object) === 'process')) {
      ctx.warn('module-internals', node, `reads ${name}.${key}`);
    }
  },
};
