// What an expression certainly holds, when the source says it: the text a string starts with (a URL's
// scheme and host before a computed path), and paths built from the file's own folder, os.tmpdir(),
// os.homedir() or an absolute literal with path.join/resolve/dirname, `+` and templates. Anything it
// cannot tell is null: inference then leaves the grant open rather than guess.
import { canonicalHost } from '../policy/index.js';
import type { Node } from './ast.js';

/** Text known to start an expression's value; `complete` when it is all of it. */
export interface StaticText {
  text: string;
  complete: boolean;
}

export interface StaticPath {
  base: 'dir' | 'file' | '$tmp' | '$home' | '/';
  /** Known text appended to the base's path ("/x/../y", ".map"); the whole path for "/". */
  rest: string;
  complete: boolean;
}

export interface EvalContext {
  /** The single expression a constant name was initialised with, or null. */
  constInit(id: Node): Node | null;
  /** For a value holding a built-in: [module, ...path] ("path", "join"). */
  builtinPath(node: Node): string[] | null;
  /** Whether an identifier is a free name (not declared in the file). */
  isFree(id: Node): boolean;
}

const MAX_DEPTH = 12;

export function evalText(node: Node | null | undefined, ctx: EvalContext, depth = 0): StaticText | null {
  if (!node || depth > MAX_DEPTH) return null;
  switch (node.type) {
    case 'Literal':
      return typeof node.value === 'string' ? { text: node.value, complete: true } : typeof node.value === 'number' ? { text: String(node.value), complete: true } : null;
    case 'TemplateLiteral': {
      const quasis = node.quasis as { value: { cooked: string | null } }[];
      const exprs = node.expressions as Node[];
      let text = '';
      for (let i = 0; i < quasis.length; i++) {
        const cooked = quasis[i]!.value.cooked;
        if (cooked === null) return text ? { text, complete: false } : null;
        text += cooked;
        if (i < exprs.length) {
          const inner = evalText(exprs[i], ctx, depth + 1);
          if (!inner) return { text, complete: false };
          text += inner.text;
          if (!inner.complete) return { text, complete: false };
        }
      }
      return { text, complete: true };
    }
    case 'BinaryExpression': {
      if (node.operator !== '+') return null;
      const left = evalText(node.left as Node, ctx, depth + 1);
      if (!left || !left.complete) return left;
      const right = evalText(node.right as Node, ctx, depth + 1);
      return right ? { text: left.text + right.text, complete: right.complete } : { text: left.text, complete: false };
    }
    case 'Identifier': {
      const init = ctx.constInit(node);
      return init ? evalText(init, ctx, depth + 1) : null;
    }
    case 'ParenthesizedExpression':
      return evalText(node.expression as Node, ctx, depth + 1);
    case 'NewExpression': {
      // new URL(path, base): the base's origin is known when the base is.
      const callee = node.callee as Node;
      if (callee.type !== 'Identifier' || callee.name !== 'URL' || !ctx.isFree(callee)) return null;
      const [first, second] = node.arguments as Node[];
      const a = evalText(first, ctx, depth + 1);
      if (!second) return a;
      const b = evalText(second, ctx, depth + 1);
      if (!b?.complete) return null;
      try {
        if (a?.complete) return { text: new URL(a.text, b.text).href, complete: true };
        if (a && /^[a-z][a-z0-9+.-]*:/i.test(a.text)) return a;
        if (a?.text.startsWith('//')) return null;
        return { text: `${new URL(b.text).origin}/`, complete: false };
      } catch {
        return null;
      }
    }
    case 'MemberExpression': {
      // new URL(…).href / .toString()
      const prop = node.property as Node;
      if (!node.computed && prop.type === 'Identifier' && prop.name === 'href') return evalText(node.object as Node, ctx, depth + 1);
      return null;
    }
    default:
      return null;
  }
}

/**
 * The host and port a URL's known text names: null when the host is not certain (a computed host, a
 * host that could go on), `port` null when the URL has none or it is computed.
 */
export function hostOfUrl(t: StaticText | null): { host: string; port: number | null } | null {
  if (!t) return null;
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([/?#])?/i.exec(t.text);
  if (!m) return null;
  const ended = m[3] !== undefined || t.complete;
  let authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let hostText: string;
  let portText: string | null = null;
  const bracket = /^(\[[^\]]*\])(?::(\d*))?$/.exec(authority);
  if (bracket) {
    hostText = bracket[1]!;
    portText = bracket[2] ?? null;
  } else {
    const colon = authority.indexOf(':');
    hostText = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? null : authority.slice(colon + 1);
  }
  // Without a delimiter after it, the host is certain only when a port (even a computed one) follows.
  if (!ended && portText === null) return null;
  const host = canonicalHost(hostText);
  if (!host) return null;
  const port = portText && ended && /^\d+$/.test(portText) ? Number(portText) : null;
  return { host, port: port !== null && port > 0 && port < 65536 ? port : null };
}

function joinRest(rest: string, part: string): string {
  return rest.endsWith('/') ? rest + part : `${rest}/${part}`;
}

export function evalPath(node: Node | null | undefined, ctx: EvalContext, depth = 0): StaticPath | null {
  if (!node || depth > MAX_DEPTH) return null;
  switch (node.type) {
    case 'Identifier': {
      if (ctx.isFree(node)) {
        if (node.name === '__dirname') return { base: 'dir', rest: '', complete: true };
        if (node.name === '__filename') return { base: 'file', rest: '', complete: true };
        return null;
      }
      const init = ctx.constInit(node);
      return init ? evalPath(init, ctx, depth + 1) : null;
    }
    case 'Literal':
    case 'TemplateLiteral': {
      const t = evalText(node, ctx, depth + 1);
      if (!t || !t.text.startsWith('/')) return null;
      return { base: '/', rest: t.text, complete: t.complete };
    }
    case 'ParenthesizedExpression':
      return evalPath(node.expression as Node, ctx, depth + 1);
    case 'BinaryExpression': {
      if (node.operator !== '+') return null;
      const left = evalPath(node.left as Node, ctx, depth + 1);
      if (!left) {
        const t = evalText(node, ctx, depth + 1);
        return t && t.text.startsWith('/') ? { base: '/', rest: t.text, complete: t.complete } : null;
      }
      if (!left.complete) return left;
      const right = evalText(node.right as Node, ctx, depth + 1);
      return right ? { ...left, rest: left.rest + right.text, complete: right.complete } : { ...left, complete: false };
    }
    case 'MetaProperty':
      return null;
    case 'MemberExpression': {
      // import.meta.url, import.meta.dirname / filename (Node 20.11+)
      const obj = node.object as Node;
      const prop = node.property as Node;
      if (obj.type === 'MetaProperty' && prop.type === 'Identifier') {
        if (prop.name === 'dirname') return { base: 'dir', rest: '', complete: true };
        if (prop.name === 'filename' || prop.name === 'url') return { base: 'file', rest: '', complete: true };
      }
      return null;
    }
    case 'NewExpression': {
      // new URL('./x', import.meta.url)
      const callee = node.callee as Node;
      if (callee.type !== 'Identifier' || callee.name !== 'URL' || !ctx.isFree(callee)) return null;
      const [first, second] = node.arguments as Node[];
      const base = evalPath(second, ctx, depth + 1);
      const rel = evalText(first, ctx, depth + 1);
      if (!base || !rel || base.base !== 'file' || base.rest !== '') return null;
      if (rel.text.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(rel.text)) return null;
      return { base: 'dir', rest: `/${rel.text}`, complete: rel.complete };
    }
    case 'CallExpression': {
      const callee = node.callee as Node;
      const args = node.arguments as Node[];
      const fn = ctx.builtinPath(callee);
      if (!fn) return null;
      const name = fn.join('.');
      if (name === 'os.tmpdir') return { base: '$tmp', rest: '', complete: true };
      if (name === 'os.homedir') return { base: '$home', rest: '', complete: true };
      if (name === 'url.fileURLToPath') return evalPath(args[0], ctx, depth + 1);
      const op = fn[0] === 'path' ? fn[fn.length - 1] : null;
      if (op === 'dirname' && (fn.length === 2 || fn[1] === 'posix')) {
        const p = evalPath(args[0], ctx, depth + 1);
        if (!p || !p.complete) return null;
        if (p.base === 'file' && p.rest === '') return { base: 'dir', rest: '', complete: true };
        // Its folder: one more ".." (normalised later, where the base's own path is known).
        return { ...p, rest: `${p.rest.replace(/\/+$/, '')}/..` };
      }
      if ((op === 'join' || op === 'resolve') && (fn.length === 2 || fn[1] === 'posix') && args.length) {
        let acc = evalPath(args[0], ctx, depth + 1);
        if (!acc) return null;
        for (const a of args.slice(1)) {
          if (!acc.complete) break;
          const t = evalText(a, ctx, depth + 1);
          // A computed argument is a segment of its own: the ones before it are whole.
          if (!t) return { ...acc, rest: joinRest(acc.rest, ''), complete: false };
          if (t.text.startsWith('/') && op === 'resolve') acc = { base: '/', rest: t.text, complete: t.complete };
          else acc = { ...acc, rest: joinRest(acc.rest, t.text.replace(/^\/+/, '')), complete: t.complete };
        }
        return acc;
      }
      return null;
    }
    default:
      return null;
  }
}

/**
 * A known path as whole, normalised segments under its base: "a/./b/../c" is "a/c", a computed tail
 * keeps only the segments before it. Null when it climbs above its base.
 */
export function normalizeRest(rest: string, complete: boolean): { rest: string; partial: boolean } | null {
  const parts = rest.split('/');
  // dirname of a file ("x.js/..") is taken on the whole path, so a trailing ".." is a segment like any.
  // An incomplete last segment ("/etc/pa" + x) is not a segment yet.
  if (!complete) parts.pop();
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(p);
  }
  return { rest: out.join('/'), partial: !complete };
}
