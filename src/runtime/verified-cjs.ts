// Starts verified loading in this thread (the preamble imports this module only when it is on), and
// hooks it where Node's CommonJS loader reads a file without Module.prototype._compile: JSON (parsed
// here from the bytes that were hashed), native addons (hashed right before dlopen, which reads the file
// again: a writer racing that moment is not seen), and resolution, whose result must stay in the
// package folder the request names.
import { readFileSync } from 'node:fs';
import { nodePowers } from '../analyze/powers.js';
import { Integrity } from './integrity.js';
import { Module, type NodeModule } from './cjs.js';
import type { Violation } from './denial.js';
import { LockView } from './lock-view.js';
import { packageOfPath } from './packages.js';

type ResolveFilename = (request: string, parent: NodeModule | null | undefined, isMain?: boolean, options?: { paths?: unknown }) => string;

/** `projectDir` is a real path; `deny` throws unless in warn mode. */
export function startVerifiedLoading(projectDir: string, deny: (v: Omit<Violation, 'count'>) => void): Integrity {
  const integrity = new Integrity(new LockView(projectDir, nodePowers), nodePowers, deny);
  installVerifiedLoading(integrity, process);
  return integrity;
}

function installVerifiedLoading(integrity: Integrity, process: NodeJS.Process): void {
  const json = Module._extensions['.json']!;
  Module._extensions['.json'] = function (module, filename) {
    if (!packageOfPath(filename)) return json.call(this, module, filename);
    const bytes = readFileSync(filename);
    integrity.verifySource(filename, bytes);
    const text = bytes.toString('utf8');
    try {
      module.exports = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      (err as Error).message = `${filename}: ${(err as Error).message}`;
      throw err;
    }
  };

  // Module._extensions['.node'] calls process.dlopen, and so does a package granted it by name.
  const dlopen = process.dlopen;
  process.dlopen = function (this: unknown, module: object, filename: string, ...rest: unknown[]) {
    if (typeof filename === 'string') integrity.verifyFile(filename);
    return (dlopen as (...a: unknown[]) => void).call(this, module, filename, ...rest);
  } as typeof process.dlopen;

  const statics = Module as unknown as { _resolveFilename: ResolveFilename };
  const resolveFilename = statics._resolveFilename;
  statics._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    const resolved = resolveFilename.call(this, request, parent, isMain, options);
    // With explicit lookup paths it only resolves (require.resolve): the load that may follow is checked.
    if (typeof request === 'string' && !options?.paths) integrity.checkResolved(request, parent?.filename ?? null, resolved);
    return resolved;
  };
}
