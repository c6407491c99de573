// Tarballs and attestation files on disk, in packages/<name>/ of the data folder, for every store:
// written atomically, checked against their integrity when one is given, on write and on read.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { RegistryError } from './errors.js';
import { validatePackageName } from './names.js';

export function sriOf(data: Uint8Array | string): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

export class PackageFiles {
  /** The data folder's packages/ folder. */
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(resolve(dataDir), 'packages');
  }

  /** packages/<name>/ ("@scope/name" is two folders, as in node_modules). */
  dir(name: string): string {
    validatePackageName(name);
    const dir = resolve(this.root, ...name.split('/'));
    // The name rules already exclude traversal; this is the second lock on the door.
    if (!dir.startsWith(this.root + sep)) throw new RegistryError('BAD_NAME', `invalid package name ${JSON.stringify(name)}`);
    return dir;
  }

  private path(name: string, file: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(file) || file === 'record.json') {
      throw new RegistryError('BAD_NAME', `invalid file name ${JSON.stringify(file.slice(0, 100))}`);
    }
    return join(this.dir(name), file);
  }

  /** Writes a file whole or not at all; with `integrity`, refuses data that does not match and reads the file back to check. */
  write(name: string, file: string, data: Uint8Array | string, integrity?: string): void {
    if (integrity !== undefined && sriOf(data) !== integrity) {
      throw new RegistryError('INTEGRITY', `${file} of ${name}: the data does not match ${integrity}`);
    }
    mkdirSync(this.dir(name), { recursive: true });
    const path = this.path(name, file);
    writeFileAtomic(path, data);
    if (integrity !== undefined && sriOf(readFileSync(path)) !== integrity) {
      throw new RegistryError('DATA_CORRUPT', `${file} of ${name} did not read back as written`);
    }
  }

  /** The file, or null when it is not there; with `integrity`, a file that does not match is an error, never served. */
  async read(name: string, file: string, integrity?: string): Promise<Buffer | null> {
    let data: Buffer;
    try {
      data = await readFile(this.path(name, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (integrity !== undefined && sriOf(data) !== integrity) {
      throw new RegistryError('DATA_CORRUPT', `the stored ${file} of ${name} does not match its integrity`);
    }
    return data;
  }

  /** Deletes a file; false when it was not there. */
  delete(name: string, file: string): boolean {
    return removeIfPresent(this.path(name, file));
  }
}

/** Deletes a file; false when it was not there. */
export function removeIfPresent(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
