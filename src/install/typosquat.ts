// Typosquat detection: does a package name look like a popular one it is not? Compares a name with an
// index of popular names built once, so one check costs microseconds even against thousands of names.

/** How a name resembles a popular one, from the most to the least telling. */
export type TyposquatReason = 'case' | 'scope' | 'separators' | 'homoglyph' | 'affix' | 'word-order' | 'edit-distance';

export interface TyposquatMatch {
  /** The popular package the name resembles. */
  similarTo: string;
  reason: TyposquatReason;
  /** Damerau-Levenshtein (optimal string alignment) distance between the two lower-cased names. */
  distance: number;
}

/** Popular package names with the lookup tables built from them (see buildPopularList). */
export interface PopularList {
  /** The names, most popular first. */
  readonly names: readonly string[];
  /** @internal */
  readonly index: PopularIndex;
}

interface PopularIndex {
  exact: ReadonlySet<string>;
  /** Scopes of popular scoped names: only a scope's owner can publish in it, so its names never flag. */
  scopes: ReadonlySet<string>;
  rank: ReadonlyMap<string, number>;
  lower: ReadonlyMap<string, string[]>;
  bySeparators: ReadonlyMap<string, string[]>;
  byGlyphs: ReadonlyMap<string, string[]>;
  /** Popular names with a separated `node-`/`-js` affix, keyed by what is left without it. */
  byAffixCore: ReadonlyMap<string, string[]>;
  byWords: ReadonlyMap<string, string[]>;
  /** Lower-cased names by length, for the edit-distance scan, with their character masks (see charMask). */
  byLength: ReadonlyArray<readonly string[] | undefined>;
  masksByLength: ReadonlyArray<readonly number[] | undefined>;
  original: ReadonlyMap<string, string>;
}

/** Edits allowed for a popular name of this length: none for short names (`ms`, `qs`, `glob`), where one edit
 * reaches ordinary words and other real packages, one up to 9 characters, two from 10. */
export function allowedDistance(length: number): number {
  return length < 5 ? 0 : length < 10 ? 1 : 2;
}

const SEPARATORS = /[@/._~-]+/g;

function scopeOf(lowerName: string): string | undefined {
  if (!lowerName.startsWith('@')) return undefined;
  const slash = lowerName.indexOf('/');
  return slash > 1 ? lowerName.slice(1, slash) : undefined;
}

function separatorKey(lowerName: string): string {
  return lowerName.replace(SEPARATORS, '');
}

// Characters that look alike in a terminal or a README font; both sides are folded the same way.
function glyphKey(sepKey: string): string {
  return sepKey.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/1/g, 'l').replace(/0/g, 'o');
}

function wordKey(lowerName: string): string | undefined {
  const words = lowerName.split(SEPARATORS).filter((w) => w !== '');
  return words.length < 2 ? undefined : words.sort().join(' ');
}

const AFFIX_PREFIX = /^node[-_.]/;
const AFFIX_SUFFIX = /[-_.](?:js|node)$/;

/** A popular name without a separated affix (`node-fetch` → `fetch`, `chart.js` → `chart`), if it has one. */
function separatedAffixCore(lowerName: string): string | undefined {
  if (scopeOf(lowerName) !== undefined) return undefined;
  const core = lowerName.replace(AFFIX_PREFIX, '').replace(AFFIX_SUFFIX, '');
  return core !== lowerName && core.length >= 3 ? separatorKey(core) : undefined;
}

/** A candidate without affixes, glued or not (`nodesqlite`, `expressjs`, `jquery.js`), if it has one. */
function candidateAffixCore(lowerName: string): string | undefined {
  if (scopeOf(lowerName) !== undefined) return undefined;
  let core = separatorKey(lowerName.replace(AFFIX_PREFIX, '').replace(AFFIX_SUFFIX, ''));
  if (core.startsWith('node') && core.length - 4 >= 3) core = core.slice(4);
  if (core.endsWith('js') && core.length - 2 >= 3) core = core.slice(0, -2);
  return core !== separatorKey(lowerName) ? core : undefined;
}

function push(map: Map<string, string[]>, key: string | undefined, name: string): void {
  if (key === undefined || key === '') return;
  const list = map.get(key);
  if (list) {
    if (!list.includes(name)) list.push(name);
  } else map.set(key, [name]);
}

/** Builds the lookup tables for a list of popular names (most popular first). */
export function buildPopularList(names: readonly string[]): PopularList {
  const lower = new Map<string, string[]>();
  const bySeparators = new Map<string, string[]>();
  const byGlyphs = new Map<string, string[]>();
  const byAffixCore = new Map<string, string[]>();
  const byWords = new Map<string, string[]>();
  const byLength: string[][] = [];
  const masksByLength: number[][] = [];
  const rank = new Map<string, number>();
  const original = new Map<string, string>();
  const scopes = new Set<string>();
  for (const name of names) {
    if (rank.has(name)) continue;
    rank.set(name, rank.size);
    const l = name.toLowerCase();
    original.set(l, name);
    const scope = scopeOf(l);
    if (scope !== undefined) scopes.add(scope);
    const sep = separatorKey(l);
    push(lower, l, name);
    push(bySeparators, sep, name);
    push(byGlyphs, glyphKey(sep), name);
    push(byAffixCore, separatedAffixCore(l), name);
    push(byWords, wordKey(l), name);
    (byLength[l.length] ??= []).push(l);
    (masksByLength[l.length] ??= []).push(charMask(l));
  }
  return {
    names: [...rank.keys()],
    index: { exact: new Set(rank.keys()), scopes, rank, lower, bySeparators, byGlyphs, byAffixCore, byWords, byLength, masksByLength, original },
  };
}

/** Which characters a name has, folded into 32 bits (two characters may share a bit). */
function charMask(s: string): number {
  let m = 0;
  for (let i = 0; i < s.length; i++) m |= 1 << (s.charCodeAt(i) & 31);
  return m;
}

function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// Rows reused across calls: the scan allocates nothing per comparison.
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

/**
 * Optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions), or max + 1 as soon
 * as the distance is known to exceed max.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (m + 1 > rowA.length) {
    rowA = new Int32Array(m + 1);
    rowB = new Int32Array(m + 1);
    rowC = new Int32Array(m + 1);
  }
  // prev2 = row i-2, prev = row i-1, cur = row i.
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const bj = b.charCodeAt(j - 1);
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m]!;
}

/**
 * Popular packages that `name` resembles without being one of them, closest first (at most `limit`).
 * A popular name, and any name in the scope of a popular scoped package (only the scope's owner can
 * publish there), resembles nothing.
 */
export function typosquatCandidates(name: string, popular: PopularList, limit = 5): TyposquatMatch[] {
  const ix = popular.index;
  if (ix.exact.has(name)) return [];
  const l = name.toLowerCase();
  const scope = scopeOf(l);
  if (scope !== undefined && ix.scopes.has(scope)) return [];

  const found = new Map<string, TyposquatReason>();
  const add = (names: readonly string[] | undefined, reason: (p: string) => TyposquatReason | undefined) => {
    for (const p of names ?? []) {
      if (found.has(p)) continue;
      const r = reason(p);
      if (r !== undefined) found.set(p, r);
    }
  };
  const scopeDiffers = (p: string) => scopeOf(p.toLowerCase()) !== scope;

  add(ix.lower.get(l), () => 'case');
  const sep = separatorKey(l);
  add(ix.bySeparators.get(sep), (p) => (scopeDiffers(p) ? 'scope' : 'separators'));
  // Separator-only differences were found above, so what is left here differs in look-alike characters.
  add(ix.byGlyphs.get(glyphKey(sep)), () => 'homoglyph');
  const core = candidateAffixCore(l);
  if (core !== undefined) {
    add(ix.bySeparators.get(core), () => 'affix');
    add(ix.byAffixCore.get(core), () => 'affix');
  }
  add(ix.byAffixCore.get(sep), () => 'affix');
  const words = wordKey(l);
  if (words !== undefined) add(ix.byWords.get(words), (p) => (scopeDiffers(p) ? 'scope' : 'word-order'));

  // Edit distance: only popular names whose length is within reach.
  const cmask = charMask(l);
  for (let len = Math.max(0, l.length - 2); len <= l.length + 2; len++) {
    const bucket = ix.byLength[len];
    if (!bucket) continue;
    const max = allowedDistance(len);
    if (max === 0 || Math.abs(len - l.length) > max) continue;
    const masks = ix.masksByLength[len]!;
    for (let k = 0; k < bucket.length; k++) {
      // Every character kind one name has and the other lacks costs an edit, and one edit mends at most
      // one kind on each side: a cheap lower bound that skips most names before the real distance.
      const pm = masks[k]!;
      if (bitCount(cmask & ~pm) > max || bitCount(pm & ~cmask) > max) continue;
      const pl = bucket[k]!;
      const p = ix.original.get(pl)!;
      if (found.has(p)) continue;
      if (boundedDistance(l, pl, max) <= max) found.set(p, 'edit-distance');
    }
  }

  const matches: TyposquatMatch[] = [];
  for (const [p, reason] of found) {
    matches.push({ similarTo: p, reason, distance: boundedDistance(l, p.toLowerCase(), Number.MAX_SAFE_INTEGER) });
  }
  // The closest first; among equally close ones, the most popular.
  matches.sort((a, b) => a.distance - b.distance || ix.rank.get(a.similarTo)! - ix.rank.get(b.similarTo)!);
  return matches.slice(0, limit);
}

/** How the name resembles the popular one, as a phrase for a message. */
export function describeReason(m: TyposquatMatch): string {
  switch (m.reason) {
    case 'case': return 'the same name in other letter case';
    case 'scope': return 'the same words with the @scope moved or changed';
    case 'separators': return 'the same letters with other separators';
    case 'homoglyph': return 'look-alike characters: 1/l, 0/o, rn/m, vv/w';
    case 'affix': return 'a node-/-js affix added or dropped';
    case 'word-order': return 'the same words in another order';
    case 'edit-distance': return m.distance === 1 ? 'one edit away' : `${m.distance} edits away`;
  }
}
