// Times the install gate's typosquat check: one name against the shipped popular list (needs `npm run build`).
// Prints microseconds per name for popular names, near misses and unrelated names, median of 5 rounds.
import { buildPopularList, loadPopularList, typosquatCandidates } from '../build/src/install/warnings.js';
import { log, median } from './lib.mjs';

let t = performance.now();
const popular = loadPopularList();
log(`popular list: ${popular.names.length} names, loaded and indexed in ${(performance.now() - t).toFixed(1)} ms`);
t = performance.now();
buildPopularList(popular.names);
log(`indexing alone: ${(performance.now() - t).toFixed(1)} ms`);

const swap = (s) => (s.length < 4 ? s + 'z' : s.slice(0, 1) + s[2] + s[1] + s.slice(3));
const words = ['data', 'util', 'fast', 'tiny', 'smart', 'cloud', 'form', 'state', 'parse', 'render', 'graph', 'token', 'query', 'cache'];
const unrelated = [];
for (const a of words) for (const b of words) if (a !== b) unrelated.push(`${a}-${b}-kit`, `@acme/${a}${b}`);
const sets = {
  popular: popular.names,
  'near misses': popular.names.flatMap((n) => [n + 'x', n.slice(1), swap(n)]),
  unrelated,
};
for (const [label, names] of Object.entries(sets)) {
  const rounds = [];
  let flagged = 0;
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    flagged = 0;
    for (const n of names) if (typosquatCandidates(n, popular).length) flagged++;
    rounds.push(((performance.now() - start) * 1000) / names.length);
  }
  log(`${label.padEnd(12)} ${String(names.length).padStart(5)} names: ${median(rounds).toFixed(1)} µs a name (${flagged} flagged)`);
}
