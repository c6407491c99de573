// The gallery's table: per replica, each layer expected to stop it, with the result under plain
// npm/node and under packsec, as plain text (for a terminal) or Markdown (for the README).
import type { GalleryReport } from './gallery.js';
import type { LayerResult, ReplicaResult } from './probes.js';

function plainVerdict(r: ReplicaResult): string {
  if (!r.plain.ok) return 'MISMATCH';
  return r.plain.expected === 'dormant' ? 'dormant' : 'attack worked';
}

function layerVerdict(l: LayerResult): string {
  if (!l.ok) return l.stopped ? 'MISMATCH: stopped' : 'MISMATCH: not stopped';
  return l.stopped ? 'stopped' : 'not stopped (documented)';
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n - 1) + ' ' : s + ' '.repeat(n - s.length));

export function textTable(report: GalleryReport, width = 160): string {
  const cols = [34, 38, 15, 26];
  const lines = [cols.map((n, i) => pad(['attack', 'layer expected to stop it', 'plain npm/node', 'packsec'][i]!, n)).join('') + 'what happened'];
  lines.push('-'.repeat(Math.min(width, 160)));
  const rest = Math.max(30, width - cols.reduce((a, b) => a + b, 0));
  for (const r of report.results) {
    r.layers.forEach((l, i) => {
      const row = [i === 0 ? r.title : '', l.layer, i === 0 ? plainVerdict(r) : '', layerVerdict(l)];
      lines.push(row.map((c, j) => pad(c, cols[j]!)).join('') + l.detail.slice(0, rest));
    });
    lines.push(`${' '.repeat(cols[0]!)}plain npm/node: ${r.plain.detail}`.slice(0, width));
    if (r.note) lines.push(`${' '.repeat(cols[0]!)}note: ${r.note}`.slice(0, width));
    lines.push('');
  }
  const stopped = report.results.flatMap((r) => r.layers).filter((l) => l.ok).length;
  const total = report.results.flatMap((r) => r.layers).length;
  lines.push(`${report.results.length} replicas, ${stopped}/${total} layers as expected, plain npm/node as expected in ${report.results.filter((r) => r.plain.ok).length}/${report.results.length}` +
    ` — ${report.ok ? 'all as expected' : 'SOME RESULTS DIFFER FROM WHAT IS EXPECTED'} (${(report.ms / 1000).toFixed(0)} s)`);
  return lines.join('\n');
}

// The Markdown form goes into the README: what differs from run to run (ports, times, temp names) is elided.
const stable = (s: string) => s
  .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:…')
  .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
  .replace(/packsec-script-[A-Za-z0-9]{6}/g, 'packsec-script-…');
const cell = (s: string) => stable(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(report: GalleryReport): string {
  const lines = ['| attack | layer expected to stop it | plain npm/node | packsec | what happened under packsec |', '| --- | --- | --- | --- | --- |'];
  for (const r of report.results) {
    r.layers.forEach((l, i) => {
      const plain = i === 0 ? `${plainVerdict(r)}: ${r.plain.detail}` : '';
      lines.push(`| ${i === 0 ? `[${cell(r.title)}](${r.id.split(':')[0]}/README.md)` : ''} | ${cell(l.layer)} | ${cell(plain)} | ${layerVerdict(l)} | ${cell(l.detail)} |`);
    });
  }
  return lines.join('\n');
}
