#!/usr/bin/env node
// packsec command line (built from src/cli; run `npm run build` after changing the sources).
// Modules are imported only after the compile cache is on, and `run` loads only the run-time entry,
// since the app then runs in this very process.
(await import('../build/src/cli/compile-cache.js')).enableCompileCache();
const argv = process.argv.slice(2);
const { main, runEntry } = argv[0] === 'run'
  ? { runEntry: (await import('../build/src/cli/run-entry.js')).runEntry }
  : { main: (await import('../build/src/cli/index.js')).main };
const code = runEntry ? await runEntry(argv.slice(1)) : await main(argv);
// -1: the app now owns the process and its exit code.
if (code !== -1) process.exitCode = code;
