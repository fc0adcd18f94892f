// ESLint flat config: typescript-eslint's strict, type-aware rule set over every
// TypeScript file of the product, its simulator, the demo gestionale and the tests.
// Formatting is Prettier's job (.prettierrc.json); no stylistic rule here.
// Why these tools and each exception below: docs/decisions/0004-lint-and-format.md.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'data/**', '**/*.d.ts'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers read naturally in messages (`${count} positions`); objects and
      // possibly-undefined values still do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // With noUncheckedIndexedAccess every indexed read is `T | undefined`; a `!`
      // after a length or regex check is the explicit, reviewable assertion.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Arrow shorthands returning void (`(done) => resolve()`) are clear enough.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON answers (`any` by nature) and assert on shapes the
    // compiler cannot know; the unsafe-any family would only add casts.
    files: ['test/**/*.ts', 'vitest.config.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['views/**/*.js', 'demo-gestionale/views/**/*.js', 'simulator/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
