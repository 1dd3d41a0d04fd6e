// The browser checks in engines other than the Chromium suite's (scripts/test-browser-engines.sh):
// Firefox ESR through puppeteer-core, with relaxed SIMD on and off (the package pages, the pool
// page, and the Vite-built semantic-search example). A separate vitest
// invocation (test/browser/vitest.config.ts leaves this directory out), so the Chromium
// suite never needs Firefox. Each file starts its own 127.0.0.1 server and browser.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'browser-engines',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
