// Signed security notices: a maintainer tells the users of one version what is wrong with it and how bad
// it is; the registry signs the notice with its own key (the one in /-/npm/v1/keys), so a reader such as
// `packsec status` can check that it came from this registry and was not changed on the way.
import { randomUUID } from 'node:crypto';
import { isSeverity, SEVERITIES, type Severity } from '../util/advisory.js';
import { noticeMessage, type SecurityNotice } from '../util/notice.js';
import { isMaintainer, type Registry } from '../registry/packages.js';
import { signMessage, verifyMessage, type RegistryKey } from '../registry/signing.js';
import type { RegistryStore } from '../registry/store.js';
import { iso, type Db } from './db.js';
import { ApprovalError } from './errors.js';

export interface NoticeInput {
  packageName: string;
  version: string;
  severity: string;
  title: string;
  body: string;
}

/** Whether the notice was signed by `key` (an entry of the registry's /-/npm/v1/keys) as it reads now. */
export function verifyNotice(n: SecurityNotice, key: RegistryKey): boolean {
  return n.keyid === key.keyid && verifyMessage(key, noticeMessage(n), n.signature);
}

interface NoticeRow {
  id: string;
  package_name: string;
  version: string;
  severity: Severity;
  title: string;
  body: string;
  author: string;
  created_at: Date | string;
  keyid: string;
  signature: string;
  [key: string]: unknown;
}

const notice = (r: NoticeRow): SecurityNotice => ({
  id: r.id, packageName: r.package_name, version: r.version, severity: r.severity, title: r.title, body: r.body, author: r.author,
  createdAt: iso(r.created_at), keyid: r.keyid, signature: r.signature,
});

export class Notices {
  constructor(
    private readonly db: Db,
    private readonly registry: Registry<RegistryStore>,
  ) {}

  /** A maintainer of the package posts a notice about one of its public versions; the registry signs it. */
  async post(actor: string, input: NoticeInput): Promise<SecurityNotice> {
    const record = await this.registry.store.readPackage(input.packageName);
    if (!record || !isMaintainer(record, actor)) throw new ApprovalError('FORBIDDEN', `${actor} is not a maintainer of ${input.packageName}`);
    if (record.versions[input.version]?.state !== 'public') throw new ApprovalError('NOT_FOUND', `${input.packageName}@${input.version} is not a published version`);
    if (!isSeverity(input.severity)) throw new ApprovalError('BAD_REQUEST', `severity: expected one of ${SEVERITIES.join(', ')}`);
    const title = input.title.trim();
    if (!title || title.length > 200 || /[\u0000-\u001f\u007f]/.test(title)) throw new ApprovalError('BAD_REQUEST', 'title: expected one line of text, at most 200 characters');
    if (input.body.length > 10_000) throw new ApprovalError('BAD_REQUEST', 'body: at most 10 000 characters');
    const unsigned = {
      id: randomUUID(), packageName: record.name, version: input.version, severity: input.severity, title, body: input.body, author: actor,
      createdAt: this.registry.now().toISOString(),
    };
    const { keyid, sig } = signMessage(this.registry.key, noticeMessage(unsigned));
    const n: SecurityNotice = { ...unsigned, keyid, signature: sig };
    await this.db.query(
      `insert into security_notices (id, package_name, version, severity, title, body, author, created_at, keyid, signature)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [n.id, n.packageName, n.version, n.severity, n.title, n.body, n.author, n.createdAt, n.keyid, n.signature],
    );
    return n;
  }

  /** For each name asked about, the notices about the versions asked about (oldest first); names without any are left out. */
  async forVersions(query: Map<string, string[]>): Promise<Record<string, SecurityNotice[]>> {
    const answer: Record<string, SecurityNotice[]> = Object.create(null) as Record<string, SecurityNotice[]>;
    if (query.size === 0) return answer;
    const rows = await this.db.query<NoticeRow>('select * from security_notices where $1::jsonb ? package_name order by created_at, id', [JSON.stringify([...query.keys()])]);
    for (const n of rows.map(notice)) {
      if (query.get(n.packageName)?.includes(n.version)) (answer[n.packageName] ??= []).push(n);
    }
    return answer;
  }

  /** The notices about a package (or one of its versions), oldest first. */
  async list(packageName: string, version?: string): Promise<SecurityNotice[]> {
    const rows = await this.db.query<NoticeRow>(
      'select * from security_notices where package_name = $1 and ($2::text is null or version = $2) order by created_at, id',
      [packageName, version ?? null],
    );
    return rows.map(notice);
  }
}
