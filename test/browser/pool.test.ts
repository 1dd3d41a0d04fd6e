// The worker pool in real headless Chromium: test/pool/browser-pool-check.html (no bundler)
// imports the BUILT package, whose createPool starts module Workers from
// dist/pool-worker.js, and compares every pool result bit for bit with the single-thread
// functions of the same variant (pairwise 2-D/batched/self/number[]/WasmTensor, topK split by
// queries and by corpus slices with ties and excludeSelf, streamed blocks, corpus handles,
// errors, destroy). Two origins: a plain one (buffers are transferred) and a cross-origin
// isolated one (COOP/COEP headers: SharedArrayBuffer in and out).

import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Browser, launchChromium } from './support/chromium.js';
import { type StaticServer, startStaticServer } from './support/server.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const CHECK_PAGE = 'test/pool/browser-pool-check.html';
const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

interface PoolReport {
  variant: string | null;
  threads: number;
  sharedMemory: boolean | null;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  checks: number;
  comparisons: number;
  failures: string[];
  milliseconds: number;
}

let browser: Browser;
const servers: StaticServer[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
});

async function openCheckPage(headers: Readonly<Record<string, string>>): Promise<{ page: Page; problems: string[] }> {
  const server = await startStaticServer(repositoryRoot, headers);
  servers.push(server);
  const opened = await browser.newPage();
  await opened.page.goto(`${server.url}${CHECK_PAGE}`);
  await opened.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return opened;
}

function runChecks(page: Page, options: { threads?: number; sharedMemory?: boolean }): Promise<PoolReport> {
  return page.evaluate(`window.cosinekitPoolCheck.runPoolChecks(${JSON.stringify(options)})`) as Promise<PoolReport>;
}

function expectClean(report: PoolReport, problems: string[]): void {
  console.info(
    `pool in Chromium: ${report.variant}, ${report.threads} workers, sharedMemory ${report.sharedMemory}, ` +
      `${report.checks} checks, ${report.comparisons} comparisons, ${report.milliseconds.toFixed(0)} ms`,
  );
  expect(report.failures).toEqual([]);
  expect(report.variant).toBe('relaxed');
  // Every check ran: the count is fixed by browser-pool-check.mjs (a check that threw would
  // end the run early and leave a failure above).
  expect(report.checks).toBeGreaterThanOrEqual(31);
  expect(report.comparisons).toBeGreaterThan(1_000_000);
  expect(problems).toEqual([]);
}

describe('pool of module Workers, page not cross-origin isolated', () => {
  let opened: { page: Page; problems: string[] };
  beforeAll(async () => {
    opened = await openCheckPage({});
  });

  test('SharedArrayBuffer is unavailable, so the pool transfers buffers', async () => {
    expect(await opened.page.evaluate('globalThis.crossOriginIsolated')).toBe(false);
    const report = await runChecks(opened.page, {});
    expect(report.crossOriginIsolated).toBe(false);
    expect(report.sharedMemory).toBe(false);
    expectClean(report, opened.problems);
  });

  test('asking for shared memory where the page cannot have it is a clear error', async () => {
    const message = await opened.page.evaluate(`window.cosinekitPoolCheck.createPoolError({ sharedMemory: true })`);
    expect(message).toMatch(/sharedMemory/);
  });

  test('three workers (more than the machine has cores) give the same results', async () => {
    const report = await runChecks(opened.page, { threads: 3 });
    expect(report.threads).toBe(3);
    expectClean(report, opened.problems);
  });
});

describe('pool of module Workers, cross-origin isolated page', () => {
  let opened: { page: Page; problems: string[] };
  beforeAll(async () => {
    opened = await openCheckPage(ISOLATION_HEADERS);
  });

  test('operands and results travel in SharedArrayBuffers', async () => {
    expect(await opened.page.evaluate('globalThis.crossOriginIsolated')).toBe(true);
    const report = await runChecks(opened.page, {});
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.sharedMemory).toBe(true);
    expectClean(report, opened.problems);
  });

  test('sharedMemory: false still transfers there', async () => {
    const report = await runChecks(opened.page, { sharedMemory: false });
    expect(report.sharedMemory).toBe(false);
    expectClean(report, opened.problems);
  });
});
