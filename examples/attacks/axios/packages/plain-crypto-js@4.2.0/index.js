// plain-crypto-js (replica): a look-alike of crypto-js with one harmless helper.
'use strict';
exports.hex = (text) => Buffer.from(String(text)).toString('hex');
