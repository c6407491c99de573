// Node 20's util.inspect names an object by the first *data* property `constructor` on its prototype
// chain. SES's override taming turns Error.prototype.constructor into an accessor (so that old code can
// still assign `Sub.prototype.constructor`), and Node 20 then prints every error as `{}`: an uncaught
// exception that ends the app, and every `console.log(err)`. Later Node versions check for errors
// first. Where inspect is found to do this (after lockdown), errors are shown through a stand-in that
// carries the constructor as its own data property; the error itself is left untouched while the app
// lives.
import { inspect, types } from 'node:util';

const LOG_METHODS = ['log', 'error', 'warn', 'info', 'debug', 'trace', 'dir'] as const;
const MAX_DEPTH = 8;

/** Whether util.inspect shows an error as something other than an error (Node 20 after lockdown). */
export function inspectHidesErrors(): boolean {
  return !inspect(new Error('x')).includes('Error: x');
}

/**
 * What util.inspect shows as the error itself: an object that inherits from it (its stack, message and
 * name) with its own `constructor`, its own enumerable properties, and the same for its `cause` and an
 * AggregateError's `errors`.
 */
export function displayable(value: unknown, depth = 0, seen = new Map<object, object>()): unknown {
  if (!types.isNativeError(value) || depth > MAX_DEPTH) return value;
  const known = seen.get(value);
  if (known) return known;
  const error = value as Error & { cause?: unknown; errors?: unknown };
  const shown = Object.create(error) as Record<string, unknown>;
  seen.set(error, shown);
  let ctor: unknown;
  try {
    ctor = error.constructor;
  } catch { /* an accessor that throws: shown without */ }
  if (typeof ctor === 'function') Object.defineProperty(shown, 'constructor', { value: ctor, enumerable: false });
  for (const key of Object.keys(error)) {
    try {
      shown[key] = displayable((error as unknown as Record<string, unknown>)[key], depth + 1, seen);
    } catch { /* a getter that throws: left out */ }
  }
  for (const key of ['cause', 'errors'] as const) {
    if (!Object.hasOwn(error, key) || Object.keys(error).includes(key)) continue;
    const inner = error[key];
    const value = Array.isArray(inner) ? inner.map((e) => displayable(e, depth + 1, seen)) : displayable(inner, depth + 1, seen);
    Object.defineProperty(shown, key, { value, enumerable: false });
  }
  return shown;
}

/**
 * Makes errors readable where Node 20 would print `{}`: the console's logging methods show errors
 * through stand-ins, and an uncaught exception that ends the process is printed with its stack.
 * Call after lockdown and before the console is handed to packages.
 */
export function fixErrorDisplay(console: Console, process: NodeJS.Process, write: (text: string) => void): void {
  if (!inspectHidesErrors()) return;
  const methods = console as unknown as Record<string, unknown>;
  for (const name of LOG_METHODS) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      return (original as (...a: unknown[]) => unknown).apply(this, args.map((a) => displayable(a)));
    };
  }
  // Runs before Node's own report. With no handler the process ends and Node prints inspect(error),
  // which would be `{}`: the error gets its constructor as its own property (nothing of the app runs
  // after this); a frozen one is printed here instead.
  process.on('uncaughtExceptionMonitor', (err) => {
    if (process.listenerCount('uncaughtException') > 0 || !types.isNativeError(err)) return;
    const shown = displayable(err) as object;
    if (Object.isExtensible(err)) {
      try {
        // What the stand-in adds (the constructor, and stand-ins for the cause and inner errors), on the error itself.
        for (const key of ['constructor', 'cause', 'errors']) {
          const own = Object.getOwnPropertyDescriptor(shown, key);
          if (own) Object.defineProperty(err, key, { ...own, configurable: true });
        }
        return;
      } catch { /* printed below */ }
    }
    write(`${inspect(shown)}\n`);
  });
}
