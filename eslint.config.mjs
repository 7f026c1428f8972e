// ESLint flat config: typescript-eslint recommended, plus the dependency rule of the architecture:
// the pure core (domain, sizing, validation, parse/schema, reconcile, evaluate) may not import I/O libraries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioLibraries = ['bullmq', 'ioredis', '@stoqey/ib', 'pino', 'node:fs', 'node:net', 'node:http', 'fs', 'net', 'http'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: [
      'src/domain/**/*.ts',
      'src/sizing/**/*.ts',
      'src/validation/**/*.ts',
      'src/ingest/signal-schema.ts',
      'src/ingest/parse-signal.ts',
      'src/execution/reconcile.ts',
      'src/execution/evaluate.ts',
      'src/execution/bracket-answer.ts',
      'src/ib/ib-mapping.ts',
      'src/ib/ib-errors.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { paths: ioLibraries.map((name) => ({ name, message: 'pure core: no I/O here' })) }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'inject a Clock' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
