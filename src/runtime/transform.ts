// The source transform that contains a package's code while Node's own loaders keep running it
// (so CommonJS stays sloppy where it was, and ES modules keep live bindings, cycles and top-level
// await): every free name becomes a property of the package's own global object, sloppy-mode `this`
// can no longer be the real global, `.caller` / `.arguments` of functions read as null, and import() in
// CommonJS code first makes sure the ESM hooks are in place.
// Code that cannot be analysed, or that uses `with`, is refused rather than run uncontained.
import { children, type Node } from '../analyze/ast.js';
import { parseProgram } from '../analyze/parse.js';
import { ScopeTracker } from '../analyze/scope.js';
import { ESM, G, PROP, RESERVED_PREFIX, THIS } from './names.js';

export const TRANSFORM_VERSION = 2;

export { ESM, G, THIS, PROP } from './names.js';

/**
 * Free names left as they are: JavaScript intrinsics that are the same frozen object in every
 * compartment. Everything else (Date, Math, Function, eval, Error, RegExp, globalThis, host globals)
 * goes through the package's global.
 */
export const PASSTHROUGH: ReadonlySet<string> = new Set([
  'Object', 'Array', 'Number', 'String', 'Boolean', 'Symbol', 'BigInt', 'Promise', 'Map', 'Set', 'WeakMap', 'WeakSet',
  'WeakRef', 'FinalizationRegistry', 'Proxy', 'Reflect', 'JSON', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array',
  'Float64Array', 'BigInt64Array', 'BigUint64Array', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError',
  'URIError', 'AggregateError', 'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURI', 'encodeURIComponent', 'decodeURI',
  'decodeURIComponent', 'escape', 'unescape', 'undefined', 'NaN', 'Infinity',
]);

// Names that CommonJS code gets from its wrapper function, and `arguments` of any function.
const CJS_WRAPPER = new Set(['require', 'module', 'exports', '__filename', '__dirname']);

export type TransformResult = { ok: true; code: string } | { ok: false; reason: string };

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Rewrites one module's source. `kind` is how Node will run it. */
export function transformSource(source: string, kind: 'commonjs' | 'module'): TransformResult {
  let program: Node;
  try {
    program = parseProgram(source, kind);
  } catch (err) {
    return { ok: false, reason: `its code cannot be analysed (${(err as Error).message})` };
  }
  const tracker = new ScopeTracker(kind);
  try {
    tracker.run(program);
  } catch (err) {
    return { ok: false, reason: `its code cannot be analysed (${err instanceof RangeError ? 'nesting too deep' : (err as Error).message})` };
  }
  if (tracker.withStatements.length) return { ok: false, reason: 'it uses a `with` statement, whose names cannot be contained' };
  // The transform's own names must not be re-bound by the code it wraps (a parameter named
  // __packsec$this would turn the `this` fix into a way to reach the real global).
  for (const b of tracker.declaredIds.values()) {
    if (b.name.startsWith(RESERVED_PREFIX)) return { ok: false, reason: `it declares ${b.name}, a name reserved by packsec` };
  }

  const edits: Edit[] = [];
  for (const ref of tracker.refs) {
    const node = ref.node;
    if (tracker.resolved.get(node)) continue;
    const name = node.name as string;
    if (PASSTHROUGH.has(name) || name === 'arguments') continue;
    if (kind === 'commonjs' && CJS_WRAPPER.has(name)) continue;
    const parent = node.parent;
    // `{ x }` and `({ x } = o)`: the shorthand needs its key spelled out.
    const shorthand = parent && parent.type === 'Property' && parent.shorthand === true
      ? parent
      : parent?.type === 'AssignmentPattern' && parent.left === node && parent.parent?.type === 'Property' && parent.parent.shorthand === true
        ? parent.parent
        : null;
    edits.push({ start: node.start, end: node.end, text: shorthand ? `${name}: ${G}.${name}` : `${G}.${name}` });
  }
  for (const use of tracker.thisUses) {
    if (use.sloppyFunction) edits.push({ start: use.node.start, end: use.node.end, text: `${THIS}(this)` });
  }
  collectCallerReadsAndImports(program, edits, kind);
  // Insertions (empty ranges) go before a replacement that starts at the same place.
  edits.sort((a, b) => a.start - b.start || (a.end - a.start) - (b.end - b.start));

  let out = '';
  let pos = 0;
  let prefix = '';
  if (source.startsWith('#!')) {
    // The hashbang stays a comment, so line and column numbers are unchanged.
    out += '//';
    pos = 2;
  }
  for (const e of edits) {
    if (e.start < pos) continue; // nested inside an edit already made (cannot happen for identifiers)
    out += source.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  out += source.slice(pos);
  if (kind === 'module') {
    prefix = `import { g as ${G}, p as ${PROP} } from "packsec:context";`;
  }
  return { ok: true, code: prefix + out };
}

/**
 * `fn.caller` / `fn.arguments` (and ['caller']) reads become __packsec$p(fn, "caller"), which is null for
 * functions. In CommonJS, `import(x)` becomes `(__packsec$esm(), import(x))`.
 */
function collectCallerReadsAndImports(program: Node, edits: Edit[], kind: 'commonjs' | 'module'): void {
  const stack: Node[] = [program];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === 'ImportExpression' && kind === 'commonjs') {
      // Insertions only, so the edits inside the argument still apply; pushed after an enclosing
      // caller read's `__packsec$p(` at the same place, so they nest inside it.
      edits.push({ start: node.start, end: node.start, text: `(${ESM}(), ` });
      edits.push({ start: node.end, end: node.end, text: ')' });
    } else if (node.type === 'MemberExpression') {
      const prop = node.property as Node;
      const key = !node.computed && prop.type === 'Identifier' ? (prop.name as string)
        : node.computed && prop.type === 'Literal' && typeof prop.value === 'string' ? prop.value : null;
      const parent = node.parent;
      const isTarget = parent && ((parent.type === 'AssignmentExpression' && parent.left === node)
        || (parent.type === 'UpdateExpression') || (parent.type === 'UnaryExpression' && parent.operator === 'delete')
        || (parent.type === 'CallExpression' && parent.callee === node));
      if ((key === 'caller' || key === 'arguments') && !isTarget) {
        const object = node.object as Node;
        if (object.type !== 'Super') {
          // The object's own edits happen inside this range, so rewrite the object text recursively.
          edits.push({ start: node.start, end: object.start, text: `${PROP}(` });
          edits.push({ start: object.end, end: node.end, text: `, ${JSON.stringify(key)})` });
        }
      }
    }
    for (const c of children(node)) stack.push(c);
  }
}
