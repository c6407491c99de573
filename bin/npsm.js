#!/usr/bin/env node
// npsm = packsec install
(await import('../build/src/cli/compile-cache.js')).enableCompileCache();
const { main } = await import('../build/src/cli/index.js');
process.exitCode = await main(['install', ...process.argv.slice(2)]);
