// process.dlopen loads a native addon directly, bypassing require('x.node').
import type { Detector } from './types.js';

export const nativeAddonDetector: Detector = {
  name: 'native-addon',
  category: 'native',
  doc: 'process.dlopen(…) or require("….node"): loads native code, which no sandbox can contain.',
  nodeTypes: ['MemberExpression'],
  detect(node, ctx) {
    const path = ctx.globalPath(node);
    if (path?.length === 2 && path[0] === 'process' && path[1] === 'dlopen') ctx.native(node, 'process.dlopen');
  },
};
