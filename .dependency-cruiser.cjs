/** DESIGN.md's dependency rules, checked by `npm run check`. */
const edges = '^src/(store|connectors|http|cli)/';
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain imports nothing of the project outside domain, and no I/O modules',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', 'node_modules', '^(node:)?crypto$'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-no-io',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^(node:)?(fs|fs/promises|net|http|https|child_process|dgram|tls|dns)$' },
    },
    {
      name: 'services-declare-their-needs',
      comment: 'services import domain and declare what they need; never the edges or the container',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: [edges, '^src/(container|main|config)\\.ts$'] },
    },
    {
      name: 'store-and-connectors-implement',
      comment: 'store and connectors implement needs structurally; they never import services, http or cli',
      severity: 'error',
      from: { path: '^src/(store|connectors)/' },
      to: { path: ['^src/(services|http|cli)/', '^src/(container|main)\\.ts$'] },
    },
    {
      name: 'edges-go-through-the-container',
      comment: 'http and cli reach the store only through services wired by the container',
      severity: 'error',
      from: { path: '^src/(http|cli)/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
