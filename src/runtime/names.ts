// The names transformed code uses for what the runtime passes it. Kept apart from the transform so the
// runtime can name them without loading the parser.

/** The package's global object, a `this` fixer and a safe property read. */
export const G = '__packsec$g';
export const THIS = '__packsec$this';
export const PROP = '__packsec$p';
/** Called before every import() of a CommonJS module: the ESM hooks must be in place before it resolves. */
export const ESM = '__packsec$esm';
/** Any name with this prefix is refused in contained code: it cannot shadow the ones above. */
export const RESERVED_PREFIX = '__packsec$';
