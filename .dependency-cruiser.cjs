/**
 * Module boundaries (DESIGN.md, cross-cutting decisions; STYLE.md, module edges), checked by
 * `npm run lint`. Type-only imports count: a cycle through types still ties the modules together.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles anywhere under src/ (type-only imports included).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-internals',
      severity: 'error',
      comment: 'A module is used through its index.ts only; its other files are its own.',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'no-module-internals-from-outside',
      severity: 'error',
      comment: 'The app, the bot, the scheduler and the integrations use a module through its index.ts.',
      from: { path: '^src/', pathNot: '^src/modules/' },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'shared-imports-no-module',
      severity: 'error',
      comment: 'shared/ is below every module: it imports no module, nor the app, bot or scheduler built on them.',
      from: { path: '^src/shared/' },
      to: { path: '^src/(modules|bot|scheduler|integrations)/|^src/(services|app|main|datasource)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
  },
};
