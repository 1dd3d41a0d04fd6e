// The browser suite: a separate vitest invocation (`pnpm run test:browser` in test/, or
// scripts/test-browser.sh), so the Node suite never needs Chromium. Each file starts its
// own localhost server and headless Debian Chromium and stops both.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'browser',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'engines/**'], // engines/: Firefox, its own run
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
