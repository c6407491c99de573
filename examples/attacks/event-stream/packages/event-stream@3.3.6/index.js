// event-stream (replica): a few stream helpers; 3.3.6 adds flatMap from a new dependency.
const { Readable, Transform } = require('stream');
exports.fromArray = (items) => Readable.from(items);
exports.map = (fn) => new Transform({ objectMode: true, transform(x, _e, cb) { cb(null, fn(x)); } });
exports.flatMap = require('flatmap-stream');
