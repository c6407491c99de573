// ms (replica): "2h" → 7200000.
'use strict';
const UNITS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };
module.exports = (text) => {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(String(text).trim());
  return m ? Number(m[1]) * UNITS[m[2] || 'ms'] : undefined;
};
