// Reaching into the module system (require.cache, module.parent, …) can read or rewrite other packages.
import { memberKey, type Node } from '../ast.js';
import type { Detector } from './types.js';

const REQUIRE_KEYS = new Set(['cache', 'main', 'extensions']);
const MODULE_KEYS = new Set(['parent', 'children', 'constructor', 'paths', 'loaded']);
// Private loader methods: compiling or loading code by hand, as flatmap-stream's payload did.
const LOADER_KEYS = new Set(['_compile', '_load', '_resolveFilename', '_extensions', '_cache', '_nodeModulePaths']);

export const moduleInternalsDetector: Detector = {
  name: 'module-internals',
  category: 'module-internals',
  doc: 'require.cache, require.main, module.parent, module.constructor, _compile, process.mainModule: reach other modules.',
  nodeTypes: ['MemberExpression'],
  detect(node, ctx) {
    const object = node.object as Node;
    const key = memberKey(node);
    if (key === null) return;
    const name = object.type === 'Identifier' ? (object.name as string) : null;
    // Through an alias too (`const r = require; r.cache`, `globalThis.process.mainModule`).
    let what: string | null = null;
    if (REQUIRE_KEYS.has(key) && ctx.isRequire(object)) what = `require.${key}`;
    else if (name === 'module' && ctx.freeName(object) === 'module' && MODULE_KEYS.has(key)) what = `module.${key}`;
    else if (key === 'mainModule') {
      const path = ctx.globalPath(node);
      if (path?.length === 2 && path[0] === 'process') what = 'process.mainModule';
    }
    if (what) ctx.warn('module-internals', node, `reads ${what}`);
    else if (LOADER_KEYS.has(key)) ctx.warn('module-internals', node, `uses the module loader's private ${key}`);
  },
};
