// Web Push for approvers (with web-push for VAPID and aes128gcm): the gateway's VAPID keys in the data
// folder, approvers' subscriptions, and a notification to every approver's devices for each new request.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import { createFileAtomic } from '../util/atomic.js';

export interface VapidKeys {
  /** base64url of the uncompressed P-256 point (65 bytes), the browser's applicationServerKey. */
  publicKey: string;
  /** base64url of the 32-byte private scalar. */
  privateKey: string;
}

export const VAPID_KEY_FILE = join('keys', 'vapid.json');

function isKey(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes;
}

/**
 * The data folder's VAPID key pair, made on first start (mode 0600). Creation is exclusive, so two
 * gateways starting on one folder agree on one pair, and subscriptions made with it keep working.
 */
export function loadOrCreateVapidKeys(dataDir: string): VapidKeys {
  const file = join(dataDir, VAPID_KEY_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      let keys: Partial<VapidKeys> = {};
      try {
        keys = JSON.parse(text) as Partial<VapidKeys>;
      } catch { /* reported below */ }
      if (!isKey(keys.publicKey, 65) || !isKey(keys.privateKey, 32)) throw new Error(`${file}: expected { publicKey, privateKey } in base64url`);
      return { publicKey: keys.publicKey, privateKey: keys.privateKey };
    }
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    const { publicKey, privateKey } = webpush.generateVAPIDKeys();
    // Lost the race to another process: read the pair it wrote.
    if (createFileAtomic(file, `${JSON.stringify({ publicKey, privateKey }, null, 2)}\n`, 0o600)) return { publicKey, privateKey };
  }
  throw new Error(`${file}: cannot create the VAPID keys`);
}

export interface PushSubscriptionRecord {
  userId: string;
  /** The push service URL; a capability, so never logged whole. */
  endpoint: string;
  /** base64url of the browser's P-256 public key (65 bytes). */
  p256dh: string;
  /** base64url of the 16-byte authentication secret. */
  auth: string;
  createdAt: string;
}

/** Approvers' subscriptions. The database store implements it. */
export interface SubscriptionStore {
  /** Adds the subscription, or replaces the one with the same endpoint. */
  put(subscription: PushSubscriptionRecord): Promise<void>;
  listByUsers(userIds: string[]): Promise<PushSubscriptionRecord[]>;
  remove(endpoint: string): Promise<void>;
}

/** Push services of the mainstream browsers; anything else would let an approver aim the gateway at any URL. */
const PUSH_SERVICES = ['fcm.googleapis.com', 'android.googleapis.com', 'push.services.mozilla.com', 'notify.windows.com', 'push.apple.com'];

export function isKnownPushService(url: URL): boolean {
  return url.protocol === 'https:' && !url.port && PUSH_SERVICES.some((host) => url.hostname === host || url.hostname.endsWith(`.${host}`));
}

/** A PushSubscription's JSON as the browser gives it, checked: the endpoint must pass `allowEndpoint`. */
export function parseSubscription(value: unknown, allowEndpoint: (url: URL) => boolean = isKnownPushService): Pick<PushSubscriptionRecord, 'endpoint' | 'p256dh' | 'auth'> {
  const v = value as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } } | null;
  if (typeof v?.endpoint !== 'string' || v.endpoint.length > 2048) throw new Error('subscription.endpoint: expected a URL');
  let url: URL;
  try {
    url = new URL(v.endpoint);
  } catch {
    throw new Error('subscription.endpoint: expected a URL');
  }
  if (url.username || url.password || !allowEndpoint(url)) throw new Error(`subscription.endpoint: ${url.origin} is not an accepted push service`);
  if (!isKey(v.keys?.p256dh, 65)) throw new Error('subscription.keys.p256dh: expected a base64url P-256 public key');
  if (!isKey(v.keys?.auth, 16)) throw new Error('subscription.keys.auth: expected a base64url 16-byte secret');
  return { endpoint: v.endpoint, p256dh: v.keys.p256dh, auth: v.keys.auth };
}

export interface PushOptions {
  keys: VapidKeys;
  /** Who runs the gateway, for push services: a mailto: or https: URL. */
  subject: string;
  subscriptions: SubscriptionStore;
  /** The gateway's public URL; notifications link to its request pages. */
  publicUrl: string;
  fetch?: typeof fetch;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Per push request. Default 10 s. */
  timeoutMs?: number;
  /** How long a push service keeps an undelivered message. Default one day. */
  ttlSeconds?: number;
}

export interface NewRequestNotice {
  id: string;
  packageName: string;
  version: string;
}

export interface PushReport {
  sent: number;
  /** Subscriptions the push service no longer knows (404, 410), removed from the store. */
  removed: number;
  /** The push service's origin (endpoints are secrets) and why. */
  failed: { service: string; reason: string }[];
}

/** What the service worker shows; the link is always a page of this gateway. */
export function requestPayload(publicUrl: string, request: NewRequestNotice): string {
  const url = new URL(`-/approve/${encodeURIComponent(request.id)}`, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).href;
  return JSON.stringify({
    title: `${request.packageName}@${request.version} waits for approval`,
    body: 'Review the files and capabilities, then approve or reject.',
    url,
    requestId: request.id,
    package: request.packageName,
    version: request.version,
  });
}

export class PushNotifier {
  readonly #o: PushOptions;
  readonly #fetch: typeof fetch;

  constructor(options: PushOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Notifies every subscription of the approvers; never throws for one push service's failure. */
  async notifyRequest(request: NewRequestNotice, approverIds: string[]): Promise<PushReport> {
    const all = await this.#o.subscriptions.listByUsers([...new Set(approverIds)]);
    const unique = [...new Map(all.map((s) => [s.endpoint, s])).values()];
    const payload = requestPayload(this.#o.publicUrl, request);
    const report: PushReport = { sent: 0, removed: 0, failed: [] };
    let next = 0;
    const worker = async () => {
      while (next < unique.length) await this.#send(unique[next++]!, payload, report);
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency ?? 8, unique.length) }, worker));
    return report;
  }

  async #send(subscription: PushSubscriptionRecord, payload: string, report: PushReport): Promise<void> {
    const service = new URL(subscription.endpoint).origin;
    try {
      const details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } }, payload, {
        vapidDetails: { subject: this.#o.subject, publicKey: this.#o.keys.publicKey, privateKey: this.#o.keys.privateKey },
        TTL: this.#o.ttlSeconds ?? 24 * 3600,
        contentEncoding: 'aes128gcm',
        urgency: 'high',
      });
      const headers = Object.fromEntries(Object.entries(details.headers).filter(([k]) => k.toLowerCase() !== 'content-length').map(([k, v]) => [k, String(v)]));
      const res = await this.#fetch(subscription.endpoint, {
        method: 'POST',
        headers,
        body: details.body ?? undefined,
        redirect: 'error',
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
      });
      await res.body?.cancel();
      if (res.ok) report.sent++;
      else if (res.status === 404 || res.status === 410) {
        await this.#o.subscriptions.remove(subscription.endpoint);
        report.removed++;
      } else report.failed.push({ service, reason: `HTTP ${res.status}` });
    } catch (err) {
      report.failed.push({ service, reason: (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message });
    }
  }
}
