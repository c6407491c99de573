// Signed maintainer notices in `packsec status`: reading the registry's answer without trusting it, and
// checking each notice's signature against the registry's keys (/-/npm/v1/keys). Only a notice whose
// signature verifies is shown as the maintainers'; any other is reported as not verifying, never as signed.
import { cleanText, own } from '../install/packument.js';
import { isSeverity, type Severity } from '../util/advisory.js';
import { noticeMessage, type SecurityNotice } from '../util/notice.js';
import { signatureMatches, type RegistryKey } from '../verify/signatures.js';
import { failsAt, readBulkLists, type AuditLevel, type BulkLists } from './advisories.js';

/**
 * A notice whose signature verified: what the package's maintainers said about the installed version.
 * Its text is cleaned for a terminal (control characters dropped; the body keeps its line breaks).
 */
export type VerifiedNotice = Omit<SecurityNotice, 'packageName' | 'version' | 'signature'> & { fails: boolean };

/** A notice that does not verify: what it claims is kept apart, and it fails like an unknown severity. */
export interface UnverifiedNotice {
  id: string;
  reason: string;
  claimedSeverity: string;
  claimedTitle: string;
  fails: boolean;
}

/** A notice as received: every field a string, nothing verified yet. */
type RawNotice = Omit<SecurityNotice, 'severity'> & { severity: string };

/** The notices by package name, as sent, and how many entries were not notices. */
export type NoticeAnswer = BulkLists<RawNotice>;

const FIELDS = ['id', 'packageName', 'version', 'severity', 'title', 'body', 'author', 'createdAt', 'keyid', 'signature'] as const;

function readNotice(v: unknown): RawNotice | undefined {
  const out: Partial<Record<(typeof FIELDS)[number], string>> = {};
  for (const f of FIELDS) {
    const value = own(v, f);
    if (typeof value !== 'string' || value.length > 20_000) return undefined;
    out[f] = value;
  }
  return out as RawNotice;
}

/** The bulk answer `{ "<name>": [notice, …] }`; undefined when it is not an object at all. */
export function readNoticeAnswer(answer: unknown): NoticeAnswer | undefined {
  return readBulkLists(answer, readNotice);
}

/** Why a notice does not verify with these keys, or null when it does. */
function whyNot(n: RawNotice, keys: RegistryKey[] | { error: string }): string | null {
  if (!Array.isArray(keys)) return `the registry's keys could not be read (${keys.error})`;
  const key = keys.find((k) => k.keyid === n.keyid);
  if (!key) return `it is signed with ${JSON.stringify(cleanText(n.keyid, 80))}, which is not among the registry's keys`;
  if (!key.publicKey) return `key ${key.keyid} is ${key.keytype}/${key.scheme}, which packsec cannot check`;
  const created = Date.parse(n.createdAt);
  if (Number.isNaN(created)) return 'its date cannot be read';
  if (key.expires && created >= key.expires.getTime()) return `key ${key.keyid} expired ${key.expires.toISOString()}, before the notice's date`;
  const matches = signatureMatches(key.publicKey, noticeMessage(n), n.signature);
  if (matches === 'malformed') return 'its signature is not base64';
  return matches === 'ok' ? null : `its signature does not match its text (key ${key.keyid}): it was changed after signing, or not signed by this registry`;
}

/** Line breaks kept, everything else a terminal would act on dropped; at most a few thousand characters. */
function cleanBody(body: string): string {
  const lines = body.split(/\r?\n/).map((l) => cleanText(l, 2000));
  const text = lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return text.length > 4000 ? `${text.slice(0, 3999)}…` : text;
}

/**
 * The notices about exactly `name@version` (others in the answer are ignored: the signed fields must name
 * the installed version), each verified against the registry's keys.
 */
export function checkNotices(raw: RawNotice[], name: string, version: string, keys: RegistryKey[] | { error: string }, level: AuditLevel): { verified: VerifiedNotice[]; unverified: UnverifiedNotice[] } {
  const verified: VerifiedNotice[] = [];
  const unverified: UnverifiedNotice[] = [];
  for (const n of raw) {
    if (n.packageName !== name || n.version !== version) continue;
    const reason = whyNot(n, keys) ?? (isSeverity(n.severity) ? null : `its severity ${JSON.stringify(cleanText(n.severity, 20))} is not one of npm's`);
    if (reason !== null || !isSeverity(n.severity)) {
      unverified.push({ id: cleanText(n.id, 60), reason: reason ?? 'unknown severity', claimedSeverity: cleanText(n.severity, 20), claimedTitle: cleanText(n.title), fails: failsAt('unknown', level) });
      continue;
    }
    verified.push({
      id: cleanText(n.id, 60), severity: n.severity, title: cleanText(n.title), body: cleanBody(n.body), author: cleanText(n.author, 64),
      createdAt: cleanText(n.createdAt, 40), keyid: n.keyid, fails: failsAt(n.severity, level),
    });
  }
  return { verified, unverified };
}
