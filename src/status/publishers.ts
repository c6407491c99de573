// Publisher changes of one installed package, judged from its registry document against the lock's
// publisher pin (or, without a pin, against the installed version itself). Pure: no I/O.
import { cleanText, compareVersions, listsProvenance, manifestOf, publisherOf, versionKeys } from '../install/packument.js';
import type { PublisherPin, PublisherRecord } from '../policy/index.js';

export type PublisherNoticeKind = 'installed-publisher' | 'installed-provenance' | 'newer-publisher' | 'newer-provenance';

export interface PublisherNotice {
  kind: PublisherNoticeKind;
  /** true: about the installed version itself (fails `packsec status`); false: a heads-up before upgrading. */
  affectsInstalled: boolean;
  /** One terminal line; registry text in it is cleaned. */
  message: string;
  /** The versions it is about. */
  versions: string[];
  detail: Record<string, unknown>;
}

export interface PublisherInput {
  name: string;
  version: string;
  /** The registry's full document (untrusted). */
  packument: unknown;
  /** lock.publishers[name]. */
  pin?: PublisherPin;
  /** The publisher recorded in the lock for the installed copy. */
  recorded?: PublisherRecord;
}

export interface PublisherCheck {
  notices: PublisherNotice[];
  /** The document names no publisher for any version (`_npmUser`), so accounts could not be compared. */
  unknown: boolean;
}

function listVersions(vs: string[]): string {
  const shown = vs.map((v) => cleanText(v, 50));
  return shown.length <= 4 ? shown.join(', ') : `${shown.slice(0, 3).join(', ')} and ${shown.length - 3} more`;
}

const quoted = (users: Iterable<string>): string => [...users].map((u) => `"${cleanText(u, 80)}"`).join(', ');

export function checkPublishers(input: PublisherInput): PublisherCheck {
  const { version, pin, recorded } = input;
  const doc = input.packument;
  const installed = manifestOf(doc, version);
  const installedBy = publisherOf(installed);
  const notices: PublisherNotice[] = [];
  const v = cleanText(version, 50);
  // A pin made from a later version says nothing about versions published before it.
  const pinned = pin && (compareVersions(version, pin.since) ?? 0) >= 0 ? pin : undefined;

  if (pinned && installedBy !== undefined && !pinned.npmUsers.includes(installedBy)) {
    notices.push({
      kind: 'installed-publisher', affectsInstalled: true, versions: [version],
      message: `${v} was published by "${cleanText(installedBy, 80)}", who is not a pinned publisher (${quoted(pinned.npmUsers)})`,
      detail: { npmUser: installedBy, pinned: pinned.npmUsers },
    });
  }
  if (recorded?.npmUser !== undefined && installedBy !== undefined && recorded.npmUser !== installedBy) {
    notices.push({
      kind: 'installed-publisher', affectsInstalled: true, versions: [version],
      message: `the registry now says "${cleanText(installedBy, 80)}" published ${v}; packsec.lock.json recorded "${cleanText(recorded.npmUser, 80)}"`,
      detail: { npmUser: installedBy, recorded: recorded.npmUser },
    });
  }
  const recordedProvenance = recorded !== undefined && recorded.provenance !== 'none';
  if (installed && (pinned?.repository || recordedProvenance) && !listsProvenance(installed)) {
    notices.push({
      kind: 'installed-provenance', affectsInstalled: true, versions: [version],
      message: `${v} has no provenance in the registry now, though ${pinned?.repository ? `the pin expects builds from ${cleanText(pinned.repository, 120)}` : 'packsec.lock.json recorded one'}`,
      detail: { ...(pinned?.repository ? { repository: pinned.repository, workflow: pinned.workflow } : { recorded: recorded?.provenance }) },
    });
  }

  // Newer versions: whoever published the installed version (or the pin) is the baseline.
  const baseline = pin?.npmUsers ?? [recorded?.npmUser ?? installedBy].filter((u): u is string => u !== undefined);
  const expectProvenance = Boolean(pin?.repository) || recordedProvenance || listsProvenance(installed);
  const newer = versionKeys(doc).filter((w) => (compareVersions(w, version) ?? -1) > 0).sort((a, b) => compareVersions(a, b)!);
  const byPublisher = new Map<string, string[]>();
  const withoutProvenance: string[] = [];
  for (const w of newer) {
    const m = manifestOf(doc, w);
    const by = publisherOf(m);
    if (baseline.length && by !== undefined && !baseline.includes(by)) byPublisher.set(by, [...(byPublisher.get(by) ?? []), w]);
    if (expectProvenance && m && !listsProvenance(m)) withoutProvenance.push(w);
  }
  const trusted = pin ? `not a pinned publisher (${quoted(pin.npmUsers)})` : `not by ${quoted(baseline)}, who published ${v}`;
  for (const [by, versions] of byPublisher) {
    notices.push({
      kind: 'newer-publisher', affectsInstalled: false, versions,
      message: `${listVersions(versions)} ${versions.length === 1 ? 'was' : 'were'} published by "${cleanText(by, 80)}", ${trusted}`,
      detail: { npmUser: by, baseline },
    });
  }
  if (withoutProvenance.length) {
    notices.push({
      kind: 'newer-provenance', affectsInstalled: false, versions: withoutProvenance,
      message: `${listVersions(withoutProvenance)} ${withoutProvenance.length === 1 ? 'has' : 'have'} no provenance, though ${pin?.repository ? `the pin expects builds from ${cleanText(pin.repository, 120)}` : `${v} had it`}`,
      detail: pin?.repository ? { repository: pin.repository, workflow: pin.workflow } : {},
    });
  }
  const unknown = versionKeys(doc).length > 0 && versionKeys(doc).every((w) => publisherOf(manifestOf(doc, w)) === undefined);
  return { notices, unknown };
}
