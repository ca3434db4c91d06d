import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'var/**', 'node_modules/**', 'public/vendor/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Small files, small functions (docs/architecture.md). Application code only: not tests, scripts or migrations.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // No SQL in routes: a route parses, authorises, calls one service method and renders.
    files: ['src/**/*.routes.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'CallExpression[callee.name=/^(db|trx|knex)$/]',
          'CallExpression[callee.property.name=/^(db|trx)$/]',
          'MemberExpression[object.name=/^(db|trx|knex)$/][property.name=/^(raw|transaction|schema)$/]',
          'MemberExpression[object.property.name=/^(db|trx)$/][property.name=/^(raw|transaction|schema)$/]',
        ].map((selector) => ({
          selector,
          message:
            'No SQL in routes: call a service, whose repository owns the table (docs/architecture.md).',
        })),
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
);
