// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const components = ['auth-server', 'resource-services', 'gateway', 'bin'];

/** Files under `folder` may not import the listed folders (CONVENTIONS.md: who may import whom). */
const forbid = (folder, banned) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/**`, `**/${b}`],
          message: `${folder}/ may not import ${b}/ (see CONVENTIONS.md, "Who may import whom").`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'dist/**',
      'coverage/**',
      'test-output/**',
      'bin/chirp.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] } },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: 'error',
      curly: 'error',
      'no-console': 'error',
    },
  },
  forbid('config', ['platform', ...components]),
  forbid('platform', components),
  forbid('auth-server', ['resource-services', 'gateway', 'bin', 'test']),
  forbid('resource-services/users', ['tweets', 'feeds', 'gateway', 'auth-server', 'bin', 'test']),
  forbid('resource-services/tweets', ['users', 'feeds', 'gateway', 'auth-server', 'bin', 'test']),
  forbid('resource-services/feeds', ['users', 'tweets', 'gateway', 'auth-server', 'bin', 'test']),
  forbid('gateway', ['auth-server', 'resource-services', 'bin', 'test']),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // chai's expect(...).to.be.true style is an expression statement.
      '@typescript-eslint/no-unused-expressions': 'off',
      'no-console': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
