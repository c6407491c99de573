// @zxing/library (replica): the wallet app decodes payment QR codes with it.
const ReedSolomonDecoder = require('./esm5/core/common/reedsolomon/ReedSolomonDecoder.js');
exports.decode = (text) => new ReedSolomonDecoder().decode(text);
