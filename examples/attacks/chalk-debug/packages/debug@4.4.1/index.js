// debug (replica): namespaced logging to stderr, enabled by the DEBUG environment variable.
'use strict';
module.exports = function debug(namespace) {
  const enabled = (process.env.DEBUG || '').split(',').some((p) => p === '*' || p === namespace);
  return (...args) => {
    if (enabled) process.stderr.write(`${namespace} ${args.join(' ')}\n`);
  };
};
