// In-memory stand-ins for the approval stores (the database store implements the same interfaces), for
// the WebAuthn, push and web UI tests.
import type { ChallengeStore, CredentialStore, StoredChallenge, StoredCredential } from '../src/approval/webauthn.js';
import type { PushSubscriptionRecord, SubscriptionStore } from '../src/approval/push.js';
import type { LoginCode, LoginCodeStore, SessionRecord, SessionStore } from '../src/approval/web/index.js';

export class MemoryChallenges implements ChallengeStore {
  readonly map = new Map<string, StoredChallenge>();
  async put(challenge: StoredChallenge): Promise<void> {
    this.map.set(challenge.challenge, { ...challenge });
  }
  async take(challenge: string): Promise<StoredChallenge | undefined> {
    const found = this.map.get(challenge);
    this.map.delete(challenge);
    return found;
  }
}

export class MemoryCredentials implements CredentialStore {
  readonly map = new Map<string, StoredCredential>();
  async add(credential: StoredCredential): Promise<boolean> {
    if (this.map.has(credential.id)) return false;
    this.map.set(credential.id, { ...credential });
    return true;
  }
  async get(id: string): Promise<StoredCredential | undefined> {
    const c = this.map.get(id);
    return c && { ...c };
  }
  async listByUser(userId: string): Promise<StoredCredential[]> {
    return [...this.map.values()].filter((c) => c.userId === userId).map((c) => ({ ...c }));
  }
  async updateCounter(id: string, from: number, to: number, usedAt: string): Promise<boolean> {
    const c = this.map.get(id);
    if (!c || c.counter !== from) return false;
    c.counter = to;
    c.lastUsedAt = usedAt;
    return true;
  }
}

export class MemorySubscriptions implements SubscriptionStore {
  readonly map = new Map<string, PushSubscriptionRecord>();
  async put(subscription: PushSubscriptionRecord): Promise<void> {
    this.map.set(subscription.endpoint, { ...subscription });
  }
  async listByUsers(userIds: string[]): Promise<PushSubscriptionRecord[]> {
    return [...this.map.values()].filter((s) => userIds.includes(s.userId));
  }
  async remove(endpoint: string): Promise<void> {
    this.map.delete(endpoint);
  }
}

export class MemorySessions implements SessionStore {
  readonly map = new Map<string, SessionRecord>();
  async put(session: SessionRecord): Promise<void> {
    this.map.set(session.idHash, { ...session });
  }
  async get(idHash: string): Promise<SessionRecord | undefined> {
    const s = this.map.get(idHash);
    return s && { ...s };
  }
  async delete(idHash: string): Promise<void> {
    this.map.delete(idHash);
  }
}

export class MemoryLoginCodes implements LoginCodeStore {
  readonly map = new Map<string, LoginCode>();
  async put(code: LoginCode): Promise<void> {
    this.map.set(code.codeHash, { ...code });
  }
  async take(codeHash: string): Promise<LoginCode | undefined> {
    const found = this.map.get(codeHash);
    this.map.delete(codeHash);
    return found;
  }
}
