// Node 22.1+ can keep V8's compiled code of the modules it loads on disk (module.enableCompileCache).
// packsec's own modules (the CLI, and for `packsec run` the runtime) are compiled at every start
// otherwise. Node checks each cached entry against the hash of the source it is for. Called by the
// commands' entry points before they import anything else; a user's NODE_COMPILE_CACHE (or
// NODE_DISABLE_COMPILE_CACHE) wins, as does a Node without the API (20).
import nodeModule from 'node:module';
import { join } from 'node:path';
import { userCacheDir } from '../util/cache-dir.js';

export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof enable !== 'function' || env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return;
  try {
    enable(join(userCacheDir(env), 'compile'));
  } catch {
    // A cache folder that cannot be made only costs the compile.
  }
}
