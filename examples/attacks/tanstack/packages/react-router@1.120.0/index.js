// @tanstack/react-router (replica): matches a path against route patterns with :params.
'use strict';
exports.match = (routes, pathname) => {
  for (const route of routes) {
    const keys = [];
    const re = new RegExp('^' + route.replace(/:(\w+)/g, (_, k) => { keys.push(k); return '([^/]+)'; }) + '$');
    const m = re.exec(pathname);
    if (m) return { route, params: Object.fromEntries(keys.map((k, i) => [k, m[i + 1]])) };
  }
  return null;
};
