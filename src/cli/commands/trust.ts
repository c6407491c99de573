// `packsec trust show` prints which Sigstore trust root verifies provenance (shipped or refreshed) and the
// keys it trusts; `packsec trust refresh` updates it through TUF from the pinned TUF root.
import { loadTrustMaterial, refreshTrustMaterial, summarizeTrust, type TrustSummary } from '../../verify/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';

export interface TrustData {
  action: 'show' | 'refresh';
  trust: TrustSummary;
}

function httpUrl(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    const u = new URL(String(value));
    if (u.protocol === 'http:' || u.protocol === 'https:') return String(value);
  } catch {
    // refused below
  }
  throw new CliError('USAGE', `${option}: expected an http(s) URL, got ${JSON.stringify(value)}`);
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '…');

export const trustCommand: Command<TrustData> = {
  name: 'trust',
  summary: 'show or refresh (through TUF) the Sigstore trust root that provenance is verified against',
  usage: 'packsec trust show [--json]\n       packsec trust refresh [--tuf-mirror URL] [--json]',
  options: {
    'tuf-mirror': { type: 'string' },
    // Testing only, so left out of the usage: a TUF root to start from instead of the pinned one.
    'tuf-root': { type: 'string' },
  },
  async run(values, positionals, display) {
    const [action, ...extra] = positionals;
    if (extra.length) throw new CliError('USAGE', `unexpected argument ${extra[0]}`);
    if (action === 'show') return { exit: 0, data: { action, trust: summarizeTrust(loadTrustMaterial()) } };
    if (action !== 'refresh') throw new CliError('USAGE', `packsec trust: expected "show" or "refresh", got ${action === undefined ? 'nothing' : JSON.stringify(action)}`);
    const mirror = httpUrl('--tuf-mirror', values['tuf-mirror']);
    const tufRoot = typeof values['tuf-root'] === 'string' ? values['tuf-root'] : undefined;
    display.progress(`refreshing the Sigstore trust root from ${mirror ?? 'Sigstore\'s TUF repository'}`);
    const refreshed = await refreshTrustMaterial({ ...(mirror ? { mirror } : {}), ...(tufRoot ? { tufRoot } : {}) });
    display.endProgress();
    return { exit: 0, data: { action, trust: summarizeTrust(refreshed) } };
  },
  print({ data }, d) {
    const { trust: t } = data;
    const c = d.color;
    const origin = t.origin === 'shipped'
      ? `the trust root shipped with packsec (${t.location})`
      : `the trust root refreshed ${t.refreshedAt} from ${t.mirror} (${t.location})`;
    d.out(`${c.bold('packsec trust')}: ${data.action === 'refresh' ? 'refreshed; now using' : 'using'} ${origin}`);
    for (const f of t.fulcio) d.out(`  Fulcio CA  ${f.uri}  ${f.subject}  root sha256:${f.rootSha256.slice(0, 16)}…  ${day(f.validFrom)} – ${day(f.validUntil)}`);
    for (const r of t.rekor) d.out(`  Rekor      ${r.url}  key ${r.keyId}  ${day(r.validFrom)} – ${day(r.validUntil)}`);
    for (const r of t.ctlogs) d.out(`  CT log     ${r.url}  key ${r.keyId}  ${day(r.validFrom)} – ${day(r.validUntil)}`);
    for (const k of t.npmKeys) d.out(`  npm key    ${k.keyId}  ${k.usage}  ${day(k.validFrom)} – ${day(k.validUntil)}`);
    if (t.origin === 'shipped') d.info(c.dim('  `packsec trust refresh` fetches a newer one through TUF'));
  },
};
