import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', 'browser/**', 'lifetimes/**'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gc',
          include: ['lifetimes/**/*.test.ts'],
          pool: 'forks',
          execArgv: ['--expose-gc'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'relaxed',
          include: ['variants/**/*.test.ts', 'binding.test.ts', 'quantized.test.ts', 'quant-fixtures.test.ts', 'robustness/fuzz.test.ts', 'robustness/abi.test.ts', 'loading-wasm.test.ts', 'core-module.test.ts'],
          pool: 'forks',
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { COSINEKIT_EXPECT_RELAXED: '1' },
          testTimeout: 60_000,
        },
      },
    ],
  },
});
