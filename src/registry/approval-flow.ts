// npm's web-auth flow for `npm stage approve`: the registry answers 401 + `WWW-Authenticate: OTP` with an
// authUrl (the approval page) and a doneUrl that npm polls; once the request is approved, doneUrl hands
// npm a one-time token, and npm retries the approve call with it in `npm-otp`. Both the doneUrl ticket
// and that token are sealed here (HMAC with a key derived from the registry's signing key), so they
// need no storage, work on every gateway instance sharing the keys, and are bound to one request, one
// user and one tarball integrity.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { SigningKey } from './signing.js';

export interface StagedRef {
  /** The stage request id (npm's stage id). */
  id: string;
  name: string;
  version: string;
  /** The tarball's sha512 integrity: an approval is for these exact bytes. */
  integrity: string;
  /** The user who asked to approve (the caller of POST /-/stage/:id/approve). */
  user: string;
}

type Purpose = 'done' | 'otp';

interface Sealed extends StagedRef {
  purpose: Purpose;
  /** Expiry, ms since the epoch. */
  exp: number;
}

/** How long npm may poll one doneUrl, and how long the token it gets there stays usable. */
export const TICKET_TTL_MS = 24 * 60 * 60 * 1000;
export const TOKEN_TTL_MS = 10 * 60 * 1000;

/** A key for sealing, derived from (never equal to) the signing key. */
export function flowKey(signing: SigningKey): Buffer {
  const der = signing.privateKey.export({ type: 'pkcs8', format: 'der' });
  return Buffer.from(hkdfSync('sha256', der, Buffer.alloc(0), 'packsec registry web-auth v1', 32));
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function seal(key: Buffer, purpose: Purpose, ref: StagedRef, exp: number): string {
  const sealed: Sealed = { purpose, id: ref.id, name: ref.name, version: ref.version, integrity: ref.integrity, user: ref.user, exp };
  const payload = Buffer.from(JSON.stringify(sealed)).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

function unseal(key: Buffer, purpose: Purpose, text: string, now: number): StagedRef | null {
  const dot = text.indexOf('.');
  if (dot <= 0 || text.length > 4096) return null;
  const payload = text.slice(0, dot);
  const given = Buffer.from(text.slice(dot + 1), 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let sealed: Sealed;
  try {
    sealed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Sealed;
  } catch {
    return null;
  }
  if (sealed.purpose !== purpose || typeof sealed.exp !== 'number' || sealed.exp <= now) return null;
  const { id, name, version, integrity, user } = sealed;
  if (![id, name, version, integrity, user].every((s) => typeof s === 'string')) return null;
  return { id, name, version, integrity, user };
}

/** The secret part of a doneUrl. */
export function issueTicket(key: Buffer, ref: StagedRef, now: number): string {
  return seal(key, 'done', ref, now + TICKET_TTL_MS);
}

export function readTicket(key: Buffer, ticket: string, now: number): StagedRef | null {
  return unseal(key, 'done', ticket, now);
}

/** The token doneUrl answers once the request is approved; npm sends it back as `npm-otp`. */
export function issueToken(key: Buffer, ref: StagedRef, now: number): string {
  return seal(key, 'otp', ref, now + TOKEN_TTL_MS);
}

export function readToken(key: Buffer, token: string, now: number): StagedRef | null {
  return unseal(key, 'otp', token, now);
}

const DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPACT = /^[0-9a-f]{32}$/i;

/**
 * A stage id as URLs carry it: without dashes. npm redacts anything shaped like a UUID from the
 * messages it prints (@npmcli/redact), which would leave the user a link ending in "***".
 */
export function compactId(id: string): string {
  return id.replace(/-/g, '');
}

/** The stage id (dashed, as npm's `npm stage <cmd> <id>` wants it) from either spelling; '' if neither. */
export function stageIdOf(text: string): string {
  if (DASHED.test(text)) return text.toLowerCase();
  if (!COMPACT.test(text)) return '';
  const t = text.toLowerCase();
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
}

/** The approval page of a stage request. */
export function approvalPageUrl(publicUrl: string, id: string): string {
  return `${publicUrl}/-/approve/${compactId(id)}`;
}

/** authUrl on the approver UI (`webUrl`), doneUrl where npm talks to the registry. */
export function approvalUrls(publicUrl: string, key: Buffer, ref: StagedRef, now: number, webUrl = publicUrl): { authUrl: string; doneUrl: string } {
  return {
    authUrl: approvalPageUrl(webUrl, ref.id),
    doneUrl: `${publicUrl}/-/stage/${compactId(ref.id)}/done/${issueTicket(key, ref, now)}`,
  };
}
