// The import rules of src/ (docs/architecture.md, "Enforced rules"). Run with `npm run lint:deps`,
// which `npm run lint` and CI include. Type-only imports count (tsPreCompilationDeps).

/** The features: each a folder under src/ that other features reach only through its index.ts. */
const FEATURES = [
  'auth',
  'municipalities',
  'participants',
  'links',
  'surveys',
  'elearning',
  'reporting',
  'admin',
  'mail',
  'demo',
  'ops',
];
const FEATURE = `^src/(${FEATURES.join('|')})/`;
/** The shared floor: anyone may import it; it imports no feature. */
const FLOOR = '^src/(shared|db|web|types)/|^src/config[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import circle (type-only imports included). Break it by moving the shared part down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'feature-through-index',
      severity: 'error',
      comment:
        "A feature reaches another feature only through that feature's index.ts (src/<other>/index.ts), never a file inside it. " +
        '(mail/ and the floor have stricter rules of their own; repositories have theirs.)',
      from: { path: FEATURE, pathNot: '^src/mail/' },
      to: {
        path: FEATURE,
        pathNot: ['^src/$1/', `^src/(${FEATURES.join('|')})/index[.]ts$`, '[.]repository[.]ts$'],
      },
    },
    {
      name: 'floor-imports-no-feature',
      severity: 'error',
      comment:
        'shared/, db/, web/, types/ and config.ts are the floor every feature stands on: they import no feature.',
      from: { path: FLOOR },
      to: { path: FEATURE },
    },
    {
      name: 'mail-is-a-leaf',
      severity: 'error',
      comment:
        'mail/ (the outbox) knows no feature: it imports only shared/, db/, web/, types/ and config.ts.',
      from: { path: '^src/mail/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/mail/', FLOOR] },
    },
    {
      name: 'no-app-or-server-from-folders',
      severity: 'error',
      comment:
        'app.ts and server.ts sit at the top: nothing under src/<folder>/ imports them. Take what you need as a parameter.',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/(app|server)[.]ts$' },
    },
    {
      name: 'container-only-from-tooling',
      severity: 'error',
      comment:
        'container.ts is the one composition root: no feature imports it, not even its types (declare a narrow Deps type instead). Only the tooling entry points demo/ and ops/ may.',
      from: { path: '^src/[^/]+/', pathNot: '^src/(demo|ops)/' },
      to: { path: '^src/container[.]ts$' },
    },
    {
      name: 'repository-owned-by-its-folder',
      severity: 'error',
      comment:
        'A *.repository.ts is the one owner of its tables: only files of its own folder use it (and container.ts, demo/, ops/). Ask its service. ' +
        '(mail/ and the floor are held by their stricter rules.)',
      from: { path: '^src/([^/]+)/', pathNot: ['^src/(demo|ops|mail)/', FLOOR] },
      to: { path: '[.]repository[.]ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'repository-not-from-app-or-server',
      severity: 'error',
      comment: 'Of the files at the src root, only container.ts builds repositories.',
      from: { path: '^src/[^/]+[.]ts$', pathNot: '^src/container[.]ts$' },
      to: { path: '[.]repository[.]ts$' },
    },
    {
      name: 'src-not-from-test-or-scripts',
      severity: 'error',
      comment: 'The application does not import tests or scripts.',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
