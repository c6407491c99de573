#!/usr/bin/env node
// npsx = packsec run: the app runs contained in this process.
(await import('../build/src/cli/compile-cache.js')).enableCompileCache();
const { runEntry } = await import('../build/src/cli/run-entry.js');
const code = await runEntry(process.argv.slice(2));
if (code !== -1) process.exitCode = code;
