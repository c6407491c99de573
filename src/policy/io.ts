// Reading and writing packsec.policy.json: canonical key order (readable diffs) and atomic writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { PolicyError } from './error.js';
import { normalizeEntry, POLICY_FILE, type PackagePolicy, type Policy } from './model.js';
import { validatePolicy } from './schema.js';

const FIELD_ORDER: (keyof PackagePolicy)[] = ['trust', 'builtins', 'globals', 'packages', 'files', 'net', 'fs', 'native', 'scripts'];

/** The policy as the file stores it: stable order, one capability per line, no timestamps. */
export function serializePolicy(policy: Policy): string {
  const packages: Record<string, PackagePolicy> = {};
  for (const name of Object.keys(policy.packages).sort()) {
    const entry = normalizeEntry(policy.packages[name] ?? {});
    const ordered: Record<string, unknown> = {};
    for (const f of FIELD_ORDER) if (entry[f] !== undefined) ordered[f] = f === 'fs' ? orderedFs(entry.fs!) : entry[f];
    packages[name] = ordered as PackagePolicy;
  }
  return JSON.stringify({ version: policy.version, packages }, null, 2) + '\n';
}

function orderedFs(fs: NonNullable<PackagePolicy['fs']>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (fs.read) out.read = fs.read;
  if (fs.write) out.write = fs.write;
  return out;
}

/** Parses JSON text, turning a syntax error into one that names the file, line and column. */
export function parseJsonFile(text: string, file: string, code: 'POLICY_PARSE' | 'LOCK_PARSE'): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
    } else {
      const lc = /line (\d+) column (\d+)/.exec(msg);
      if (lc) where = ` at line ${lc[1]}, column ${lc[2]}`;
    }
    throw new PolicyError(code, `${file}: not valid JSON${where}: ${msg.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)/, '')}`, file);
  }
}

export function policyPath(projectDir: string): string {
  return join(projectDir, POLICY_FILE);
}

/** Reads and validates the project's policy; null when there is none yet. */
export function readPolicy(projectDir: string): Policy | null {
  const file = policyPath(projectDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PolicyError('POLICY_PARSE', `${POLICY_FILE}: cannot read: ${(err as Error).message}`, file);
  }
  return validatePolicy(parseJsonFile(text, POLICY_FILE, 'POLICY_PARSE'), POLICY_FILE);
}

export function requirePolicy(projectDir: string): Policy {
  const policy = readPolicy(projectDir);
  if (!policy) throw new PolicyError('POLICY_NOT_FOUND', `no ${POLICY_FILE} in ${projectDir}`, policyPath(projectDir));
  return policy;
}

export function writePolicy(projectDir: string, policy: Policy): void {
  try {
    writeFileAtomic(policyPath(projectDir), serializePolicy(policy));
  } catch (err) {
    throw new PolicyError('POLICY_WRITE', `cannot write ${POLICY_FILE}: ${(err as Error).message}`, policyPath(projectDir));
  }
}
