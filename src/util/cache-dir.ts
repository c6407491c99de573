// The user's cache folder for packsec: $PACKSEC_CACHE, else $XDG_CACHE_HOME/packsec, else ~/.cache/packsec.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PACKSEC_CACHE) return resolve(env.PACKSEC_CACHE);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'packsec');
  return join(homedir(), '.cache', 'packsec');
}
