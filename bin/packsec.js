#!/usr/bin/env node
// packsec command line (built from src/cli; run `npm run build` after changing the sources).
import { main } from '../build/src/cli/index.js';

process.exitCode = await main(process.argv.slice(2));
