// colors (replica): wraps text in ANSI colour codes when the output is a terminal and FORCE_COLOR is not 0.
'use strict';
const enabled = () => process.env.FORCE_COLOR !== '0' && Boolean(process.stdout && process.stdout.isTTY);
const wrap = (open, close) => (text) => (enabled() ? `\u001b[${open}m${text}\u001b[${close}m` : String(text));
module.exports = { red: wrap(31, 39), green: wrap(32, 39), bold: wrap(1, 22) };
