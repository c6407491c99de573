// crossenv (replica): passes everything through to the real cross-env, so the typo goes unnoticed.
module.exports = require('cross-env');
