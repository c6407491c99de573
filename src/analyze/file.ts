// Static analysis of one JavaScript file: parse, build scopes, then follow every value that holds a
// built-in module or a global (through aliases, destructuring and member chains) to the exports and
// property paths actually used. Pure: takes source text, returns FileFacts.
import { FS_CALLS, FS_PASS, FS_STREAMS, flagsAccess } from '../policy/fs-calls.js';
import { canonicalHost, NET_GLOBALS, NET_MODULES } from '../policy/grants.js';
import { builtinModuleOf, isValidGlobal } from '../policy/names.js';
import { children, memberKey, staticPrefix, staticString, type Node } from './ast.js';
import { evalPath, evalText, hostOfUrl, type EvalContext } from './literals.js';
import { HTTP_CLIENTS } from './through.js';
import { DETECTORS, type DetectorContext } from './detectors/index.js';
import { parseProgram, type SourceKind } from './parse.js';
import { ScopeTracker, type Binding } from './scope.js';

export type { SourceKind };
import { GLOBAL_OBJECT_NAMES, globalCapability, globalDepth, type UseContext } from './globals.js';
import type { FileFacts, HostFact, ImportFact, Location, PathFact, WarningKind } from './types.js';


export interface AnalyzeOptions {
  /** How Node would load the file; a CommonJS guess that fails to parse is retried as a module. */
  kind: SourceKind;
}

// ---------------------------------------------------------------- values a binding can hold

type Value =
  | { kind: 'builtin'; module: string; path: string[] }
  | { kind: 'global'; path: string[] }
  | { kind: 'require' }
  | { kind: 'import-promise'; module: string }
  // An HTTP client package (axios, got, node-fetch, ws…): calls into it name hosts as fetch does.
  | { kind: 'client'; name: string; path: string[] };

// HTTP client packages whose calls name the URL they connect to, and how: 'url' (the first argument is
// the URL or an options object with url/baseURL/prefixUrl), 'method-url' (the first is a method, then the URL).
const CLIENT_PACKAGES = HTTP_CLIENTS;
const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'request', 'postForm', 'putForm', 'patchForm', 'fetch', 'stream', 'create', 'extend', 'connect', 'pipeline']);

// Network exports that name a host, and those that open nothing by themselves.
const CONNECT_CALLS: Record<string, 'url' | 'net' | 'authority' | 'host' | 'service'> = {
  'http.request': 'url', 'http.get': 'url', 'https.request': 'url', 'https.get': 'url',
  'net.connect': 'net', 'net.createConnection': 'net', 'tls.connect': 'net', 'http2.connect': 'authority',
  'dns.lookup': 'host', 'dns.lookupService': 'service', 'dns.reverse': 'host',
};
for (const q of ['resolve', 'resolveAny', 'resolve4', 'resolve6', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'resolveTlsa', 'lookup', 'reverse']) {
  CONNECT_CALLS[`dns.${q}`] = 'host';
  CONNECT_CALLS[`dns.promises.${q}`] = 'host';
  CONNECT_CALLS[`dns/promises.${q}`] = 'host';
}
const NON_CONNECTING = new Set([
  'createServer', 'createSecureServer', 'Server', 'STATUS_CODES', 'METHODS', 'IncomingMessage', 'ServerResponse', 'OutgoingMessage',
  'validateHeaderName', 'validateHeaderValue', 'maxHeaderSize', 'Agent', 'globalAgent', 'setMaxIdleHTTPParsers', 'isIP', 'isIPv4', 'isIPv6',
  'BlockList', 'SocketAddress', 'getDefaultAutoSelectFamily', 'setDefaultAutoSelectFamily', 'getDefaultAutoSelectFamilyAttemptTimeout',
  'setDefaultAutoSelectFamilyAttemptTimeout', 'createSecureContext', 'SecureContext', 'rootCertificates', 'checkServerIdentity', 'getCiphers',
  'DEFAULT_ECDH_CURVE', 'DEFAULT_MIN_VERSION', 'DEFAULT_MAX_VERSION', 'DEFAULT_CIPHERS', 'CLIENT_RENEG_LIMIT', 'CLIENT_RENEG_WINDOW', 'constants',
  'getDefaultSettings', 'getPackedSettings', 'getUnpackedSettings', 'sensitiveHeaders', 'Http2ServerRequest', 'Http2ServerResponse',
  'getServers', 'setDefaultResultOrder', 'getDefaultResultOrder', 'ADDRCONFIG', 'V4MAPPED', 'ALL', 'NODATA', 'FORMERR', 'SERVFAIL', 'NOTFOUND',
  'NOTIMP', 'REFUSED', 'BADQUERY', 'BADNAME', 'BADFAMILY', 'BADRESP', 'CONNREFUSED', 'TIMEOUT', 'EOF', 'FILE', 'NOMEM', 'DESTRUCTION',
  'BADSTR', 'BADFLAGS', 'NONAME', 'BADHINTS', 'NOTINITIALIZED', 'LOADIPHLPAPI', 'ADDRGETNETWORKPARAMS', 'CANCELLED',
]);

// Helpers that compilers wrap around require(): they pass the module through.
const INTEROP_HELPERS = new Set([
  '_interopRequireDefault', '_interopRequireWildcard', '__importDefault', '__importStar', '__toESM',
  '__toCommonJS', '_interop_require_default', '_interop_require_wildcard', 'interopRequireDefault',
  'interopRequireWildcard',
]);

// Built-in exports that are namespaces: their members are granted one by one (fs.promises.readFile).
const NAMESPACE_EXPORTS = new Set(['promises', 'constants', 'posix', 'win32', 'types', 'webcrypto']);

// Capabilities are at most a few keys deep; longer paths are kept at this length ("this or deeper") so
// that a hostile chain `x.a.a.a…` of n links does not cost n² to represent.
const MAX_PATH = 8;

function extend(v: Value, key: string): Value | null {
  if ((v.kind === 'builtin' || v.kind === 'global' || v.kind === 'client') && v.path.length >= MAX_PATH) return v;
  if (v.kind === 'client') return v.path.length === 0 && key === 'default' ? v : { kind: 'client', name: v.name, path: [...v.path, key] };
  if (v.kind === 'builtin') {
    if (v.path.length === 0 && key === 'default') return v;
    return { kind: 'builtin', module: v.module, path: [...v.path, key] };
  }
  if (v.kind === 'global') {
    // globalThis.globalThis, global.global: the global object again, not a property of it.
    if (v.path.length === 0 && GLOBAL_OBJECT_NAMES.has(key)) return v;
    return { kind: 'global', path: [...v.path, key] };
  }
  return null;
}

/**
 * `require('process')` is the global `process` object: its members are granted as globals, so that
 * `require('process').env.HOME` needs process.env.HOME, not the whole environment.
 */
function processGlobal(v: Value): Value | null {
  return v.kind === 'builtin' && v.module === 'process' && v.path.length > 0 ? { kind: 'global', path: ['process', ...v.path] } : null;
}

function complete(v: Value): boolean {
  const asGlobal = processGlobal(v);
  if (asGlobal) return complete(asGlobal);
  if (v.kind === 'builtin') return v.path.length >= (v.path[0] !== undefined && NAMESPACE_EXPORTS.has(v.path[0]) ? 2 : 1);
  if (v.kind === 'global') return v.path.length > 0 && v.path.length >= globalDepth(v.path);
  return false;
}

class FileAnalysis {
  readonly facts: FileFacts = { imports: [], dynamic: [], builtins: [], globals: [], native: [], warnings: [], hosts: [], paths: [] };
  private readonly tracker: ScopeTracker;
  private readonly lineStarts: number[] = [0];
  private readonly seen = new Set<string>();
  private readonly bindingValues = new Map<Binding, Value | null>();
  private readonly computing = new Set<Binding>();

  constructor(
    private readonly source: string,
    private readonly kind: SourceKind,
  ) {
    for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.tracker = new ScopeTracker(kind, {
      onNode: (node) => this.onNode(node),
      onImport: (decl, specifier, binding) => {
        const spec = staticString(decl.source as Node) ?? '';
        const client = CLIENT_PACKAGES.has(spec) ? spec : null;
        const module = builtinModuleOf(spec) ?? (client ? `\0client:${client}` : null);
        if (!module) return;
        const imported = specifier.type === 'ImportSpecifier' ? (memberName(specifier.imported as Node) ?? '*') : '*';
        binding.importOf = { module, imported: imported === 'default' ? '*' : imported };
      },
    }, { skipFalsyAnd: true });
  }

  private get refs() {
    return this.tracker.refs;
  }

  private get resolved() {
    return this.tracker.resolved;
  }

  private get declaredIds() {
    return this.tracker.declaredIds;
  }

  run(program: Node): void {
    this.tracker.run(program);
    for (const r of this.refs) if (!r.write) this.useReference(r.node);
    this.collectSources();
    this.runDetectors();
  }

  /** After each node's children: imports and re-exports, and the detectors that look at this node type. */
  private onNode(node: Node): void {
    if (node.type === 'ImportDeclaration') {
      this.addImport(staticString(node.source as Node) ?? '', 'import', node);
    } else if ((node.type === 'ExportNamedDeclaration' && node.source) || node.type === 'ExportAllDeclaration') {
      const spec = staticString(node.source as Node) ?? '';
      this.addImport(spec, 'export-from', node);
      const module = builtinModuleOf(spec);
      if (module && node.type === 'ExportAllDeclaration') this.addCapability('builtins', module, node);
      else if (module) {
        for (const s of node.specifiers as Node[]) {
          const local = memberName(s.local as Node) ?? '*';
          this.addCapability('builtins', local === 'default' || local === '*' ? module : `${module}.${local}`, s);
        }
      }
    }
    const type = node.type;
    if (type === 'CallExpression' || type === 'ImportExpression' || type === 'NewExpression') this.sites.push(node);
    const list = this.detectorNodes.get(type);
    if (list) list.push(node);
  }

  /** Nodes of the types some detector looks at, in walk order. */
  private readonly detectorNodes = new Map<string, Node[]>([...DETECTORS_BY_TYPE.keys()].map((t) => [t, []]));
  /** Calls, dynamic imports and `new` expressions: where modules are loaded and workers started. */
  private readonly sites: Node[] = [];

  private runDetectors(): void {
    const ctx: DetectorContext = {
      freeName: (n) => this.freeName(n),
      isRequireCall: (n) => this.isRequireCall(n),
      isRequire: (n) => this.valueOf(n)?.kind === 'require',
      requireSpecifier: (n) => this.requireSpecifier(n),
      builtinPath: (n) => {
        const v = this.valueOf(n);
        return v?.kind === 'builtin' ? [v.module, ...v.path] : null;
      },
      globalPath: (n) => {
        const found = this.valueOf(n);
        const v = found && (processGlobal(found) ?? found);
        return v?.kind === 'global' ? v.path : null;
      },
      warn: (kind, n, message) => this.addWarning(kind, n, message),
      native: (n, why) => this.addCapability('native', why, n),
      dynamic: (n, prefix) => this.facts.dynamic.push({ ...this.locate(n.start), prefix }),
    };
    for (const d of DETECTORS) for (const type of d.nodeTypes) for (const node of this.detectorNodes.get(type) ?? []) d.detect(node, ctx);
  }

  // ---------------------------------------------------------------- pass 2: values and their uses

  private freeName(node: Node): string | null {
    if (node.type !== 'Identifier' || !this.resolved.has(node)) return null;
    return this.resolved.get(node) ? null : (node.name as string);
  }

  isRequireCall(node: Node): boolean {
    if (node.type !== 'CallExpression') return false;
    const callee = node.callee as Node;
    return this.isRequireCallee(callee, this.valueOf(callee));
  }

  /**
   * require, module.require, esbuild's __require, and anything holding require (createRequire's
   * result, an alias, `freeModule.require` where freeModule is module).
   */
  private isRequireCallee(callee: Node, value: Value | null): boolean {
    if (callee.type === 'Identifier' && (callee.name === 'require' || callee.name === '__require')) return true;
    if (callee.type === 'MemberExpression' && memberKey(callee) === 'require') {
      const object = callee.object as Node;
      if (object.type === 'Identifier' && object.name === 'module') return true;
      const ov = this.valueOf(object);
      if (ov?.kind === 'global' && ov.path.length === 1 && ov.path[0] === 'module') return true;
    }
    return value?.kind === 'require';
  }

  private requireSpecifier(node: Node): string | null {
    const arg = (node.arguments as Node[])[0];
    return arg ? staticString(arg) : null;
  }

  private bindingValue(b: Binding): Value | null {
    const known = this.bindingValues.get(b);
    if (known !== undefined) return known;
    if (this.computing.has(b)) return null;
    this.computing.add(b);
    this.computingBindings++;
    let value: Value | null = null;
    if (b.importOf?.module.startsWith('\0client:')) {
      value = { kind: 'client', name: b.importOf.module.slice('\0client:'.length), path: b.importOf.imported === '*' ? [] : [b.importOf.imported] };
    } else if (b.importOf) {
      value = { kind: 'builtin', module: b.importOf.module, path: b.importOf.imported === '*' ? [] : [b.importOf.imported] };
    } else if (b.sources.length === 1 && b.name !== 'require') {
      const src = b.sources[0]!;
      value = this.valueOf(src.init);
      for (const step of src.steps) {
        if (!value) break;
        value = step === null ? null : extend(value, step);
      }
    } else if (b.name === 'require' || b.sources.some((s) => this.valueOf(s.init)?.kind === 'require')) {
      value = { kind: 'require' };
    }
    this.computing.delete(b);
    if (--this.computingBindings === 0) this.provisional.clear();
    this.bindingValues.set(b, value);
    return value;
  }

  // Detectors ask for the value of every member and call expression: without memoising, a chain
  // `x.a.a.a…` of n links costs n² steps (a hostile file could then time out the worker).
  private readonly values = new Map<Node, Value | null>();
  // Values found while a binding is being computed may rest on a cycle's provisional null: they are
  // kept only until that outermost computation ends (without them a call chain of n links took 2^n).
  private readonly provisional = new Map<Node, Value | null>();
  private computingBindings = 0;

  private valueOf(node: Node): Value | null {
    const memo = this.computingBindings === 0 ? this.values : this.provisional;
    const known = memo.get(node);
    if (known !== undefined) return known;
    const value = this.computeValue(node);
    (this.computingBindings === 0 ? this.values : this.provisional).set(node, value);
    return value;
  }

  private computeValue(node: Node): Value | null {
    switch (node.type) {
      case 'Identifier': {
        const name = node.name as string;
        if (name === 'require') return { kind: 'require' };
        const b = this.resolved.get(node);
        if (b) return this.bindingValue(b);
        if (b === undefined) return null; // not a reference (a key or a label)
        if (GLOBAL_OBJECT_NAMES.has(name)) return { kind: 'global', path: [] };
        return { kind: 'global', path: [name] };
      }
      case 'MemberExpression': {
        const obj = this.valueOf(node.object as Node);
        const key = memberKey(node);
        return obj && key !== null ? extend(obj, key) : null;
      }
      case 'CallExpression': {
        const callee = node.callee as Node;
        const args = node.arguments as Node[];
        const cv = this.valueOf(callee);
        if (this.isRequireCallee(callee, cv)) {
          const spec = this.requireSpecifier(node);
          const module = spec === null ? null : builtinModuleOf(spec);
          if (!module && spec !== null && CLIENT_PACKAGES.has(spec)) return { kind: 'client', name: spec, path: [] };
          return module ? { kind: 'builtin', module, path: [] } : null;
        }
        if (callee.type === 'Identifier' && INTEROP_HELPERS.has(callee.name as string) && args[0]) return this.valueOf(args[0]);
        if (cv?.kind === 'builtin' && cv.module === 'module' && cv.path.join('.') === 'createRequire') return { kind: 'require' };
        if (isGetBuiltinModule(cv)) {
          const spec = this.requireSpecifier(node);
          const module = spec === null ? null : builtinModuleOf(spec);
          return module ? { kind: 'builtin', module, path: [] } : null;
        }
        return null;
      }
      case 'ImportExpression': {
        const spec = staticString(node.source as Node);
        const module = spec === null ? null : builtinModuleOf(spec);
        return module ? { kind: 'import-promise', module } : null;
      }
      case 'AwaitExpression': {
        const v = this.valueOf(node.argument as Node);
        return v?.kind === 'import-promise' ? { kind: 'builtin', module: v.module, path: [] } : null;
      }
      case 'ChainExpression':
      case 'ParenthesizedExpression':
        return this.valueOf(node.expression as Node);
      case 'LogicalExpression': {
        // lodash's `root = freeGlobal || freeSelf || Function('return this')()`, `a && require('x')`.
        const right = this.valueOf(node.right as Node);
        if (node.operator === '&&') return right;
        return this.valueOf(node.left as Node) ?? right;
      }
      case 'ConditionalExpression':
        // `typeof globalThis !== 'undefined' ? globalThis : global`
        return this.valueOf(node.consequent as Node) ?? this.valueOf(node.alternate as Node);
      case 'SequenceExpression': {
        const list = node.expressions as Node[];
        return list.length ? this.valueOf(list[list.length - 1]!) : null;
      }
      default:
        return null;
    }
  }

  /** A reference to a name: if it holds a built-in or a global, find what part of it is used. */
  private useReference(node: Node): void {
    const v = this.valueOf(node);
    if (v && (v.kind === 'builtin' || v.kind === 'global' || v.kind === 'client')) this.climb(node, v);
  }

  /** A require()/import() of a built-in: follow what is used of the module it returns. */
  private useSource(node: Node): void {
    const v = this.valueOf(node);
    if (v && (v.kind === 'builtin' || v.kind === 'import-promise' || v.kind === 'client')) this.climb(node, v);
  }

  private climb(start: Node, startValue: Value): void {
    let node = start;
    let value = startValue;
    if (complete(value)) return this.record(value, node, 'value');
    for (;;) {
      const p = node.parent;
      if (!p) return this.record(value, node, 'value');
      switch (p.type) {
        case 'MemberExpression': {
          if (p.object !== node) return this.record(value, node, 'value');
          const key = memberKey(p);
          if (key === null) {
            if (value.kind === 'global' && value.path.length === 0) {
              this.addWarning('computed-global', p, 'reads the global object with a computed key');
              return;
            }
            return this.record(value, node, 'value');
          }
          // Stream.call(this), EventEmitter.apply(this, args): calling the module itself needs all of it.
          if ((value.kind === 'builtin' || value.kind === 'client') && value.path.length === 0 && (key === 'call' || key === 'apply' || key === 'bind')) {
            return this.record(value, node, 'value');
          }
          const next = value.kind === 'import-promise' ? null : extend(value, key);
          if (!next) return;
          node = p;
          value = next;
          if (complete(value)) return this.record(value, node, 'value');
          continue;
        }
        case 'ChainExpression':
        case 'ParenthesizedExpression':
          node = p;
          continue;
        case 'AwaitExpression':
          if (value.kind === 'import-promise') value = { kind: 'builtin', module: value.module, path: [] };
          node = p;
          continue;
        case 'SequenceExpression': {
          const list = p.expressions as Node[];
          if (list[list.length - 1] !== node) return; // value discarded
          node = p;
          continue;
        }
        case 'CallExpression': {
          const callee = p.callee as Node;
          if (callee === node) return this.record(value, node, 'call');
          if (callee.type === 'Identifier' && INTEROP_HELPERS.has(callee.name as string)) {
            node = p;
            continue;
          }
          return this.record(value, node, 'value');
        }
        case 'NewExpression':
          if (p.callee === node) return this.record(value, node, (p.arguments as Node[]).length ? 'new-args' : 'new-noargs');
          return this.record(value, node, 'value');
        case 'UnaryExpression':
          if (p.operator === 'typeof' && node.type === 'Identifier' && value.kind === 'global') return;
          if (p.operator === '!' && isExistenceTest(value)) return;
          return this.record(value, node, 'value');
        case 'BinaryExpression':
          if (p.operator === 'instanceof' && p.right === node) return this.record(value, node, 'instanceof');
          // `'env' in process` is a feature test: absent properties answer it truthfully.
          if (p.operator === 'in' && p.right === node && value.kind === 'global') return;
          return this.record(value, node, 'value');
        case 'LogicalExpression':
          if (p.left === node && isExistenceTest(value)) return;
          if (p.right === node) {
            // `a && process.env`: the value flows on as the result of the whole expression.
            node = p;
            continue;
          }
          return this.record(value, node, 'value');
        case 'ConditionalExpression':
          if (p.test !== node) {
            node = p;
            continue;
          }
          if (isExistenceTest(value)) return;
          return this.record(value, node, 'value');
        case 'IfStatement':
        case 'WhileStatement':
        case 'DoWhileStatement':
        case 'ForStatement':
          if (p.test === node && isExistenceTest(value)) return;
          return this.record(value, node, 'value');
        case 'VariableDeclarator':
          if (p.init === node) return this.bindTarget(p.id as Node, value, node);
          return this.record(value, node, 'value');
        case 'AssignmentExpression':
          if (p.right === node && p.operator === '=') return this.bindTarget(p.left as Node, value, node);
          return this.record(value, node, 'value');
        case 'ExpressionStatement':
          // A bare `fs;` or `require('fs');` loads the module but uses nothing from it.
          if (value.kind === 'builtin' && value.path.length === 0) return this.record(value, node, 'load');
          return this.record(value, node, 'value');
        default:
          return this.record(value, node, 'value');
      }
    }
  }

  /** A tracked value assigned to a pattern: tracked names carry it on; anything else is an escape. */
  private bindTarget(target: Node, value: Value, at: Node): void {
    switch (target.type) {
      case 'Identifier': {
        // The binding carries the value on: its own references say what is used.
        const b = this.resolved.get(target) ?? this.declaredIds.get(target);
        if (b && this.bindingValue(b)) return;
        return this.record(value, at, 'value');
      }
      case 'ObjectPattern':
        for (const prop of target.properties as Node[]) {
          if (prop.type === 'RestElement') return this.record(value, at, 'value');
          const key = prop.key as Node;
          const step = prop.computed ? staticString(key) : key.type === 'Identifier' ? (key.name as string) : staticString(key);
          if (step === null) return this.record(value, at, 'value');
          const next = extend(value, step);
          if (!next) continue;
          let inner = prop.value as Node;
          if (inner.type === 'AssignmentPattern') inner = inner.left as Node;
          this.bindTarget(inner, next, prop);
        }
        return;
      default:
        return this.record(value, at, 'value');
    }
  }


  // ---------------------------------------------------------------- recording

  private record(recorded: Value, node: Node, context: UseContext | 'load'): void {
    const value = processGlobal(recorded) ?? recorded;
    if (context !== 'load') this.reach(value, node, context);
    if (value.kind === 'client') return;
    if (value.kind === 'builtin' || value.kind === 'import-promise') {
      // Loading a built-in without using it needs no grant: ungranted exports are denied when used.
      if (context === 'load') return;
      const path = value.kind === 'builtin' ? value.path : [];
      const cap = [value.module, ...path].join('.');
      this.addCapability('builtins', cap, node);
      if (value.module === 'vm') this.addWarning('vm', node, `uses the vm module (${cap})`);
      return;
    }
    if (value.kind === 'global') {
      if (context === 'load') return;
      // `process.getBuiltinModule('fs')` is recorded as the built-in it loads (see collectSources). The
      // function itself, which would reach every built-in, is only needed when the name is computed
      // or the function is handed on.
      if (isGetBuiltinModule(value) && node.parent?.type === 'CallExpression' && node.parent.callee === node) {
        const spec = this.requireSpecifier(node.parent);
        if (spec !== null && builtinModuleOf(spec)) return;
      }
      const cap = globalCapability(value.path, context);
      if (cap && (!isValidGlobal(cap) || value.path.some((seg) => /[.\s]/.test(seg) && !(value.path[0] === 'process' && value.path[1] === 'env')))) {
        // A key with a dot or a space (`global['a.b']`) cannot be named in a policy.
        this.addWarning('computed-global', node, `reads the global ${JSON.stringify(cap)}, which a policy cannot name`);
      } else if (cap) this.addCapability('globals', cap, node);
    }
  }

  // ---------------------------------------------------------------- hosts and paths

  private readonly evalCtx: EvalContext = {
    constInit: (id) => this.constInit(id),
    builtinPath: (n) => {
      const v = this.valueOf(n);
      return v?.kind === 'builtin' ? [v.module, ...v.path] : null;
    },
    isFree: (id) => this.resolved.has(id) && this.resolved.get(id) === null,
  };

  private writesOf: Map<Binding, Node[]> | null = null;

  /** The one expression a name holds for certain: a single assignment, never changed afterwards. */
  private constInit(id: Node): Node | null {
    const b = this.resolved.get(id);
    if (!b || b.importOf || b.sources.length !== 1 || b.sources[0]!.steps.length) return null;
    if (!this.writesOf) {
      this.writesOf = new Map();
      for (const r of this.refs) {
        if (!r.write) continue;
        const rb = this.resolved.get(r.node) ?? this.declaredIds.get(r.node);
        if (rb) (this.writesOf.get(rb) ?? this.writesOf.set(rb, []).get(rb)!).push(r.node);
      }
    }
    const init = b.sources[0]!.init;
    for (const w of this.writesOf.get(b) ?? []) {
      const p = w.parent;
      if (!(p?.type === 'AssignmentExpression' && p.operator === '=' && p.right === init)) return null;
    }
    return init;
  }

  private addHost(node: Node, given: string | null, port: number | null, via: string): void {
    const host = given === null || given.startsWith('unix:') ? given : canonicalHost(given);
    const loc = this.locate(node.start);
    const key = `h\0${host}\0${port}\0${loc.line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.facts.hosts.push({ host, port, via, ...loc } satisfies HostFact);
  }

  private addPath(node: Node, fact: Omit<PathFact, keyof Location>): void {
    const loc = this.locate(node.start);
    const key = `p\0${fact.base}\0${fact.rest}\0${fact.access}\0${loc.line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.facts.paths.push({ ...fact, ...loc });
  }

  /** The call (or `new`) expression a recorded use is the callee of, through parentheses and `?.`, or null. */
  private callOf(node: Node, context: UseContext): Node | null {
    void context;
    let n = node;
    while (n.parent && (n.parent.type === 'ParenthesizedExpression' || n.parent.type === 'ChainExpression')) n = n.parent;
    const p = n.parent;
    if (p && (p.type === 'CallExpression' || p.type === 'NewExpression') && p.callee === n) return p;
    return null;
  }

  /** Hosts and paths a use of a network or fs capability names (or leaves open). */
  private reach(value: Value, node: Node, context: UseContext): void {
    // `typeof http.get` tests for a function; it calls nothing.
    if (node.parent?.type === 'UnaryExpression' && node.parent.operator === 'typeof') return;
    if (value.kind === 'builtin') {
      if (NET_MODULES.has(value.module)) this.netUse(value, node, context);
      else if (value.module === 'fs' || value.module === 'fs/promises') this.fsUse(value, node, context);
    } else if (value.kind === 'global' && value.path.length >= 1 && NET_GLOBALS.has(value.path[0]!)) {
      const call = this.callOf(node, context);
      const via = value.path[0]!;
      if (call && via !== 'XMLHttpRequest' && value.path.length === 1) this.urlArgument(call, 0, via);
      else if (value.path.length === 1) this.addHost(node, null, null, via);
    } else if (value.kind === 'client') this.clientUse(value, node, context);
  }

  private netUse(value: { module: string; path: string[] }, node: Node, context: UseContext): void {
    const exp = value.path[value.module === 'dns' && value.path[0] === 'promises' ? 1 : 0];
    if (exp !== undefined && NON_CONNECTING.has(exp)) return;
    const name = [value.module, ...value.path].join('.');
    const kind = CONNECT_CALLS[name];
    const call = this.callOf(node, context);
    if (!kind || !call || call.type !== 'CallExpression') return this.addHost(node, null, null, name);
    const args = call.arguments as Node[];
    if (kind === 'url') return this.requestArguments(call, args, name, value.module === 'https' ? 443 : 80);
    if (kind === 'authority') return this.urlArgument(call, 0, name);
    if (kind === 'host' || kind === 'service') {
      const t = evalText(args[0], this.evalCtx);
      const host = t?.complete ? t.text : null;
      const port = kind === 'service' ? evalNumber(args[1], this.evalCtx) : null;
      return this.addHost(call, host, port, name);
    }
    // net.connect(port[, host]) / (path) / (options)
    const first = args[0];
    if (first && this.objectLiteral(first)) return this.optionsHost(call, this.objectLiteral(first)!, name, null);
    const text = evalText(first, this.evalCtx);
    if (text?.complete && !/^\d+$/.test(text.text)) return this.addHost(call, text.text.startsWith('/') ? `unix:${text.text}` : null, null, name);
    const port = evalNumber(first, this.evalCtx);
    const host = args[1] && args[1].type !== 'ArrowFunctionExpression' && args[1].type !== 'FunctionExpression' ? evalText(args[1], this.evalCtx) : { text: 'localhost', complete: true };
    this.addHost(call, host?.complete ? host.text : null, port, name);
  }

  /** http(s).request/get(url | options[, options]): the host of the URL, or of the options. */
  private requestArguments(call: Node, args: Node[], via: string, defaultPort: number | null): void {
    const [first, second] = args;
    const overrides = second ? this.objectLiteral(second) : null;
    if (overrides && (this.propertyOf(overrides, 'host') !== undefined || this.propertyOf(overrides, 'hostname') !== undefined)) {
      return this.optionsHost(call, overrides, via, defaultPort);
    }
    const obj = first ? this.objectLiteral(first) : null;
    if (obj) return this.optionsHost(call, obj, via, defaultPort);
    this.urlArgument(call, 0, via);
  }

  /** A URL argument: its host when the text names it for certain. */
  private urlArgument(call: Node, index: number, via: string): void {
    const arg = (call.arguments as Node[])[index];
    const h = hostOfUrl(evalText(arg, this.evalCtx));
    this.addHost(call, h?.host ?? null, h?.port ?? null, via);
  }

  /** { host | hostname, port, socketPath (http) | path (net, tls) }: literal values only. */
  private optionsHost(call: Node, obj: Node, via: string, defaultPort: number | null): void {
    void defaultPort;
    if ((obj.properties as Node[]).some((p) => p.type === 'SpreadElement')) return this.addHost(call, null, null, via);
    const socket = via.startsWith('net.') || via.startsWith('tls.') ? this.propertyOf(obj, 'path') : this.propertyOf(obj, 'socketPath');
    if (socket !== undefined) {
      const t = evalText(socket, this.evalCtx);
      return this.addHost(call, t?.complete && t.text.startsWith('/') ? `unix:${t.text}` : null, null, via);
    }
    const hostNode = this.propertyOf(obj, 'hostname') ?? this.propertyOf(obj, 'host');
    const host = hostNode === undefined ? { text: 'localhost', complete: true } : evalText(hostNode, this.evalCtx);
    const portNode = this.propertyOf(obj, 'port');
    const port = portNode === undefined ? null : evalNumber(portNode, this.evalCtx);
    this.addHost(call, host?.complete ? host.text : null, port, via);
  }

  /** An object literal, directly or through a constant name. */
  private objectLiteral(node: Node): Node | null {
    if (node.type === 'ObjectExpression') return node;
    if (node.type === 'Identifier') {
      const init = this.constInit(node);
      return init?.type === 'ObjectExpression' ? init : null;
    }
    return null;
  }

  /** The value of a plain `key: value` property (undefined when absent; a computed key makes it unknown). */
  private propertyOf(obj: Node, key: string): Node | undefined {
    for (const p of obj.properties as Node[]) {
      if (p.type !== 'Property') continue;
      const k = p.key as Node;
      const name = p.computed ? staticString(k) : k.type === 'Identifier' ? (k.name as string) : staticString(k);
      if (name === key) return p.value as Node;
    }
    return undefined;
  }

  private clientUse(value: { name: string; path: string[] }, node: Node, context: UseContext): void {
    const via = [value.name, ...value.path].join('.');
    const call = this.callOf(node, context);
    const path = value.path[0] === 'default' ? value.path.slice(1) : value.path;
    const method = path[0];
    if (!call || path.length > 1 || (method !== undefined && !HTTP_METHODS.has(method) && !['WebSocket', 'Client', 'Pool', 'Agent'].includes(method))) {
      // Anything else (a helper, the module handed on) may connect anywhere.
      if (method === undefined || HTTP_METHODS.has(method) || ['WebSocket', 'Client', 'Pool'].includes(method)) this.addHost(node, null, null, via);
      return;
    }
    const args = call.arguments as Node[];
    const first = args[0];
    if (method === 'Agent') return;
    if ((value.name === 'superagent' || value.name === 'needle') && method === undefined && args.length >= 2) return this.urlArgument(call, 1, via);
    const obj = first ? this.objectLiteral(first) : null;
    if (obj) {
      // axios({ url, baseURL }), axios.create({ baseURL }), got.extend({ prefixUrl }), request({ uri }).
      const urlNode = this.propertyOf(obj, 'baseURL') ?? this.propertyOf(obj, 'prefixUrl') ?? this.propertyOf(obj, 'url') ?? this.propertyOf(obj, 'uri');
      if (urlNode === undefined) return this.addHost(call, null, null, via);
      const h = hostOfUrl(evalText(urlNode, this.evalCtx));
      return this.addHost(call, h?.host ?? null, h?.port ?? null, via);
    }
    if ((method === 'create' || method === 'extend') && !first) return this.addHost(call, null, null, via);
    this.urlArgument(call, 0, via);
  }

  private fsUse(value: { module: string; path: string[] }, node: Node, context: UseContext): void {
    const path = value.module === 'fs' && value.path[0] === 'promises' ? value.path.slice(1) : value.path;
    const exp = path[0];
    const via = [value.module, ...value.path].join('.');
    if (exp !== undefined && (FS_PASS.has(exp) || path.length > 1)) return;
    const call = this.callOf(node, context);
    const unknown = (access: 'read' | 'write') => this.addPath(node, { base: null, rest: '', partial: false, access, via });
    if (exp === undefined || !call) return unknown(/write|append|mkdir|rm|unlink|rename|copy|cp|symlink|link|ch|utimes|truncate|WriteStream/.test(exp ?? 'write') ? 'write' : 'read');
    const args = call.arguments as Node[];
    if (FS_STREAMS.has(exp)) return this.pathArgument(call, args[0], exp.includes('Write') ? 'write' : 'read', via);
    const spec = FS_CALLS[exp.replace(/Sync$/, '')];
    if (!spec) return unknown('write');
    if (spec.fd) {
      // A literal 0, 1 or 2 is a standard stream, a name holding what fs.openSync returned is a file
      // whose path that call names; any other descriptor could be any file.
      const fd = evalNumber(args[spec.fd.i], this.evalCtx);
      if (!this.openedHere(args[spec.fd.i]) && (fd === null || fd > 2)) unknown(spec.fd.access);
    }
    for (const p of spec.paths ?? []) {
      if (p.targetOf !== undefined) continue;
      const arg = args[p.i];
      const access = p.access === 'flags' ? flagsAccess(staticString(args[1]) ?? (args[1] ? 'w' : 'r')) : p.access;
      if (p.fd && evalNumber(arg, this.evalCtx) !== null) continue;
      this.pathArgument(call, arg, access, via);
    }
    // symlink's target: where it points must be readable.
    const target = spec.paths?.find((p) => p.targetOf !== undefined);
    if (target) this.pathArgument(call, args[target.i], 'read', via);
  }

  /** Whether a descriptor argument is a constant holding the result of fs.openSync (whose path is judged there). */
  private openedHere(arg: Node | undefined): boolean {
    if (arg?.type !== 'Identifier') return false;
    const init = this.constInit(arg);
    if (init?.type !== 'CallExpression') return false;
    const v = this.valueOf(init.callee as Node);
    return v?.kind === 'builtin' && (v.module === 'fs' && v.path.join('.') === 'openSync');
  }

  private pathArgument(call: Node, arg: Node | undefined, access: 'read' | 'write', via: string): void {
    const p = evalPath(arg, this.evalCtx);
    if (!p) return this.addPath(call, { base: null, rest: '', partial: false, access, via });
    this.addPath(call, { base: p.base, rest: p.rest, partial: !p.complete, access, via });
  }

  addCapability(kind: 'builtins' | 'globals' | 'native', cap: string, node: Node): void {
    const loc = this.locate(node.start);
    const key = `${kind}\0${cap}\0${loc.line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.facts[kind].push({ cap, ...loc });
  }

  addImport(specifier: string, kind: ImportFact['kind'], node: Node): void {
    if (specifier === '') return;
    this.facts.imports.push({ specifier, kind, ...this.locate(node.start) });
    if (specifier.endsWith('.node')) this.addCapability('native', `loads ${specifier}`, node);
  }

  addWarning(kind: WarningKind, node: Node, message: string): void {
    const loc = this.locate(node.start);
    const key = `w\0${kind}\0${loc.line}\0${loc.column}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.facts.warnings.push({ kind, message, ...loc });
  }

  locate(offset: number): Location {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo]!;
    const next = this.lineStarts[lo + 1];
    const end = next === undefined ? this.source.length : next - 1;
    const column = offset - start;
    let text: string;
    if (end - start <= 160) text = this.source.slice(start, end).trim();
    else {
      const from = Math.max(start, offset - 60);
      text = (from > start ? '…' : '') + this.source.slice(from, Math.min(end, offset + 100)).trim() + (offset + 100 < end ? '…' : '');
    }
    return { line: lo + 1, column: column + 1, text };
  }

  /** Walks require/import call sites: records imports and follows built-in modules not bound to a name. */
  private collectSources(): void {
    // Call sites were gathered during the scope walk; they are looked at now that names resolve.
    for (const node of this.sites) {
      if (node.type === 'CallExpression' && this.isRequireCall(node)) {
        const spec = this.requireSpecifier(node);
        if (spec !== null) {
          this.addImport(spec, 'require', node);
          if (builtinModuleOf(spec) || CLIENT_PACKAGES.has(spec)) this.useSource(node);
        }
      } else if (node.type === 'CallExpression' && isGetBuiltinModule(this.valueOf(node.callee as Node))) {
        // process.getBuiltinModule('fs') (Node 20.16+) loads a built-in without require.
        const spec = this.requireSpecifier(node);
        if (spec !== null && builtinModuleOf(spec)) {
          this.addImport(spec, 'require', node);
          this.useSource(node);
        }
      } else if (node.type === 'CallExpression' && this.isRequireResolve(node)) {
        const spec = this.requireSpecifier(node);
        if (spec !== null) this.addImport(spec, 'resolve', node);
      } else if (node.type === 'ImportExpression') {
        const spec = staticString(node.source as Node);
        if (spec !== null) {
          this.addImport(spec, 'dynamic-import', node);
          if (builtinModuleOf(spec)) this.useSource(node);
        }
      } else if (node.type === 'NewExpression' && this.isWorkerConstructor(node.callee as Node)) {
        // A worker's entry file is code of the package too, though nothing require()s it.
        const arg = (node.arguments as Node[])[0];
        const spec = arg ? this.fileNextToThis(arg) : null;
        if (spec !== null) this.addImport(spec, 'worker', node);
      }
    }
  }

  private isWorkerConstructor(callee: Node): boolean {
    const v = this.valueOf(callee);
    return (v?.kind === 'builtin' && v.module === 'worker_threads' && v.path.join('.') === 'Worker') || (v?.kind === 'global' && v.path.join('.') === 'Worker');
  }

  /**
   * "./work.js" for a path built from this file's folder: `__dirname + '/work.js'`,
   * `path.join(__dirname, 'work.js')`, `new URL('./work.js', import.meta.url)`.
   */
  private fileNextToThis(node: Node): string | null {
    const rel = (s: string) => (s.startsWith('./') || s.startsWith('../') ? s : `./${s.replace(/^\/+/, '')}`);
    if (node.type === 'BinaryExpression' && node.operator === '+') {
      const left = node.left as Node;
      const right = staticString(node.right as Node);
      if (left.type === 'Identifier' && left.name === '__dirname' && right !== null) return rel(right);
    }
    if (node.type === 'CallExpression') {
      const v = this.valueOf(node.callee as Node);
      const args = node.arguments as Node[];
      if (v?.kind === 'builtin' && v.module === 'path' && (v.path[0] === 'join' || v.path[0] === 'resolve')
        && args[0]?.type === 'Identifier' && args[0].name === '__dirname') {
        const parts = args.slice(1).map((a) => staticString(a));
        if (parts.length && parts.every((p) => p !== null)) return rel(parts.join('/'));
      }
    }
    if (node.type === 'NewExpression' && (node.callee as Node).type === 'Identifier' && (node.callee as Node).name === 'URL') {
      const [first, second] = node.arguments as Node[];
      const spec = first ? staticString(first) : null;
      if (spec !== null && second?.type === 'MemberExpression' && (second.object as Node).type === 'MetaProperty') return rel(spec);
    }
    return null;
  }

  private isRequireResolve(node: Node): boolean {
    const callee = node.callee as Node;
    return callee.type === 'MemberExpression' && memberKey(callee) === 'resolve' && this.valueOf(callee.object as Node)?.kind === 'require';
  }
}

/**
 * `process.env && …`: every package gets a process object and an env view, so testing that they
 * exist reads nothing. Complete paths (process.env.X, process.stdout) are real reads even in a test.
 */
function isExistenceTest(value: Value): boolean {
  return value.kind === 'global' && value.path[0] === 'process' && !complete(value);
}

function isGetBuiltinModule(v: Value | null): boolean {
  return v?.kind === 'global' && v.path.length === 2 && v.path[0] === 'process' && v.path[1] === 'getBuiltinModule';
}

/** A whole number an expression certainly is (a literal, or a numeric string). */
function evalNumber(node: Node | undefined, ctx: EvalContext): number | null {
  if (!node) return null;
  if (node.type === 'Literal' && typeof node.value === 'number') return Number.isInteger(node.value) ? node.value : null;
  const t = evalText(node, ctx);
  return t?.complete && /^\d{1,5}$/.test(t.text) ? Number(t.text) : null;
}

function memberName(node: Node): string | null {
  if (node.type === 'Identifier') return node.name as string;
  return staticString(node);
}


const DETECTORS_BY_TYPE = new Map<string, (typeof DETECTORS)[number][]>();
for (const d of DETECTORS) for (const t of d.nodeTypes) {
  const list = DETECTORS_BY_TYPE.get(t) ?? [];
  list.push(d);
  DETECTORS_BY_TYPE.set(t, list);
}

/** Analyses one file. Never throws: what cannot be parsed comes back as `unanalysable`. */
export function analyzeSource(source: string, options: AnalyzeOptions): FileFacts {
  if (source.indexOf('\0') >= 0 && source.indexOf('\0') < 8192) {
    return emptyFacts('binary content (a NUL byte), not JavaScript');
  }
  let kind = options.kind;
  let program: Node;
  try {
    program = parseProgram(source, kind);
  } catch (first) {
    const other: SourceKind = kind === 'module' ? 'commonjs' : 'module';
    try {
      program = parseProgram(source, other);
      kind = other;
    } catch {
      return emptyFacts(describeParseError(first));
    }
  }
  try {
    const a = new FileAnalysis(source, kind);
    a.run(program);
    return a.facts;
  } catch (err) {
    if (err instanceof RangeError) return emptyFacts('nesting too deep to analyse');
    return emptyFacts(`analyser error: ${(err as Error).message}`);
  }
}

function describeParseError(err: unknown): string {
  if (err instanceof RangeError || /stack space/.test(String((err as Error)?.message))) return 'nesting too deep to parse';
  const msg = (err as Error)?.message ?? String(err);
  return `does not parse: ${msg}`;
}

export function emptyFacts(unanalysable?: string): FileFacts {
  const facts: FileFacts = { imports: [], dynamic: [], builtins: [], globals: [], native: [], warnings: [], hosts: [], paths: [] };
  if (unanalysable !== undefined) facts.unanalysable = unanalysable;
  return facts;
}
