// A per-package V8 stack-trace API (Error.prepareStackTrace, Error.captureStackTrace, stackTraceLimit)
// that works — depd, and so express, read their callers' file and line through it — but whose call
// sites cannot hand out other code's functions or receivers (getThis and getFunction give undefined).

interface CallSite {
  getThis(): unknown;
  getTypeName(): string | null;
  getFunction(): unknown;
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getFileName(): string | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getEvalOrigin(): string | undefined;
  isToplevel(): boolean;
  isEval(): boolean;
  isNative(): boolean;
  isConstructor(): boolean;
  isAsync?(): boolean;
  isPromiseAll?(): boolean;
  getPromiseIndex?(): number | null;
  getScriptNameOrSourceURL?(): string;
  toString(): string;
}

type Prepare = (error: Error, frames: CallSite[]) => unknown;

/** A frozen copy of what a call site tells, without the objects it could leak. */
function sanitize(site: CallSite): CallSite {
  const text = String(site);
  const info = {
    typeName: safe(() => site.getTypeName()),
    functionName: safe(() => site.getFunctionName()),
    methodName: safe(() => site.getMethodName()),
    fileName: safe(() => site.getFileName()),
    line: safe(() => site.getLineNumber()),
    column: safe(() => site.getColumnNumber()),
    evalOrigin: safe(() => site.getEvalOrigin()),
    toplevel: safe(() => site.isToplevel()),
    isEval: safe(() => site.isEval()),
    native: safe(() => site.isNative()),
    ctor: safe(() => site.isConstructor()),
    async: safe(() => site.isAsync?.()),
    promiseAll: safe(() => site.isPromiseAll?.()),
    promiseIndex: safe(() => site.getPromiseIndex?.()),
    scriptName: safe(() => site.getScriptNameOrSourceURL?.()),
  };
  return Object.freeze({
    getThis: () => undefined,
    getFunction: () => undefined,
    getTypeName: () => info.typeName ?? null,
    getFunctionName: () => info.functionName ?? null,
    getMethodName: () => info.methodName ?? null,
    getFileName: () => info.fileName ?? undefined,
    getLineNumber: () => info.line ?? null,
    getColumnNumber: () => info.column ?? null,
    getEvalOrigin: () => info.evalOrigin ?? undefined,
    isToplevel: () => info.toplevel === true,
    isEval: () => info.isEval === true,
    isNative: () => info.native === true,
    isConstructor: () => info.ctor === true,
    isAsync: () => info.async === true,
    isPromiseAll: () => info.promiseAll === true,
    getPromiseIndex: () => info.promiseIndex ?? null,
    getScriptNameOrSourceURL: () => info.scriptName ?? info.fileName ?? '',
    toString: () => text,
  }) as CallSite;
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * The `Error` a package sees: the compartment's shared Error for everything (so instanceof and
 * subclassing work), with its own prepareStackTrace and stackTraceLimit, and a captureStackTrace
 * that formats through them.
 */
export function packageError(shared: ErrorConstructor, initial: ErrorConstructor): ErrorConstructor {
  let prepare: Prepare | undefined;
  let limit: number | undefined;
  const realCapture = initial.captureStackTrace.bind(initial);
  const captureStackTrace = function captureStackTrace(target: object, ctor?: Function): void {
    const i = initial as unknown as { prepareStackTrace?: unknown; stackTraceLimit: number };
    const savedPrepare = i.prepareStackTrace;
    const savedLimit = i.stackTraceLimit;
    try {
      if (limit !== undefined) i.stackTraceLimit = limit;
      if (typeof prepare !== 'function') {
        realCapture(target, ctor ?? captureStackTrace);
        return;
      }
      const own = prepare;
      i.prepareStackTrace = (error: Error, frames: CallSite[]) => own(error, frames.map(sanitize));
      realCapture(target, ctor ?? captureStackTrace);
      // Format now, while this package's prepareStackTrace is the one in force.
      const stack = (target as { stack?: unknown }).stack;
      Object.defineProperty(target, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
    } finally {
      i.prepareStackTrace = savedPrepare;
      i.stackTraceLimit = savedLimit;
    }
  };
  // A function of the package's own (the shared Error is frozen, so a proxy could not change it):
  // it constructs shared Errors, and its prototype is Error.prototype, so instanceof and subclassing hold.
  const PackageError = function Error(this: unknown, ...args: unknown[]): object {
    const target: Function = new.target === undefined || new.target === PackageError ? shared : new.target;
    return Reflect.construct(shared, args, target) as object;
  } as unknown as ErrorConstructor;
  Object.defineProperty(PackageError, 'prototype', { value: shared.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(PackageError, 'captureStackTrace', { value: captureStackTrace, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(PackageError, 'prepareStackTrace', {
    get: () => prepare,
    set: (value: unknown) => { prepare = typeof value === 'function' ? (value as Prepare) : undefined; },
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(PackageError, 'stackTraceLimit', {
    get: () => limit ?? (initial as unknown as { stackTraceLimit: number }).stackTraceLimit,
    set: (value: unknown) => { limit = typeof value === 'number' ? value : undefined; },
    enumerable: false,
    configurable: true,
  });
  return PackageError;
}
