// Parsing JavaScript the way Node will run it: CommonJS as a sloppy script (return allowed at the top),
// ES modules with top-level await. One configuration for inference and the runtime transform alike.
import { parse as acornParse } from 'acorn';
import type { Node } from './ast.js';

export type SourceKind = 'commonjs' | 'module';

export function parseProgram(source: string, kind: SourceKind): Node {
  return acornParse(source, {
    ecmaVersion: 'latest',
    sourceType: kind === 'module' ? 'module' : 'script',
    allowHashBang: true,
    allowReturnOutsideFunction: kind === 'commonjs',
    allowAwaitOutsideFunction: kind === 'module',
    allowReserved: true,
  }) as unknown as Node;
}
