// `with` makes every name inside it ambiguous, so scope analysis cannot be trusted there.
import type { Detector } from './types.js';

export const withDetector: Detector = {
  name: 'with',
  category: 'dynamic-code',
  doc: 'with (…) { … }: names inside may resolve to properties of any object.',
  nodeTypes: ['WithStatement'],
  detect(node, ctx) {
    ctx.warn('with', node, 'uses a with statement; names inside it are not statically known');
  },
};
