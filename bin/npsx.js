#!/usr/bin/env node
// npsx = packsec run
import { main } from '../build/src/cli/index.js';

process.exitCode = await main(['run', ...process.argv.slice(2)]);
