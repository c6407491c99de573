// What `packsec registry token` and `registry advisory` do, on the data folder's store or, while a server
// holds the folder's embedded database (one process only), through that server's admin socket.
import { addAdvisory, type NewAdvisory } from './advisories.js';
import { AdminError, adminCall, type AdminHandler } from './admin.js';
import { createUserToken } from './auth.js';
import { RegistryError, REGISTRY_ERRORS, type RegistryErrorCode } from './errors.js';
import { storeKind } from './folder.js';
import { validateUserName } from './names.js';
import type { AdvisoryRecord } from './storage.js';
import { openStore, type RegistryStore } from './store.js';

export interface TokenRequest {
  user: string;
  email?: string;
  readonly?: boolean;
  /** A granular token: the packages and @scopes it may write. */
  packages?: string[];
  expiresInDays?: number;
}

export interface MadeToken {
  user: string;
  token: string;
  userCreated: boolean;
  readonly: boolean;
  packages?: string[];
  expiresAt?: string;
}

async function makeToken(store: RegistryStore, request: TokenRequest): Promise<MadeToken> {
  const { user, email, ...options } = request;
  const made = await createUserToken(store, user, { ...options, readonly: options.readonly === true, ...(email ? { email } : {}) });
  const { packages, expiresAt } = made.record;
  return { user, token: made.token, userCreated: made.created, readonly: made.record.readonly, ...(packages ? { packages } : {}), ...(expiresAt ? { expiresAt } : {}) };
}

async function listAdvisories(store: RegistryStore, only?: string): Promise<AdvisoryRecord[]> {
  return (await store.listAdvisories()).filter((a) => only === undefined || a.name === only);
}

function text(args: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = args[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw new RegistryError('BAD_REQUEST', `${name}: expected a string`);
  return v;
}

/** The server's side of these commands on its admin socket. */
export function operatorHandlers(store: RegistryStore): Record<string, AdminHandler> {
  return {
    token: (args) => {
      const email = text(args, 'email', false);
      // The packages and days are checked where every token is made (newToken).
      return makeToken(store, {
        user: text(args, 'user', true)!, readonly: args.readonly === true, ...(email ? { email } : {}),
        ...(args.packages !== undefined ? { packages: args.packages as string[] } : {}),
        ...(args.expiresInDays !== undefined ? { expiresInDays: Number(args.expiresInDays) } : {}),
      });
    },
    'advisory-add': async (args) => {
      const url = text(args, 'url', false);
      return addAdvisory(store, {
        name: text(args, 'name', true)!, range: text(args, 'range', true)!, severity: text(args, 'severity', true)!, title: text(args, 'title', true)!,
        ...(url !== undefined ? { url } : {}),
      });
    },
    'advisory-list': (args) => listAdvisories(store, text(args, 'package', false)),
  };
}

/** An answer from the admin socket as the error the store itself would have thrown. */
function fromAdmin(err: AdminError): Error {
  if (!(err.code in REGISTRY_ERRORS)) return new RegistryError('DATA_DIR', err.message);
  const code = err.code as RegistryErrorCode;
  const hint = REGISTRY_ERRORS[code].hint;
  return new RegistryError(code, hint && err.message.endsWith(` (${hint})`) ? err.message.slice(0, -hint.length - 3) : err.message);
}

/**
 * Runs `op` on the data folder: with the embedded database, through the server running on it if there
 * is one (it holds the database), else on the store opened here and closed afterwards.
 */
async function run<T>(dataDir: string, database: string, op: string, args: Record<string, unknown>, direct: (store: RegistryStore) => Promise<T>): Promise<T> {
  let unreachable: AdminError | null = null;
  if (storeKind(database) === 'embedded') {
    try {
      return await adminCall<T>(dataDir, op, args);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      if (err.code !== 'NOT_RUNNING' && err.code !== 'PATH_TOO_LONG') throw fromAdmin(err);
      unreachable = err.code === 'PATH_TOO_LONG' ? err : null;
    }
  }
  let store: RegistryStore;
  try {
    store = await openStore({ dataDir, database });
  } catch (err) {
    // A server holds the database, and its socket could not be made: say both.
    if (unreachable && err instanceof RegistryError) throw new RegistryError(err.code, `${err.message}; and ${unreachable.message}`);
    throw err;
  }
  try {
    return await direct(store);
  } finally {
    await store.close();
  }
}

/** Creates the user if needed and a new token for them (safe while the server runs). */
export async function registryToken(dataDir: string, database: string, request: TokenRequest): Promise<MadeToken> {
  validateUserName(request.user);
  return run(dataDir, database, 'token', { ...request }, (store) => makeToken(store, request));
}

/** Checks and stores an advisory (safe while the server runs; it serves it from the next request on). */
export function registryAdvisoryAdd(dataDir: string, database: string, advisory: NewAdvisory): Promise<AdvisoryRecord> {
  return run(dataDir, database, 'advisory-add', { ...advisory }, async (store) => addAdvisory(store, advisory));
}

export function registryAdvisoryList(dataDir: string, database: string, only?: string): Promise<AdvisoryRecord[]> {
  return run(dataDir, database, 'advisory-list', only === undefined ? {} : { package: only }, (store) => listAdvisories(store, only));
}
