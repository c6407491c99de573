// Reads what npm recorded about installed packages (integrity, resolved URL) from package-lock.json,
// or from npm's hidden lockfile node_modules/.package-lock.json. Untrusted input: never throws.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NpmLockEntry {
  version?: string;
  integrity?: string;
  resolved?: string;
}

export function readNpmLockEntries(projectDir: string): Map<string, NpmLockEntry> {
  const out = new Map<string, NpmLockEntry>();
  for (const file of [join(projectDir, 'node_modules', '.package-lock.json'), join(projectDir, 'package-lock.json'), join(projectDir, 'npm-shrinkwrap.json')]) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const packages = (json as { packages?: unknown })?.packages;
    if (!packages || typeof packages !== 'object') continue;
    for (const [path, value] of Object.entries(packages as Record<string, unknown>)) {
      if (!path || !value || typeof value !== 'object') continue;
      const v = value as Record<string, unknown>;
      const entry: NpmLockEntry = {};
      if (typeof v.version === 'string') entry.version = v.version;
      if (typeof v.integrity === 'string') entry.integrity = v.integrity;
      if (typeof v.resolved === 'string') entry.resolved = v.resolved;
      out.set(path, { ...out.get(path), ...entry });
    }
  }
  return out;
}
