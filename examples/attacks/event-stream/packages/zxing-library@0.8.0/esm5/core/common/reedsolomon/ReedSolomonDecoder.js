// ReedSolomonDecoder (replica): the file the real payload rewrote, because Copay bundles it.
module.exports = class ReedSolomonDecoder {
  decode(text) { return `decoded ${text}`; }
};
