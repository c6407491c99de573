#!/usr/bin/env node
// npsx = packsec run: the app runs contained in this process.
import { runEntry } from '../build/src/cli/run-entry.js';

const code = await runEntry(process.argv.slice(2));
if (code !== -1) process.exitCode = code;
