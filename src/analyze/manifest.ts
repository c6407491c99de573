// Reads an installed package's package.json defensively: hostile or odd manifests yield problems, never throws.
import { checkEntry, type PackagePolicy, type Problem } from '../policy/index.js';
import { formatPath } from '../util/jsonpath.js';

export interface Manifest {
  name: string | null;
  version: string;
  type: 'module' | 'commonjs';
  main: string | null;
  exports: unknown;
  /** The "imports" map (#specifiers), unvalidated like exports. */
  imports: unknown;
  bin: string[];
  scripts: Record<string, string>;
  dependencies: string[];
  gypfile: boolean | null;
  /** The package's own capability declaration (its "packsec" field), when valid. */
  declaration: PackagePolicy | null;
  problems: string[];
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readManifest(bytes: Buffer | null): Manifest {
  const m: Manifest = {
    name: null, version: '0.0.0', type: 'commonjs', main: null, exports: undefined, imports: undefined, bin: [], scripts: {},
    dependencies: [], gypfile: null, declaration: null, problems: [],
  };
  if (!bytes) {
    m.problems.push('no package.json');
    return m;
  }
  if (bytes.length > MAX_MANIFEST_BYTES) {
    m.problems.push(`package.json is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES} limit`);
    return m;
  }
  let json: unknown;
  try {
    const text = bytes.toString('utf8');
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    m.problems.push(`package.json is not valid JSON: ${(err as Error).message}`);
    return m;
  }
  if (!isRecord(json)) {
    m.problems.push('package.json is not an object');
    return m;
  }
  if (typeof json.name === 'string') m.name = json.name;
  else if (json.name !== undefined) m.problems.push('package.json: name: expected a string');
  if (typeof json.version === 'string') m.version = json.version;
  if (json.type === 'module') m.type = 'module';
  if (typeof json.main === 'string') m.main = json.main;
  m.exports = json.exports;
  m.imports = json.imports;
  if (typeof json.bin === 'string') m.bin = [json.bin];
  else if (isRecord(json.bin)) m.bin = Object.values(json.bin).filter((v): v is string => typeof v === 'string');
  if (isRecord(json.scripts)) {
    for (const [k, v] of Object.entries(json.scripts)) if (typeof v === 'string') m.scripts[k] = v;
  }
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = json[field];
    if (isRecord(deps)) m.dependencies.push(...Object.keys(deps));
  }
  if (typeof json.gypfile === 'boolean') m.gypfile = json.gypfile;
  if (json.packsec !== undefined) {
    const problems: Problem[] = [];
    const entry = checkEntry(json.packsec, ['packsec'], problems);
    // Running uncontained is the project's decision, never one a package can make for itself.
    if (entry?.trust !== undefined) problems.push({ path: ['packsec', 'trust'], message: 'a package cannot declare its own trust; grant it in packsec.policy.json' });
    if (problems.length) m.problems.push(...problems.map((p) => `package.json: ${formatPath(p.path)}: ${p.message}`));
    else if (entry) m.declaration = entry;
  }
  return m;
}

/** npm's lifecycle scripts that run at install, including the implicit `node-gyp rebuild`. */
export function installScripts(m: Manifest, hasBindingGyp: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['preinstall', 'install', 'postinstall']) if (m.scripts[k] !== undefined) out[k] = m.scripts[k]!;
  if (hasBindingGyp && m.gypfile !== false && out.install === undefined && out.preinstall === undefined) out.install = 'node-gyp rebuild';
  return out;
}

/** A comparable form of a set of lifecycle scripts (key order does not matter). */
export function scriptsKey(scripts: Record<string, string>): string {
  return JSON.stringify(Object.keys(scripts).sort().map((k) => [k, scripts[k]]));
}
