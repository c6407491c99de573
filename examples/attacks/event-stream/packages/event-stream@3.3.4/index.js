// event-stream (replica): a few stream helpers.
const { Readable, Transform } = require('stream');
exports.fromArray = (items) => Readable.from(items);
exports.map = (fn) => new Transform({ objectMode: true, transform(x, _e, cb) { cb(null, fn(x)); } });
