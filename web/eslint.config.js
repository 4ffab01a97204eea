// eslint for the editor: the recommended JavaScript and typescript-eslint
// rules, and React's hooks rules: the rules of hooks and exhaustive effect
// dependencies, both errors. `npm run lint`; .ci/run runs it after
// check-format.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'test-output/', 'src/api.gen.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: globals.browser },
    // Not the plugin's whole recommended set: its other rules (set-state-in-
    // effect, refs, immutability, purity...) check code for the React
    // Compiler, which the editor does not use, and would flag its deliberate
    // patterns (loading data in an effect, a ref read to skip a stale answer).
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // `_name` destructures a key away to leave the rest.
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'vite.config.ts', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The browser tests run in Node and hand functions to the page (evaluate).
    files: ['tests/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
