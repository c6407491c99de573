// Which fs functions take which paths and file descriptors, with the access each needs: what inference
// reads from a call and what the runtime checks, from one table.
import { constants as fsConstants } from 'node:fs';

/** One path argument: where it is, the access it needs, and whether its last component is followed if a link. */
export interface FsPathArg {
  i: number;
  access: 'read' | 'write' | 'flags';
  follow: boolean;
  /** A number there is a file descriptor. */
  fd?: boolean;
  /** symlink's target: resolved against the new link's folder (argument `of`). */
  targetOf?: number;
}

export interface FsCall {
  paths?: FsPathArg[];
  /** A file descriptor argument (fd functions). */
  fd?: { i: number; access: 'read' | 'write'; close?: boolean };
  /** open: record the descriptor it returns. */
  opens?: boolean;
}

const read = (follow = true): FsCall => ({ paths: [{ i: 0, access: 'read', follow }] });
const write = (follow = true): FsCall => ({ paths: [{ i: 0, access: 'write', follow }] });

/** fs functions by name (without Sync; the same for fs.promises): their path and descriptor arguments. */
export const FS_CALLS: Record<string, FsCall> = {
  access: read(), exists: read(), stat: read(), statfs: read(), opendir: read(), readdir: read(), realpath: read(),
  watch: read(), watchFile: read(), unwatchFile: read(), openAsBlob: read(),
  lstat: read(false), readlink: read(false),
  readFile: { paths: [{ i: 0, access: 'read', follow: true, fd: true }] },
  writeFile: { paths: [{ i: 0, access: 'write', follow: true, fd: true }] },
  appendFile: { paths: [{ i: 0, access: 'write', follow: true, fd: true }] },
  truncate: { paths: [{ i: 0, access: 'write', follow: true, fd: true }] },
  chmod: write(), chown: write(), utimes: write(), mkdir: write(),
  lchmod: write(false), lchown: write(false), lutimes: write(false), rm: write(false), rmdir: write(false), unlink: write(false),
  mkdtemp: write(false), mkdtempDisposable: write(false),
  open: { paths: [{ i: 0, access: 'flags', follow: true }], opens: true },
  rename: { paths: [{ i: 0, access: 'write', follow: false }, { i: 1, access: 'write', follow: false }] },
  copyFile: { paths: [{ i: 0, access: 'read', follow: true }, { i: 1, access: 'write', follow: true }] },
  cp: { paths: [{ i: 0, access: 'read', follow: true }, { i: 1, access: 'write', follow: true }] },
  // A hard link writes through to the file it links: both ends need write access.
  link: { paths: [{ i: 0, access: 'write', follow: false }, { i: 1, access: 'write', follow: false }] },
  // A symlink needs write where it is made and read where it points.
  symlink: { paths: [{ i: 1, access: 'write', follow: false }, { i: 0, access: 'read', follow: true, targetOf: 1 }] },
  close: { fd: { i: 0, access: 'read', close: true } },
  fstat: { fd: { i: 0, access: 'read' } }, read: { fd: { i: 0, access: 'read' } }, readv: { fd: { i: 0, access: 'read' } },
  write: { fd: { i: 0, access: 'write' } }, writev: { fd: { i: 0, access: 'write' } }, fsync: { fd: { i: 0, access: 'write' } },
  fdatasync: { fd: { i: 0, access: 'write' } }, ftruncate: { fd: { i: 0, access: 'write' } }, futimes: { fd: { i: 0, access: 'write' } },
  fchmod: { fd: { i: 0, access: 'write' } }, fchown: { fd: { i: 0, access: 'write' } },
};
// Exports that take no path: data, classes of results, internals of Node's own.
export const FS_PASS: ReadonlySet<string> = new Set(['Dir', 'Dirent', 'Stats', 'StatWatcher', 'FSWatcher', 'constants', 'F_OK', 'R_OK', 'W_OK', 'X_OK', '_toUnixTimestamp']);
export const FS_STREAMS: ReadonlySet<string> = new Set(['createReadStream', 'createWriteStream', 'ReadStream', 'WriteStream', 'FileReadStream', 'FileWriteStream']);

/** Whether open flags ask for more than reading. */
export function flagsAccess(flags: unknown): 'read' | 'write' {
  if (flags === undefined || flags === null || typeof flags === 'function') return 'read';
  if (typeof flags === 'number') {
    const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = fsConstants;
    return flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND) ? 'write' : 'read';
  }
  return /[wa+]/.test(String(flags)) ? 'write' : 'read';
}

