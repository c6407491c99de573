// `npm run attacks`: replays every replica under plain npm/node and under packsec and prints the table.
//   --json          the whole report as one JSON document on stdout
//   --markdown      the table as Markdown (for examples/attacks/README.md)
//   --only a,b      only these replicas;  --jobs N  replicas at once (default 2);  --keep  keep the temp folders
import { runGallery } from './harness/gallery.js';
import { markdownTable, textTable } from './harness/table.js';
import { replicas } from './replicas.js';

const argv = process.argv.slice(2);
const value = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const json = argv.includes('--json');
const markdown = argv.includes('--markdown');
const only = value('--only')?.split(',').filter(Boolean);
const jobs = Number(value('--jobs') ?? 2);

const report = await runGallery(replicas, {
  ...(only ? { only } : {}),
  jobs,
  keep: argv.includes('--keep'),
  onResult: (r) => process.stderr.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.title} (${(r.ms / 1000).toFixed(1)} s)\n`),
});
if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
else if (markdown) process.stdout.write(markdownTable(report) + '\n');
else process.stdout.write('\n' + textTable(report, process.stdout.isTTY ? process.stdout.columns : Infinity) + '\n');
if (argv.includes('--keep')) process.stderr.write(`kept ${report.root}\n`);
process.exitCode = report.ok ? 0 : 1;
