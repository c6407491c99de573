// nx (replica): orders a project graph's targets, dependencies first.
'use strict';
exports.order = (graph) => {
  const out = [];
  const visit = (name) => {
    if (out.includes(name)) return;
    for (const dep of graph[name] || []) visit(dep);
    out.push(name);
  };
  Object.keys(graph).forEach(visit);
  return out;
};
