#!/usr/bin/env node
// bin/packsec.js with `run --no-verify`, for the escape suites (PACKSEC="node .ci/packsec-unverified.mjs"):
// their dependency changes after `packsec init`, which verified loading refuses before containment is
// even reached. Run this way, the suites test containment itself.
const argv = process.argv.slice(2);
if (argv[0] === 'run') argv.splice(1, 0, '--no-verify');
process.argv = [process.argv[0], process.argv[1], ...argv];
await import('../bin/packsec.js');
