// Owners' actions as the browser sends them: checked field by field (untrusted JSON), and reduced to
// the digest their WebAuthn challenge is bound to, so one confirmation serves exactly one action.
import { actionDigest } from '../webauthn.js';
import { WebError } from './errors.js';
import type { ManageAction } from './services.js';

const KINDS = ['create-group', 'set-required', 'invite', 'remove-member', 'post-notice'] as const;

function text(action: Record<string, unknown>, field: string, max: number): string {
  const value = action[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new WebError('BAD_REQUEST', `action.${field}: expected a string of 1 to ${max} characters`);
  }
  return value;
}

/** A whole number from a number or a form field's text. */
function count(action: Record<string, unknown>, field: string): number {
  const value = action[field];
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,4}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n)) throw new WebError('BAD_REQUEST', `action.${field}: expected a whole number`);
  return n;
}

function flag(action: Record<string, unknown>, field: string): boolean {
  const value = action[field];
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new WebError('BAD_REQUEST', `action.${field}: expected true or false`);
}

export function parseAction(value: unknown): ManageAction {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WebError('BAD_REQUEST', 'action: expected an object');
  const a = value as Record<string, unknown>;
  const kind = KINDS.find((k) => k === a.kind);
  switch (kind) {
    case 'create-group':
      return { kind, scope: text(a, 'scope', 214), name: text(a, 'name', 64), required: count(a, 'required') };
    case 'set-required':
      return { kind, groupId: text(a, 'groupId', 64), required: count(a, 'required') };
    case 'invite':
      return { kind, groupId: text(a, 'groupId', 64) };
    case 'remove-member':
      return { kind, groupId: text(a, 'groupId', 64), user: text(a, 'user', 64), belowRequired: flag(a, 'belowRequired') };
    case 'post-notice':
      // The body may be empty; the title and the rest are checked by the notices service.
      return { kind, version: text(a, 'version', 256), severity: text(a, 'severity', 20), title: text(a, 'title', 200), body: typeof a.body === 'string' ? a.body : '' };
    default:
      throw new WebError('BAD_REQUEST', `action.kind: expected one of ${KINDS.join(', ')}`);
  }
}

/** What the challenge is bound to: the package and every field of the action, in a fixed order. */
export function manageDigest(packageName: string, a: ManageAction): string {
  switch (a.kind) {
    case 'create-group':
      return actionDigest([packageName, a.kind, a.scope, a.name, a.required]);
    case 'set-required':
      return actionDigest([packageName, a.kind, a.groupId, a.required]);
    case 'invite':
      return actionDigest([packageName, a.kind, a.groupId]);
    case 'remove-member':
      return actionDigest([packageName, a.kind, a.groupId, a.user, a.belowRequired]);
    case 'post-notice':
      return actionDigest([packageName, a.kind, a.version, a.severity, a.title, a.body]);
  }
}
