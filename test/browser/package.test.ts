// The BUILT package (packages/cosinekit/dist/index.js) in real headless Chromium, loaded by
// relative URL from pages served on 127.0.0.1 with no bundler: the variant `init()` picks,
// every PyTorch fixture on every variant (checked in the page, tolerances as in
// test/fixtures.test.ts), pairwiseCosine and topK on every variant against a float64
// reference, errors, a module worker and a plain <script type="module"> page.

import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Browser, launchChromium } from './support/chromium.js';
import { type StaticServer, startStaticServer } from './support/server.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

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

let server: StaticServer;
let browser: Browser;
let page: Page;
let problems: string[];

/** Calls an export of pages/harness.js in the page, arguments passed as JSON. */
function callHarness<T>(name: string, ...args: unknown[]): Promise<T> {
  const list = args.map((argument) => JSON.stringify(argument)).join(', ');
  return page.evaluate(`window.cosinekitHarness.${name}(${list})`) as Promise<T>;
}

beforeAll(async () => {
  server = await startStaticServer(repositoryRoot);
  browser = await launchChromium();
  ({ page, problems } = await browser.newPage());
  await page.goto(`${server.url}test/browser/pages/harness.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('Chromium loads the built package and init() picks relaxed-simd', async () => {
  const result = await callHarness<{
    userAgent: string;
    init: { variant: string; memoryBytes: number };
    secondInit: { variant: string };
    backendInfo: { variant: string };
    supported: Record<string, boolean>;
  }>('probe');
  console.info(`browser: ${browser.version}, ${result.userAgent}`);
  if (process.env.COSINEKIT_RUNTIME_MATRIX) {
    appendFileSync(process.env.COSINEKIT_RUNTIME_MATRIX, `${JSON.stringify({ runtime: `Chromium ${browser.version}`, variant: result.init.variant, where: 'browser' })}\n`);
  }
  expect(result.supported).toEqual({ scalar: true, simd128: true, relaxed: true });
  expect(result.init.variant).toBe('relaxed');
  expect(result.init.memoryBytes).toBeGreaterThan(0);
  expect(result.secondInit.variant).toBe('relaxed'); // init is idempotent
  expect(result.backendInfo.variant).toBe('relaxed');
});

test('the in-page comparator rejects wrong values (so the fixture checks can fail)', async () => {
  const result = await callHarness<{ exactFailures: number; failures: number }>('comparatorSelfCheck');
  expect(result).toEqual({ exactFailures: 0, failures: 4 });
});

describe.each(['default', 'relaxed', 'simd128', 'scalar'] as const)('PyTorch fixtures in the page, %s', (variant) => {
  test('cosineSimilarity (copy and WasmTensor) and normalize within tolerance', async () => {
    const report = await callHarness<FixtureReport>('checkFixtures', variant);
    console.info(
      `${variant}: ${report.cosineCases} cosine + ${report.normalizeCases} normalize cases, ` +
        `${report.comparisons} values, max |error| ${report.maxAbsError.toExponential(2)}`,
    );
    expect(report.failures).toEqual([]);
    expect(report.variant).toBe(variant === 'default' ? 'relaxed' : variant);
    expect(report.cosineCases).toBeGreaterThanOrEqual(80);
    expect(report.normalizeCases).toBeGreaterThanOrEqual(50);
    expect(report.comparisons).toBeGreaterThan(1000);
    expect(report.maxAbsError).toBeLessThanOrEqual(1e-5);
    expect(report.heapAfter).toBe(report.heapBefore); // every temporary and WasmTensor freed
  });
});

describe.each(['default', 'relaxed', 'simd128', 'scalar'] as const)('pairwiseCosine and topK in the page, %s', (variant) => {
  test('against a float64 reference computed in the page (odd sizes, batched, scale, excludeSelf)', async () => {
    const report = await callHarness<FixtureReport>('checkPairwiseAndTopK', variant);
    console.info(`${variant}: pairwise/topK ${report.comparisons} values, max |error| ${report.maxAbsError.toExponential(2)}`);
    expect(report.failures).toEqual([]);
    expect(report.variant).toBe(variant === 'default' ? 'relaxed' : variant);
    expect(report.comparisons).toBeGreaterThan(5000);
    expect(report.heapAfter).toBe(report.heapBefore);
  });
});

describe.each(['default', 'relaxed', 'simd128', 'scalar'])('storage formats in Chromium, %s variant', (variant) => {
  test('int8 and binary codes, exact quantised scores, topK with excludeSelf and rescoring', async () => {
    const report = await callHarness<FixtureReport>('checkStorageFormats', variant);
    console.info(`${variant}: storage formats ${report.comparisons} values, max |error| ${report.maxAbsError.toExponential(2)}`);
    expect(report.failures).toEqual([]);
    expect(report.variant).toBe(variant === 'default' ? 'relaxed' : variant);
    expect(report.comparisons).toBeGreaterThan(9000);
    expect(report.heapAfter).toBe(report.heapBefore);
  });
});

test('errors keep their types and messages in the browser, and the library stays usable', async () => {
  const result = await callHarness<{ caught: { name: string; message: string }[]; afterError: number[] }>('checkErrors');
  expect(result.caught[0]?.name).toBe('RangeError');
  expect(result.caught[0]?.message).toContain('cannot broadcast x1 shape [3,4] with x2 shape [5,4]');
  expect(result.caught[1]?.name).toBe('RangeError');
  expect(result.caught[1]?.message).toContain('dim 2 is out of range');
  expect(result.caught[2]?.name).toBe('TypeError');
  expect(result.afterError[0]).toBeCloseTo(24 / 25, 6);
});

test('synchronous compile on the main thread: works or says why', async () => {
  const result = await callHarness<{ ok: boolean; variant?: string; message?: string }>('tryCreateInstanceSync', 'simd128');
  console.info(`createInstanceSync on Chromium's main thread: ${JSON.stringify(result)}`);
  if (result.ok) expect(result.variant).toBe('simd128');
  else expect(result.message).toMatch(/WebAssembly|compile|size/i);
});

test('createInstance({ wasm }) in the page: streamed Response, wrong MIME type, bytes, Module, URL', async () => {
  const result = await callHarness<{
    type: string;
    results: Record<string, { variant: string; values: number[] }>;
    refused: string | null;
  }>('checkWasmSources');
  expect(result.type).toBe('application/wasm');
  expect(Object.keys(result.results).sort()).toEqual(['bytes', 'module', 'streamed', 'url', 'wrongType']);
  for (const [name, { variant, values }] of Object.entries(result.results)) {
    expect(variant, name).toBe('simd128');
    expect(Math.abs(values[0]! - 24 / 25), name).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(values[1]!), name).toBeLessThanOrEqual(1e-6);
  }
  expect(result.refused).toContain('Error: cosinekit: createInstance option wasm holds the simd128 variant, but variant "scalar" was asked for');
});

test('a module worker imports the package and runs initSync on every variant', async () => {
  const result = await callHarness<{
    ok: boolean;
    message?: string;
    init: { variant: string };
    variants: Record<string, { cosine: number[]; normalize: number[] }>;
  }>('checkInWorker');
  expect(result.message).toBeUndefined();
  expect(result.ok).toBe(true);
  expect(result.init.variant).toBe('relaxed');
  expect(Object.keys(result.variants).sort()).toEqual(['relaxed', 'scalar', 'simd128']);
  for (const [variant, values] of Object.entries(result.variants)) {
    expect(Math.abs(values.cosine[0]! - 24 / 25), variant).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(values.normalize[0]! - 0.6), variant).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(values.normalize[1]! - 0.8), variant).toBeLessThanOrEqual(1e-6);
  }
});

test('a plain <script type="module"> page with no bundler works', async () => {
  const plain = await browser.newPage();
  const wasmRequests: string[] = [];
  plain.page.on('request', (request) => {
    if (request.url().endsWith('.wasm')) wasmRequests.push(new URL(request.url()).pathname);
  });
  try {
    await plain.page.goto(`${server.url}test/browser/pages/plain.html`);
    await plain.page.waitForSelector('body[data-status]', { timeout: 20_000 }).catch((error: Error) => {
      // A module that fails to load (404, syntax error) never sets the status: say what the page saw.
      throw new Error(`${error.message}\npage problems: ${JSON.stringify(plain.problems)}`);
    });
    expect(await plain.page.getAttribute('body', 'data-status')).toBe('ok');
    expect(await plain.page.textContent('#variant')).toBe('relaxed');
    expect(await plain.page.textContent('#cosine')).toBe((24 / 25).toFixed(6));
    expect(await plain.page.textContent('#normalize')).toBe('0.600000, 0.800000');
    // The default entry fetched the one asset it chose, next to dist/index.js.
    expect(wasmRequests).toEqual(['/packages/cosinekit/dist/cosinekit-relaxed.wasm']);
    expect(plain.problems).toEqual([]);
  } finally {
    await plain.page.close();
  }
});

test('cosinekit/inline from a plain <script type="module"> page: the same results, no .wasm request', async () => {
  const plain = await browser.newPage();
  const wasmRequests: string[] = [];
  plain.page.on('request', (request) => {
    if (request.url().endsWith('.wasm')) wasmRequests.push(request.url());
  });
  try {
    await plain.page.goto(`${server.url}test/browser/pages/plain-inline.html`);
    await plain.page.waitForSelector('body[data-status]', { timeout: 20_000 });
    expect(await plain.page.getAttribute('body', 'data-status')).toBe('ok');
    expect(await plain.page.textContent('#variant')).toBe('relaxed');
    expect(await plain.page.textContent('#cosine')).toBe((24 / 25).toFixed(6));
    expect(await plain.page.textContent('#normalize')).toBe('0.600000, 0.800000');
    expect(wasmRequests).toEqual([]);
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
