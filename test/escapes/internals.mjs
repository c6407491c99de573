// Attacks on packsec's own machinery (its runtime registry, its synthetic module URLs). They mean
// nothing under plain node, so they live apart from cases.mjs, whose every case must escape in --control.
const READ_CANARY = `(fs) => fs.readFileSync('__CANARY__', 'utf8')`;
const cjs = (body) => `module.exports = async () => { ${body} };\n`;

export default [
  { name: 'own-runtime-symbol', kind: 'escape', v2: cjs(`const r = globalThis[Symbol.for('packsec.runtime')]; return (${READ_CANARY})(r.builtin('helper', 'fs'));`) },
  { name: 'own-packsec-context-import', kind: 'escape', v2: cjs(`const m = await import('packsec:builtin?p=helper&m=fs'); return (${READ_CANARY})(m.default);`) },
];
