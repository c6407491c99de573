// The community declarations shipped with packsec (declarations/*.json): capabilities analysis cannot
// see for well-known packages, such as the config files a tool loads from the project.
import { readdirSync, readFileSync } from 'node:fs';
import { checkEntry, type PackagePolicy, type Problem } from '../policy/index.js';

export interface CommunityDeclaration {
  package: string;
  why: string;
  add: PackagePolicy;
  file: string;
}

const DIR = new URL('../../../declarations/', import.meta.url);
let loaded: Map<string, CommunityDeclaration> | null = null;

/** Every shipped declaration, by package name. Invalid files are skipped (tests check they all parse). */
export function communityDeclarations(): Map<string, CommunityDeclaration> {
  if (loaded) return loaded;
  loaded = new Map();
  let names: string[] = [];
  try {
    names = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return loaded;
  }
  for (const file of names) {
    try {
      const json = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as { package?: unknown; why?: unknown; add?: unknown };
      const problems: Problem[] = [];
      const add = checkEntry(json.add, ['add'], problems);
      if (typeof json.package !== 'string' || typeof json.why !== 'string' || !add || problems.length || add.trust) continue;
      loaded.set(json.package, { package: json.package, why: json.why, add, file: `declarations/${file}` });
    } catch {
      // A broken shipped file is a packsec bug, caught by its tests; at run time it is skipped.
    }
  }
  return loaded;
}
