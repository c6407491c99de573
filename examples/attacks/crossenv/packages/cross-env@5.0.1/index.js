// cross-env (replica): parses leading NAME=value arguments, as the real tool does before spawning.
'use strict';
module.exports = function parse(args) {
  const env = {};
  let i = 0;
  for (; i < args.length && /^\w+=/.test(args[i]); i++) {
    const at = args[i].indexOf('=');
    env[args[i].slice(0, at)] = args[i].slice(at + 1);
  }
  return { env, command: args.slice(i) };
};
