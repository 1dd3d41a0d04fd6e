// The browser checks of package.test.ts and pool.test.ts for an engine driven by
// puppeteer-core (Firefox ESR here), parameterised by the variant `auto` must pick there:
// the same in-page harness (pages/harness.js: PyTorch fixtures, pairwiseCosine/topK and
// storage formats against float64 references computed in the page, errors, a module worker),
// the plain <script type="module"> page and the pool check page (test/pool/, module Workers,
// with and without cross-origin isolation), all loading the BUILT package by relative URL
// from a 127.0.0.1 server. Each test file calls defineBrowserChecks once.

import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StaticServer, startStaticServer } from '../support/server.js';
import type { EngineBrowser } from './firefox.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ALL_VARIANTS = ['relaxed', 'simd128', 'scalar'] as const;
type Variant = (typeof ALL_VARIANTS)[number];
const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

interface FixtureReport {
  variant: string;
  cosineCases: number;
  normalizeCases: number;
  comparisons: number;
  maxAbsError: number;
  heapBefore: number;
  heapAfter: number;
  failures: string[];
}

interface PoolReport {
  variant: string | null;
  threads: number;
  sharedMemory: boolean | null;
  crossOriginIsolated: boolean;
  checks: number;
  comparisons: number;
  failures: string[];
  milliseconds: number;
}

export interface BrowserChecksOptions {
  /** Shown in test names and the runtime matrix, e.g. `Firefox ESR`. */
  name: string;
  launch: () => Promise<EngineBrowser>;
  /** What init() must pick; relaxed must be supported exactly when this is 'relaxed'. */
  expectedVariant: 'relaxed' | 'simd128';
}

async function openPage(browser: EngineBrowser, url: string): Promise<{ page: Page; problems: string[] }> {
  const opened = await browser.newPage();
  await opened.page.goto(url);
  // A browser's first start on a fresh machine (profile creation, first WASM compile) on a
  // loaded two-core runner has taken more than 30 s; the hook allows 120 s.
  await opened.page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 }).catch((error: Error) => {
    throw new Error(`${url} did not become ready: ${error.message}; page problems: ${opened.problems.join(' | ') || 'none'}`, { cause: error });
  });
  return opened;
}

export function defineBrowserChecks({ name, launch, expectedVariant }: BrowserChecksOptions): void {
  const supportedVariants: readonly Variant[] = expectedVariant === 'relaxed' ? ALL_VARIANTS : ['simd128', 'scalar'];
  const label = `${name}, relaxed SIMD ${expectedVariant === 'relaxed' ? 'on' : 'off'}`;
  let browser: EngineBrowser;
  let server: StaticServer;
  let page: Page;
  let problems: string[];

  /**
   * Calls an export of pages/harness.js in the page, arguments and result passed as JSON text:
   * puppeteer's BiDi deserialiser returns undefined for an object met twice in one result
   * (probe's `init` and `secondInit` are the same frozen object).
   */
  async function callHarness<T>(functionName: string, ...args: unknown[]): Promise<T> {
    const list = args.map((argument) => JSON.stringify(argument)).join(', ');
    const text = await page.evaluate(`Promise.resolve(window.cosinekitHarness.${functionName}(${list})).then((result) => JSON.stringify(result))`);
    return JSON.parse(text as string) as T;
  }

  beforeAll(async () => {
    server = await startStaticServer(repositoryRoot);
    browser = await launch();
    ({ page, problems } = await openPage(browser, `${server.url}test/browser/pages/harness.html`));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  describe(`${label}: the built package in a page`, () => {
    test(`init() picks ${expectedVariant}`, async () => {
      const result = await callHarness<{
        userAgent: string;
        init: { variant: string; memoryBytes: number };
        secondInit: { variant: string };
        backendInfo: { variant: string };
        supported: Record<string, boolean>;
      }>('probe');
      console.info(`browser: ${browser.version}, ${result.userAgent}: variant ${result.init.variant}, supported ${JSON.stringify(result.supported)}`);
      if (process.env.COSINEKIT_RUNTIME_MATRIX) {
        appendFileSync(process.env.COSINEKIT_RUNTIME_MATRIX, `${JSON.stringify({ runtime: `${label} (${browser.version})`, variant: result.init.variant, where: 'browser' })}\n`);
      }
      expect(result.supported).toEqual({ scalar: true, simd128: true, relaxed: expectedVariant === 'relaxed' });
      expect(result.init.variant).toBe(expectedVariant);
      expect(result.init.memoryBytes).toBeGreaterThan(0);
      expect(result.secondInit.variant).toBe(expectedVariant); // init is idempotent
      expect(result.backendInfo.variant).toBe(expectedVariant);
    });

    test('the in-page comparator rejects wrong values (so the fixture checks can fail)', async () => {
      expect(await callHarness('comparatorSelfCheck')).toEqual({ exactFailures: 0, failures: 4 });
    });

    describe.each(['default', ...supportedVariants])('%s variant', (variant) => {
      const want = variant === 'default' ? expectedVariant : variant;

      test('PyTorch fixtures: cosineSimilarity (copy and WasmTensor) and normalize within tolerance', async () => {
        const report = await callHarness<FixtureReport>('checkFixtures', variant);
        console.info(`${name} ${variant}: ${report.cosineCases} cosine + ${report.normalizeCases} normalize cases, max |error| ${report.maxAbsError.toExponential(2)}`);
        expect(report.failures).toEqual([]);
        expect(report.variant).toBe(want);
        expect(report.cosineCases).toBeGreaterThanOrEqual(80);
        expect(report.normalizeCases).toBeGreaterThanOrEqual(50);
        expect(report.comparisons).toBeGreaterThan(1000);
        expect(report.maxAbsError).toBeLessThanOrEqual(1e-5);
        expect(report.heapAfter).toBe(report.heapBefore);
      });

      test('pairwiseCosine and topK against a float64 reference computed in the page', async () => {
        const report = await callHarness<FixtureReport>('checkPairwiseAndTopK', variant);
        expect(report.failures).toEqual([]);
        expect(report.variant).toBe(want);
        expect(report.comparisons).toBeGreaterThan(5000);
        expect(report.heapAfter).toBe(report.heapBefore);
      });

      test('storage formats: int8 and binary codes, exact quantised scores, topK with excludeSelf and rescoring', async () => {
        const report = await callHarness<FixtureReport>('checkStorageFormats', variant);
        expect(report.failures).toEqual([]);
        expect(report.variant).toBe(want);
        expect(report.comparisons).toBeGreaterThan(9000);
        expect(report.heapAfter).toBe(report.heapBefore);
      });
    });

    if (expectedVariant !== 'relaxed') {
      test('asking for the relaxed variant where the engine refuses it is a clear error', async () => {
        const message = await page.evaluate(`import('${server.url}packages/cosinekit/dist/index.js')
          .then((kit) => kit.createInstance({ variant: 'relaxed' }))
          .then(() => 'resolved', (error) => error.constructor.name + ': ' + error.message)`);
        expect(message).toMatch(/^Error: cosinekit: this engine does not support the relaxed variant/);
      });
    }

    test('errors keep their types and messages, and the library stays usable', async () => {
      const result = await callHarness<{ caught: { name: string; message: string }[]; afterError: number[] }>('checkErrors');
      expect(result.caught.map((error) => error.name)).toEqual(['RangeError', 'RangeError', 'TypeError']);
      expect(result.caught[0]?.message).toContain('cannot broadcast x1 shape [3,4] with x2 shape [5,4]');
      expect(result.caught[1]?.message).toContain('dim 2 is out of range');
      expect(Math.abs(result.afterError[0]! - 24 / 25)).toBeLessThanOrEqual(1e-6);
    });

    test('synchronous compile on the main thread: works or says why', async () => {
      const result = await callHarness<{ ok: boolean; variant?: string; message?: string }>('tryCreateInstanceSync', 'simd128');
      console.info(`createInstanceSync on ${name}'s main thread: ${JSON.stringify(result)}`);
      if (result.ok) expect(result.variant).toBe('simd128');
      else expect(result.message).toMatch(/WebAssembly|compile|size/i);
    });

    test('a module worker imports the package and runs initSync on every supported variant', async () => {
      const result = await callHarness<{
        ok: boolean;
        message?: string;
        init: { variant: string };
        variants: Record<string, { cosine: number[]; normalize: number[] }>;
      }>('checkInWorker');
      expect(result.message).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.init.variant).toBe(expectedVariant);
      expect(Object.keys(result.variants).sort()).toEqual([...supportedVariants].sort());
      for (const [variant, values] of Object.entries(result.variants)) {
        expect(Math.abs(values.cosine[0]! - 24 / 25), variant).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(values.normalize[0]! - 0.6), variant).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(values.normalize[1]! - 0.8), variant).toBeLessThanOrEqual(1e-6);
      }
    });

    test('a plain <script type="module"> page with no bundler works', async () => {
      const plain = await browser.newPage();
      try {
        await plain.page.goto(`${server.url}test/browser/pages/plain.html`);
        await plain.page.waitForSelector('body[data-status]', { timeout: 20_000 }).catch((error: Error) => {
          throw new Error(`${error.message}\npage problems: ${JSON.stringify(plain.problems)}`);
        });
        const text = (selector: string) => plain.page.$eval(selector, (element) => element.textContent);
        expect(await plain.page.$eval('body', (element) => element.getAttribute('data-status'))).toBe('ok');
        expect(await text('#variant')).toBe(expectedVariant);
        expect(await text('#cosine')).toBe((24 / 25).toFixed(6));
        expect(await text('#normalize')).toBe('0.600000, 0.800000');
        expect(plain.problems).toEqual([]);
      } finally {
        await plain.page.close();
      }
    });

    test('no page error or console error, and every request stayed on the test server', () => {
      expect(problems).toEqual([]);
      expect(server.requests).toContain('/packages/cosinekit/dist/index.js');
      expect(server.requests).toContain('/test/fixtures/cosine.json');
      expect(server.requests.every((path) => !path.includes('..'))).toBe(true);
    });
  });

  describe.each([
    { origin: 'not cross-origin isolated', headers: {}, isolated: false },
    { origin: 'cross-origin isolated', headers: ISOLATION_HEADERS, isolated: true },
  ])(`${label}: the worker pool (module Workers), page $origin`, ({ headers, isolated }) => {
    let poolServer: StaticServer;
    let opened: { page: Page; problems: string[] };
    beforeAll(async () => {
      poolServer = await startStaticServer(repositoryRoot, headers);
      opened = await openPage(browser, `${poolServer.url}test/pool/browser-pool-check.html`);
    });
    afterAll(async () => {
      await opened?.page.close();
      await poolServer?.close();
    });

    test(`bitwise equal to one thread; ${isolated ? 'SharedArrayBuffers' : 'transferred buffers'}`, async () => {
      expect(await opened.page.evaluate('globalThis.crossOriginIsolated')).toBe(isolated);
      const report = (await opened.page.evaluate('window.cosinekitPoolCheck.runPoolChecks({})')) as PoolReport;
      console.info(
        `pool in ${name}: ${report.variant}, ${report.threads} workers, sharedMemory ${report.sharedMemory}, ` +
          `${report.checks} checks, ${report.comparisons} comparisons, ${report.milliseconds.toFixed(0)} ms`,
      );
      expect(report.failures).toEqual([]);
      expect(report.variant).toBe(expectedVariant);
      expect(report.crossOriginIsolated).toBe(isolated);
      expect(report.sharedMemory).toBe(isolated);
      expect(report.checks).toBeGreaterThanOrEqual(31); // fixed by browser-pool-check.mjs
      expect(report.comparisons).toBeGreaterThan(1_000_000);
      expect(opened.problems).toEqual([]);
    });
  });
}
