// Signed security notices as the registry serves them and `packsec status` reads them: the wire shape,
// the endpoints, and the exact message the registry's key signs (the same key as in /-/npm/v1/keys).
import type { Severity } from './advisory.js';

/** GET `${NOTICES_PATH}/<name>` answers `{ name, notices }`: every notice about the package. */
export const NOTICES_PATH = '/-/packsec/v1/notices';
/** POST `{ "<name>": ["<version>", …] }` answers `{ "<name>": [notice, …] }` for those versions; names without any are left out. */
export const BULK_NOTICES_PATH = '/-/packsec/v1/notices/bulk';

export interface SecurityNotice {
  id: string;
  packageName: string;
  version: string;
  severity: Severity;
  title: string;
  body: string;
  /** The maintainer who posted it. */
  author: string;
  createdAt: string;
  /** The registry key that signed it, and the base64 DER ECDSA (P-256, SHA-256) signature of noticeMessage(). */
  keyid: string;
  signature: string;
}

/** What is signed: a fixed prefix and the fields in a fixed order, as a JSON array (no key-order ambiguity). */
export function noticeMessage(n: Omit<SecurityNotice, 'keyid' | 'signature' | 'severity'> & { severity: string }): string {
  return `packsec-notice:v1:${JSON.stringify([n.id, n.packageName, n.version, n.severity, n.title, n.body, n.author, n.createdAt])}`;
}
