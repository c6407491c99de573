// npm tarballs: a small ustar writer (gzip from node:zlib) for seeding test packages, and a reader that
// checks what a publisher uploaded (bounded in size and entries) and lists its files.
import { gunzipSync, gzipSync } from 'node:zlib';
import { RegistryError } from './errors.js';

export interface TarEntry {
  /** The path inside the package, without npm's first folder ("package/"). */
  path: string;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'other';
  data?: Buffer;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(path: string, size: number, mtime: number, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long paths at a slash into a 155-byte prefix and a 100-byte name.
    const cuts = [...path.matchAll(/\//g)].map((m) => m.index)
      .filter((i) => Buffer.byteLength(path.slice(0, i)) <= 155 && Buffer.byteLength(path.slice(i + 1)) <= 100);
    const at = cuts[cuts.length - 1];
    if (at === undefined) throw new RegistryError('BAD_REQUEST', `file path too long for a tarball: ${path}`);
    prefix = path.slice(0, at);
    name = path.slice(at + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

/**
 * A gzipped tarball with every file under `package/`, sorted by path, as `npm pack` makes them.
 * The same files and mtime give the same bytes, so seeded integrity values are reproducible.
 */
export function createTarball(files: Record<string, string | Uint8Array>, options: { mtime?: Date } = {}): Buffer {
  // npm pack stamps every entry with this fixed date, for reproducible tarballs.
  const mtime = (options.mtime ?? new Date('1985-10-26T08:15:00.000Z')).getTime();
  const parts: Buffer[] = [];
  for (const path of Object.keys(files).sort()) {
    const clean = path.replace(/^\.?\//, '');
    if (!clean || clean.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new RegistryError('BAD_REQUEST', `invalid file path in a package: ${JSON.stringify(path)}`);
    }
    const content = files[path]!;
    const data = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    parts.push(header(`package/${clean}`, data.length, mtime, 0o644), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

function readString(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function readOctal(block: Buffer, start: number, length: number): number {
  const text = readString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new RegistryError('BAD_TARBALL', 'tarball: a header has a malformed number');
  return parseInt(text, 8);
}

function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    at += length;
  }
  return path;
}

export interface ReadLimits {
  /** Largest unpacked size in bytes (guards against gzip bombs). */
  maxUnpackedBytes: number;
  maxEntries: number;
  /** Keep the contents of files whose package path passes this test. */
  keep?: (path: string) => boolean;
}

/** The entries of a gzipped tarball, paths relative to the package root, with npm's first folder removed. */
export function readTarball(gz: Uint8Array, limits: ReadLimits): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: limits.maxUnpackedBytes });
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger|maxOutputLength/i.test((err as Error).message);
    throw new RegistryError(tooBig ? 'TOO_LARGE' : 'BAD_TARBALL', tooBig ? `tarball: unpacks to more than ${limits.maxUnpackedBytes} bytes` : 'tarball: not a gzip file');
  }
  const entries: TarEntry[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + BLOCK <= tar.length) {
    const block = tar.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) break;
    let stored = 0;
    for (let i = 0; i < BLOCK; i++) stored += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (stored !== readOctal(block, 148, 8)) throw new RegistryError('BAD_TARBALL', 'tarball: a header checksum does not match');
    const size = readOctal(block, 124, 12);
    const flag = String.fromCharCode(block[156]!);
    const dataStart = at + BLOCK;
    if (dataStart + size > tar.length) throw new RegistryError('BAD_TARBALL', 'tarball: truncated');
    const data = tar.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'L') {
      longName = flag === 'x' ? paxPath(data) : readString(data, 0, data.length);
      continue;
    }
    if (flag === 'g') continue;
    const prefix = readString(block, 345, 155);
    const raw = longName ?? (prefix ? `${prefix}/${readString(block, 0, 100)}` : readString(block, 0, 100));
    longName = undefined;
    // npm drops the first path component, whatever it is called.
    const path = raw.replace(/^\.?\/*[^/]*\/?/, '');
    const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : 'other';
    if (path) entries.push({ path, size, type, ...(type === 'file' && limits.keep?.(path) ? { data: Buffer.from(data) } : {}) });
    if (entries.length > limits.maxEntries) throw new RegistryError('TOO_LARGE', `tarball: more than ${limits.maxEntries} entries`);
  }
  return entries;
}
