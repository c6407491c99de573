// eslint-scope (replica): counts the variables each function scope of a tiny AST declares.
'use strict';
function analyze(ast) {
  const scopes = [];
  (function visit(node, scope) {
    if (!node || typeof node !== 'object') return;
    if (node.type === 'Program' || node.type === 'FunctionDeclaration') {
      scope = { type: node.type, variables: [] };
      scopes.push(scope);
    }
    if (node.type === 'VariableDeclarator') scope.variables.push(node.id.name);
    for (const key of Object.keys(node)) if (key !== 'type') visit(node[key], scope);
  })(ast, null);
  return { scopes };
}
module.exports = { analyze };
