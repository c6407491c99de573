// Network hosts at run time: every way a contained package can open a connection is checked against
// the `net` grants of the packages it is charged to (reach.ts). Three layers:
// - facades: the package's own net, tls, http, https, http2, dgram and dns exports, and its fetch and
//   WebSocket globals, check the host named in the call, for the package (and the stack);
// - gates on Node's shared prototypes (a socket's connect, an agent's createConnection, a datagram
//   socket's send, a resolver's queries, the constructors instances lead back to), checked by stack;
// - an HTTP request carries its owners, so the socket an agent opens for it later (a queued request)
//   and what its event handlers do (follow-redirects, node-fetch) are charged to them too.
import { createRequire } from 'node:module';
import { gatedConstructor, gateConstructorOf, gateMethod, named } from './gates.js';
import type { GateInfo, Reach } from './reach.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Options = Record<string, unknown>;

const nodeRequire = createRequire(import.meta.url);

const NET_FILES = ['node:net', 'node:_tls_wrap'];
const SOCKET_GATE: GateInfo = { expected: NET_FILES };
const AGENT_GATE: GateInfo = { expected: ['node:_http_agent', 'node:https'] };
const CLIENT_GATE: GateInfo = { expected: ['node:_http_client', 'node:http', 'node:https'] };
const DGRAM_GATE: GateInfo = { expected: ['node:dgram', 'node:internal/dgram'] };
const DNS_GATE: GateInfo = { expected: ['node:dns', 'node:internal/dns/utils', 'node:internal/dns/promises', 'node:internal/dns/callback_resolver'] };
const TCP_GATE: GateInfo = { expected: ['node:net'] };
const UDP_GATE: GateInfo = { expected: ['node:dgram', 'node:internal/dgram'] };
const NONE: GateInfo = { expected: [] };

const DNS_QUERIES = ['resolve', 'resolveAny', 'resolve4', 'resolve6', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'resolveTlsa'];

function isObject(v: unknown): v is Options {
  return v !== null && typeof v === 'object';
}

function portOf(v: unknown, fallback: number | null): number | null {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v));
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : fallback;
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Who made each HTTP request (the restricted packages charged for it), kept out of the packages' reach. */
const requestOwners = new WeakMap<object, readonly string[]>();

export class NetGuard {
  private readonly net = nodeRequire('node:net') as typeof import('node:net') & { _normalizeArgs(a: unknown[]): unknown[] };
  private readonly http = nodeRequire('node:http') as typeof import('node:http');
  private readonly https = nodeRequire('node:https') as typeof import('node:https');
  private readonly dgram = nodeRequire('node:dgram') as typeof import('node:dgram');
  private readonly dns = nodeRequire('node:dns') as typeof import('node:dns');
  private readonly normalizedMark: symbol | undefined;
  private readonly facades = new Map<string, unknown>();

  constructor(private readonly reach: Reach) {
    this.normalizedMark = Object.getOwnPropertySymbols(this.net._normalizeArgs([]))[0];
  }

  // ---------------------------------------------------------------- shared gates

  /** Puts the gates on Node's shared prototypes. Once per process (thread), before any package runs. */
  install(): void {
    const reach = this.reach;
    const guard = this;
    const Socket = this.net.Socket;
    gateMethod(reach, 'net', Socket.prototype, 'connect', (original, readers) => named(function connect(this: unknown, ...args: unknown[]) {
      const checked = guard.checkSocketConnect(args, null, connect, SOCKET_GATE, readers);
      // What was checked is what connects: a getter on the options cannot answer differently later.
      return original.apply(this, checked ? guard.normalizedArgs(checked.options, checked.cb) : args);
    }, original));
    gateConstructorOf(Socket, gatedConstructor(Socket, (args, self) => {
      const o = args[0];
      if (isObject(o) && (o.fd !== undefined || o.handle !== undefined)) guard.checkAdopt(null, self, NONE, o.fd);
      return args;
    }));

    for (const Agent of [this.http.Agent, this.https.Agent]) {
      gateMethod(reach, 'net', Agent.prototype, 'createConnection', (original, readers) => named(function createConnection(this: unknown, ...args: unknown[]) {
        const o = isObject(args[0]) ? args[0] : {};
        guard.checkOptions(o, null, createConnection, AGENT_GATE, readers, (this as { defaultPort?: number })?.defaultPort ?? null);
        return original.apply(this, args);
      }, original));
    }
    // The http and https agents share these (https.Agent extends http.Agent).
    const AgentProto = this.http.Agent.prototype as unknown as Record<string, Fn>;
    const addRequest = AgentProto.addRequest!;
    AgentProto.addRequest = named(function addRequest_(this: unknown, req: unknown, options: unknown, ...rest: unknown[]) {
      const self = this as { options?: Options; defaultPort?: number } | undefined;
      const given = typeof options === 'string' ? { host: options, port: rest[0] } : isObject(options) ? options : {};
      const effective = { ...given, ...(isObject(self?.options) ? self.options : {}) };
      const carried = isObject(req) ? requestOwners.get(req) : undefined;
      const owners = guard.checkOptions(effective, null, addRequest_, CLIENT_GATE, carried ?? null, self?.defaultPort ?? null, true);
      if (isObject(req) && owners.length) requestOwners.set(req, [...new Set([...(carried ?? []), ...owners])]);
      return reach.withOwners(isObject(req) ? requestOwners.get(req) : null, () => addRequest.call(this, req, typeof options === 'string' ? options : given, ...rest));
    }, addRequest);
    const createSocket = AgentProto.createSocket!;
    AgentProto.createSocket = named(function (this: unknown, req: unknown, ...rest: unknown[]) {
      return reach.withOwners(isObject(req) ? requestOwners.get(req) : null, () => createSocket.call(this, req, ...rest));
    }, createSocket);

    const ClientRequest = this.http.ClientRequest;
    const CRProto = ClientRequest.prototype as unknown as Record<string, Fn>;
    const emit = CRProto.emit!;
    Object.defineProperty(CRProto, 'emit', {
      value: named(function (this: unknown, ...args: unknown[]) {
        const owners = isObject(this) ? requestOwners.get(this) : undefined;
        return owners ? reach.withOwners(owners, () => emit.apply(this, args)) : emit.apply(this, args);
      }, emit),
      writable: true, enumerable: false, configurable: true,
    });
    gateConstructorOf(ClientRequest, gatedConstructor(ClientRequest, (args, self) => {
      guard.checkRequestArgs(args, null, self, NONE, 80);
      return args;
    }));

    const Dgram = this.dgram.Socket as unknown as Function & { prototype: Record<string, Fn> };
    for (const key of ['send', 'sendto', 'connect', 'connectSync']) {
      if (typeof Dgram.prototype[key] !== 'function') continue;
      gateMethod(reach, 'net', Dgram.prototype, key, (original, readers) => named(function dgram(this: unknown, ...args: unknown[]) {
        guard.checkDatagram(this, key, args, null, dgram, DGRAM_GATE, readers);
        // Node calls a send callback as a method of its request object (the binding's SendWrap), which
        // would hand a package what it takes to send from the socket's handle unchecked: it gets the socket.
        const last = args.length - 1;
        const cb = args[last];
        if (key.startsWith('send') && typeof cb === 'function') {
          const socket = this;
          args = [...args.slice(0, last), function (this: unknown, ...a: unknown[]) { return (cb as Fn).apply(socket, a); }];
        }
        return original.apply(this, args);
      }, original));
    }
    for (const key of ['bind', 'bindSync']) {
      if (typeof Dgram.prototype[key] !== 'function') continue;
      gateMethod(reach, 'net', Dgram.prototype, key, (original, readers) => named(function bind(this: unknown, ...args: unknown[]) {
        if (isObject(args[0]) && args[0].fd !== undefined) guard.checkAdopt(null, bind, DGRAM_GATE, args[0].fd, readers);
        return original.apply(this, args);
      }, original));
    }
    gateConstructorOf(Dgram, gatedConstructor(Dgram, (args, self) => guard.datagramOptions(args, null, self, NONE)));

    this.installHandles();

    const resolvers = [this.dns.Resolver, this.dns.promises.Resolver] as unknown as { prototype: Record<string, Fn> }[];
    for (const R of resolvers) {
      for (const key of [...DNS_QUERIES, 'reverse', 'setServers']) {
        if (typeof R.prototype[key] !== 'function' && typeof Object.getPrototypeOf(R.prototype)?.[key] !== 'function') continue;
        const owner = Object.prototype.hasOwnProperty.call(R.prototype, key) ? R.prototype : Object.getPrototypeOf(R.prototype) as Record<string, Fn>;
        gateMethod(reach, 'net', owner, key, (original, readers) => named(function query(this: unknown, ...args: unknown[]) {
          guard.checkDns(key, args, null, query, DNS_GATE, readers);
          return original.apply(this, args);
        }, original));
      }
    }
  }

  /**
   * Node's socket handles (the bindings under net and dgram) are reachable from any socket (its
   * `_handle`): their connect and send take an address and are checked like the sockets' own.
   */
  private installHandles(): void {
    const reach = this.reach;
    const binding = (name: string): Record<string, { prototype: object }> | null => {
      try {
        return (process as unknown as { binding(n: string): Record<string, { prototype: object }> }).binding(name);
      } catch {
        return null;
      }
    };
    const tcp = binding('tcp_wrap')?.TCP?.prototype;
    const pipe = binding('pipe_wrap')?.Pipe?.prototype;
    const udp = binding('udp_wrap')?.UDP?.prototype;
    const checkAddress = (address: unknown, port: unknown, skip: Function, gate: GateInfo, readers: readonly string[] | null, verb: string) => {
      reach.checkHost(null, String(address), portOf(port, null), skip, gate, readers ?? undefined, verb);
    };
    if (tcp) {
      for (const key of ['connect', 'connect6']) {
        gateMethod(reach, 'net', tcp, key, (original, readers) => named(function connect(this: unknown, ...args: unknown[]) {
          checkAddress(args[1], args[2], connect, TCP_GATE, readers, 'connect to');
          return original.apply(this, args);
        }, original));
      }
    }
    if (pipe) {
      gateMethod(reach, 'net', pipe, 'connect', (original, readers) => named(function connect(this: unknown, ...args: unknown[]) {
        if (typeof args[1] === 'string') reach.checkSocketPath(null, args[1], connect, TCP_GATE, readers ?? undefined);
        return original.apply(this, args);
      }, original));
    }
    if (udp) {
      for (const key of ['send', 'send6']) {
        gateMethod(reach, 'net', udp, key, (original, readers) => named(function send(this: unknown, ...args: unknown[]) {
          // send(req, list, count, port, address, hasCallback); a connected socket's send(req, list, count, hasCallback).
          if (args.length >= 6) checkAddress(args[4], args[3], send, UDP_GATE, readers, 'send to');
          return original.apply(this, args);
        }, original));
      }
      for (const key of ['connect', 'connect6']) {
        gateMethod(reach, 'net', udp, key, (original, readers) => named(function connect(this: unknown, ...args: unknown[]) {
          checkAddress(args[0], args[1], connect, UDP_GATE, readers, 'send to');
          return original.apply(this, args);
        }, original));
      }
    }
  }

  // ---------------------------------------------------------------- checks

  /**
   * Checks connect(options | port, host | path) as net's normalizeArgs reads it. Returns the options
   * and callback to pass on: a restricted connection drops a lookup function of its own (it could
   * answer anything for an allowed name; Node's resolver answers instead).
   */
  checkSocketConnect(args: unknown[], holder: string | null, skip: Function, gate: GateInfo, extra: readonly string[] | null): { options: Options; cb: unknown } | null {
    const charge = this.reach.owners('net', holder, skip, gate, extra ?? undefined);
    // Nobody restricted is involved: the call goes on exactly as made.
    if (!charge.owners.length && !charge.unattributed) return null;
    const mark = this.normalizedMark;
    const normalized = Array.isArray(args[0]) && mark && (args[0] as unknown as Record<symbol, unknown>)[mark] ? (args[0] as unknown[]) : this.net._normalizeArgs(args);
    let options = isObject(normalized[0]) ? { ...normalized[0] } : {};
    this.allowOptions(charge, options, null);
    // In warn mode the call goes through as made.
    if (charge.owners.length && typeof options.lookup === 'function' && !this.reach.warn) options = { ...options, lookup: undefined };
    return { options, cb: normalized[1] };
  }

  /** The arguments for Socket.prototype.connect, pre-normalised as Node's own callers pass them. */
  private normalizedArgs(options: Options, cb: unknown): unknown[] {
    const out = [options, typeof cb === 'function' ? cb : null] as unknown[] & Record<symbol, unknown>;
    if (this.normalizedMark) out[this.normalizedMark] = true;
    return [out];
  }

  /**
   * Checks connection options (host and port, or a unix socket path) and returns the restricted
   * packages the connection was charged to.
   */
  checkOptions(o: Options, holder: string | null, skip: Function, gate: GateInfo | null, extra: readonly string[] | null, defaultPort: number | null, http = false): string[] {
    const charge = this.reach.owners('net', holder, skip, gate, extra ?? undefined);
    if (!charge.owners.length && !charge.unattributed) return [];
    this.allowOptions(charge, o, defaultPort, holder, skip, gate, extra, http);
    return charge.owners;
  }

  /**
   * Judges connection options for a charge already made. In an HTTP request's options `path` is the
   * request's path and `socketPath` the unix socket; in a socket's, `path` is the socket.
   */
  private allowOptions(charge: { owners: string[]; unattributed: boolean }, o: Options, defaultPort: number | null, holder: string | null = null, skip?: Function, gate?: GateInfo | null, extra?: readonly string[] | null, http = false): void {
    const path = http ? o.socketPath : o.path ?? o.socketPath;
    if (typeof path === 'string' && path !== '') {
      this.reach.allowSocket(charge, path, holder, skip ?? this.allowOptions, gate ?? null, extra ?? undefined);
      return;
    }
    const host = stripBrackets(String(o.hostname ?? o.host ?? 'localhost'));
    this.reach.allowHost(charge, host || 'localhost', portOf(o.port, defaultPort));
  }

  checkAdopt(holder: string | null, skip: Function, gate: GateInfo, fd: unknown, extra?: readonly string[] | null): void {
    const { owners } = this.reach.owners('net', holder, skip, gate, extra ?? undefined);
    for (const n of owners) this.reach.denyAdopt(n, fd);
  }

  /** http(s).request/get and new ClientRequest: (url | options[, options][, callback]). */
  checkRequestArgs(args: unknown[], holder: string | null, skip: Function, gate: GateInfo, defaultPort: number): string[] {
    let input = args[0];
    let options: Options = {};
    if (typeof input === 'string' || input instanceof URL) {
      const url = new URL(String(input));
      const fromUrl: Options = { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined };
      options = isObject(args[1]) && typeof args[1] !== 'function' ? { ...fromUrl, ...args[1] } : fromUrl;
    } else if (isObject(input)) options = input;
    input = undefined;
    const agent = options.agent as { defaultPort?: number; options?: Options } | undefined | false;
    const merged = isObject(agent) && isObject(agent.options) ? { ...options, ...agent.options } : options;
    const port = isObject(agent) && typeof agent.defaultPort === 'number' ? agent.defaultPort : typeof options.defaultPort === 'number' ? options.defaultPort : merged.protocol === 'https:' ? 443 : defaultPort;
    return this.checkOptions(merged, holder, skip, gate, null, port, true);
  }

  private datagramOptions(args: unknown[], holder: string | null, skip: Function, gate: GateInfo): unknown[] {
    const o = args[0];
    if (!isObject(o) || typeof o.lookup !== 'function') return args;
    const { owners } = this.reach.owners('net', holder, skip, gate);
    return owners.length && !this.reach.warn ? [{ ...o, lookup: undefined }, ...args.slice(1)] : args;
  }

  /** send(msg[, offset, length], port[, address][, cb]), sendto, connect(port[, address][, cb]). */
  checkDatagram(socket: unknown, method: string, args: unknown[], holder: string | null, skip: Function, gate: GateInfo, extra: readonly string[] | null): void {
    let port: unknown;
    let address: unknown;
    if (method === 'connect' || method === 'connectSync') {
      [port, address] = args;
    } else if (method === 'sendto') {
      [, , , port, address] = args;
    } else {
      const connected = (() => {
        try {
          return (socket as { remoteAddress(): unknown }).remoteAddress() !== undefined;
        } catch {
          return false;
        }
      })();
      if (connected) return;
      const [, offset, length, p, a] = args;
      if (a || (p && typeof p !== 'function')) [port, address] = [p, a];
      else [port, address] = [offset, length];
    }
    if (typeof address === 'function' || address === undefined || address === null || address === '') {
      const type = (() => {
        try {
          return (socket as { type?: string }).type;
        } catch {
          return undefined;
        }
      })();
      address = type === 'udp6' ? '::1' : '127.0.0.1';
    }
    this.reach.checkHost(holder, stripBrackets(String(address)), portOf(port, null), skip, gate, extra ?? undefined, 'send to');
  }

  checkDns(method: string, args: unknown[], holder: string | null, skip: Function, gate: GateInfo, extra: readonly string[] | null): void {
    if (method === 'setServers') {
      const servers = Array.isArray(args[0]) ? args[0] : [];
      for (const s of servers) {
        const text = String(s);
        const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
        const host = m ? m[1]! : text;
        const port = m?.[2] ? Number(m[2]) : 53;
        this.reach.checkHost(holder, host, port, skip, gate, extra ?? undefined, 'use the DNS server');
      }
      return;
    }
    if (method === 'reverse') {
      this.reach.checkHost(holder, String(args[0]), null, skip, gate, extra ?? undefined, 'look up the name of');
      return;
    }
    if (method === 'lookupService') {
      this.reach.checkHost(holder, String(args[0]), portOf(args[1], null), skip, gate, extra ?? undefined, 'look up');
      return;
    }
    this.reach.checkHost(holder, String(args[0]), null, skip, gate, extra ?? undefined, 'look up');
  }

  // ---------------------------------------------------------------- facades

  /** The replacement for a granted export of a network module, for package `holder`; undefined when it needs none. */
  wrap(holder: string, module: string, path: string, value: unknown): unknown {
    if (typeof value !== 'function') {
      if (isObject(value) && (module === 'dns' && path === 'promises')) return this.namespace(holder, 'dns/promises', value);
      return undefined;
    }
    const fn = value as Fn;
    const guard = this;
    const reach = this.reach;
    const name = path.split('.').pop()!;
    if (module === 'dns' || module === 'dns/promises') {
      if (name === 'lookup' || name === 'lookupService' || name === 'reverse' || name === 'setServers' || DNS_QUERIES.includes(name)) {
        return named(function dns(this: unknown, ...args: unknown[]) {
          guard.checkDns(name, args, holder, dns, NONE, null);
          return fn.apply(this, args);
        }, fn);
      }
      return undefined;
    }
    if (module === 'net' && (name === 'connect' || name === 'createConnection')) {
      return named(function connect(this: unknown, ...args: unknown[]) {
        const checked = guard.checkSocketConnect(args, holder, connect, NONE, null);
        if (!checked) return reach.withOwners([holder], () => fn.apply(this, args));
        const { options, cb } = checked;
        if (options.fd !== undefined || options.handle !== undefined) guard.checkAdopt(holder, connect, NONE, options.fd);
        return reach.withOwners([holder], () => fn.apply(this, typeof cb === 'function' ? [options, cb] : [options]));
      }, fn);
    }
    if (module === 'net' && (name === 'Socket' || name === 'Stream')) {
      return gatedConstructor(fn, (args, self) => {
        const o = args[0];
        if (isObject(o) && (o.fd !== undefined || o.handle !== undefined)) guard.checkAdopt(holder, self, NONE, o.fd);
        return args;
      });
    }
    if (module === 'tls' && name === 'connect') {
      return named(function connect(this: unknown, ...args: unknown[]) {
        const normalized = guard.net._normalizeArgs(args);
        const options: Options = { ...(isObject(normalized[0]) ? normalized[0] : {}) };
        if (isObject(args[1]) && typeof args[1] !== 'function') Object.assign(options, args[1]);
        else if (isObject(args[2]) && typeof args[2] !== 'function') Object.assign(options, args[2]);
        let pass: Options = options;
        if (options.socket === undefined) {
          const owners = guard.checkOptions(options, holder, connect, NONE, null, 443);
          if (owners.length && typeof options.lookup === 'function' && !reach.warn) pass = { ...options, lookup: undefined };
        }
        const cb = normalized[1];
        return reach.withOwners([holder], () => fn.apply(this, typeof cb === 'function' ? [pass, cb] : [pass]));
      }, fn);
    }
    if ((module === 'http' || module === 'https') && (name === 'request' || name === 'get')) {
      const defaultPort = module === 'https' ? 443 : 80;
      return named(function request(this: unknown, ...args: unknown[]) {
        const owners = guard.checkRequestArgs(args, holder, request, NONE, defaultPort);
        const pass = owners.length && !reach.warn ? guard.withoutLookup(args) : args;
        const req = reach.withOwners([holder], () => fn.apply(this, pass));
        if (isObject(req) && owners.length) requestOwners.set(req, [...new Set([...(requestOwners.get(req) ?? []), ...owners])]);
        return req;
      }, fn);
    }
    if ((module === 'http' || module === 'https') && name === 'ClientRequest') {
      return gatedConstructor(fn, (args, self) => {
        guard.checkRequestArgs(args, holder, self, NONE, 80);
        return args;
      });
    }
    if (module === 'http2' && name === 'connect') {
      return named(function connect(this: unknown, ...args: unknown[]) {
        const authority = args[0];
        const url = typeof authority === 'string' || authority instanceof URL ? new URL(String(authority)) : null;
        const o: Options = isObject(authority) && !(authority instanceof URL) ? { ...authority } : {};
        const options = isObject(args[1]) && typeof args[1] !== 'function' ? args[1] : {};
        const host = (options.host as string | undefined) ?? url?.hostname ?? (o.hostname as string | undefined) ?? (o.host as string | undefined) ?? 'localhost';
        const port = portOf(options.port ?? url?.port ?? o.port, url?.protocol === 'http:' ? 80 : 443);
        reach.checkHost(holder, stripBrackets(String(host)), port, connect, NONE);
        return reach.withOwners([holder], () => fn.apply(this, args));
      }, fn);
    }
    if (module === 'dgram' && (name === 'createSocket' || name === 'Socket')) {
      if (name === 'Socket') return gatedConstructor(fn, (args, self) => guard.datagramOptions(args, holder, self, NONE));
      return named(function createSocket(this: unknown, ...args: unknown[]) {
        return fn.apply(this, guard.datagramOptions(args, holder, createSocket, NONE));
      }, fn);
    }
    return undefined;
  }

  private withoutLookup(args: unknown[]): unknown[] {
    return args.map((a, i) => (i < 2 && isObject(a) && !(a instanceof URL) && typeof a.lookup === 'function' ? { ...a, lookup: undefined } : a));
  }

  private namespace(holder: string, module: string, real: Options): unknown {
    const key = `${holder}\0${module}`;
    const hit = this.facades.get(key);
    if (hit) return hit;
    const out: Options = {};
    for (const k of Object.keys(real)) {
      const v = real[k];
      out[k] = this.wrap(holder, module, k, v) ?? v;
    }
    this.facades.set(key, Object.freeze(out));
    return out;
  }

  // ---------------------------------------------------------------- globals

  /** The package's `fetch`: the URL checked, redirects followed here so every hop is checked too. */
  fetchFor(holder: string, realFetch: Fn): Fn {
    const reach = this.reach;
    const urlOf = Object.getOwnPropertyDescriptor(Request.prototype, 'url')!.get!;
    const checkUrl = (url: URL, skip: Function, extra: readonly string[] | null) => {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
      reach.checkHost(holder, stripBrackets(url.hostname), portOf(url.port, url.protocol === 'https:' ? 443 : 80), skip, NONE, extra ?? undefined);
    };
    return named(async function fetch(input: unknown, init?: unknown) {
      const href = input instanceof Request ? (urlOf.call(input) as string) : String(input);
      const options: Options = isObject(init) ? { ...init } : {};
      const first = new URL(href);
      const owners = reach.owners('net', holder, fetch, null).owners;
      checkUrl(first, fetch, owners);
      if (owners.length && options.dispatcher !== undefined) {
        // A dispatcher decides itself where to connect; for a restricted package, Node's own does.
        delete options.dispatcher;
      }
      const mode = options.redirect ?? (input instanceof Request ? input.redirect : 'follow');
      if (mode !== 'follow' || !owners.length) return realFetch(input instanceof Request ? input : href, options);
      let response = (await realFetch(input instanceof Request ? input : href, { ...options, redirect: 'manual' })) as Response;
      let method = String(options.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      let body = options.body;
      let headers = new Headers((options.headers as ConstructorParameters<typeof Headers>[0]) ?? (input instanceof Request ? input.headers : undefined));
      let current = new URL(response.url || href);
      for (let hops = 0; [301, 302, 303, 307, 308].includes(response.status) && response.headers.has('location'); hops++) {
        if (hops >= 20) throw new TypeError('fetch failed', { cause: new Error('redirect count exceeded') });
        const next = new URL(response.headers.get('location')!, current);
        await response.body?.cancel().catch(() => {});
        checkUrl(next, fetch, owners);
        if (response.status === 303 ? method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST') {
          method = 'GET';
          body = undefined;
          for (const h of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(h);
        } else if (body instanceof ReadableStream || (input instanceof Request && input.body && body === undefined && method !== 'GET' && method !== 'HEAD')) {
          throw new TypeError('fetch failed', { cause: new Error('cannot follow a redirect with a streamed body') });
        }
        if (next.origin !== current.origin) {
          headers = new Headers(headers);
          for (const h of ['authorization', 'proxy-authorization', 'cookie', 'host']) headers.delete(h);
        }
        current = next;
        response = (await realFetch(next.href, { ...options, method, body, headers, redirect: 'manual' })) as Response;
      }
      return response;
    }, realFetch);
  }

  /** The package's WebSocket (or EventSource): the URL checked before the class connects. */
  socketClassFor(holder: string | null, Real: Function): Function {
    const reach = this.reach;
    return gatedConstructor(Real, (args, self) => {
      // Read once: what was checked is what connects (an object's toString could answer differently).
      const text = String(args[0]);
      const url = new URL(text.replace(/^ws(s?):/i, 'http$1:'));
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        reach.checkHost(holder, stripBrackets(url.hostname), portOf(url.port, url.protocol === 'https:' ? 443 : 80), self, holder === null ? NONE : null);
      }
      return [text, ...args.slice(1)];
    });
  }

  private readonly gatedClasses = new WeakSet<Function>();

  /** Gates a real WebSocket/EventSource class's constructor (which an instance leads back to), once. */
  gateGlobalClass(Real: Function): void {
    if (this.gatedClasses.has(Real)) return;
    this.gatedClasses.add(Real);
    gateConstructorOf(Real, this.socketClassFor(null, Real));
  }
}
