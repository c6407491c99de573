#!/usr/bin/env node
// npsm = packsec install
import { main } from '../build/src/cli/index.js';

process.exitCode = await main(['install', ...process.argv.slice(2)]);
