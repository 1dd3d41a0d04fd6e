// What Vite pages that import part of the default entry download: `vite build` of
// test/browser/vite-minimal (only `cosineSimilarity`) and test/browser/vite-losses (`clipLoss`
// and `topK`), no plugin, no configuration beyond a relative base, each served on 127.0.0.1
// and loaded in headless Chromium. Every response is counted (HTML, JS chunks, the .wasm) by
// the gzip -9 size of its body. The first page must fetch exactly one .wasm, the chosen
// variant's core module (the bundle leaves out the losses and the storage formats); the
// second the variant's full module, since it imports a loss. Both compute values checked by hand.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Browser, launchChromium } from './support/chromium.js';
import { type StaticServer, startStaticServer } from './support/server.js';

const vite = fileURLToPath(new URL('../../examples/semantic-search/node_modules/.bin/vite', import.meta.url));
/**
 * The issue's target for the page importing only `cosineSimilarity`, gzip -9 bytes: measured
 * 44.1 kB = HTML 248 + one JS chunk 15.4 kB + the relaxed core .wasm 28.4 kB (the page
 * importing every function, which needs the full module, was 105.3 kB).
 */
const TARGET = 50_000;
/** The page importing clipLoss and topK: the full relaxed module (~82.5 kB gzip) and its JS, with headroom. */
const LOSS_PAGE_BUDGET = 110_000;

interface Response {
  url: string;
  raw: number;
  gzip: number;
  type: string;
}

interface PageRun {
  outDirectory: string;
  responses: Response[];
  problems: string[];
  status: string | null;
  variant: string | null;
  result: string | null;
}

let server: StaticServer | null = null;
let browser: Browser;
const runs: PageRun[] = [];

/** Builds `page` with Vite, serves it, loads it and records what it fetched and showed. */
async function buildAndLoad(page: string): Promise<PageRun> {
  const pageDirectory = fileURLToPath(new URL(`./${page}/`, import.meta.url));
  const outDirectory = mkdtempSync(join(tmpdir(), `cosinekit-${page}-`));
  execFileSync(vite, ['build', '--logLevel', 'warn', '--base', './', '--outDir', outDirectory, '--emptyOutDir'], { cwd: pageDirectory, stdio: 'pipe' });
  await server?.close();
  server = await startStaticServer(outDirectory);
  const opened = await browser.newPage();
  const responses: Response[] = [];
  const pending: Promise<void>[] = [];
  opened.page.on('response', (response) => {
    pending.push(
      response.body().then((body) => {
        responses.push({ url: response.url(), raw: body.length, gzip: gzipSync(body, { level: 9 }).length, type: response.headers()['content-type'] ?? '' });
      }),
    );
  });
  await opened.page.goto(server.url);
  await opened.page.waitForSelector('body[data-status]', { timeout: 30_000 });
  const run: PageRun = {
    outDirectory,
    responses,
    problems: opened.problems,
    status: await opened.page.getAttribute('body', 'data-status'),
    variant: await opened.page.getAttribute('body', 'data-variant'),
    result: await opened.page.textContent('#result'),
  };
  await Promise.all(pending);
  runs.push(run);
  return run;
}

/** `relaxed core`, `simd128 full`, … for a cosinekit asset name or URL path, else the name itself. */
function moduleOf(file: string): string {
  const match = /(?:^|\/)cosinekit-(relaxed|simd128|scalar)(-core)?-[^/]*\.wasm$/.exec(file);
  return match === null ? file : `${match[1]} ${match[2] === undefined ? 'full' : 'core'}`;
}

const EVERY_MODULE = ['relaxed core', 'relaxed full', 'scalar core', 'scalar full', 'simd128 core', 'simd128 full'];

function report(label: string, run: PageRun, target: number): number {
  const total = run.responses.reduce((sum, response) => sum + response.gzip, 0);
  const rows = run.responses.map((response) => `  ${String(response.gzip).padStart(7)} B gzip  ${String(response.raw).padStart(7)} B raw  ${new URL(response.url).pathname}`);
  console.info(`${label}: ${run.responses.length} responses, ${total} B gzip -9 in all (limit ${target} B: ${total <= target ? 'met' : `${total - target} B over`})\n${rows.join('\n')}`);
  return total;
}

function fetchedModules(run: PageRun): string[] {
  return run.responses.filter((response) => new URL(response.url).pathname.endsWith('.wasm')).map((response) => moduleOf(new URL(response.url).pathname));
}

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const run of runs) rmSync(run.outDirectory, { recursive: true, force: true });
});

describe('a page importing only cosineSimilarity', () => {
  let run: PageRun;
  beforeAll(async () => {
    run = await buildAndLoad('vite-minimal');
  }, 120_000);

  test('works: relaxed-simd in Chromium, cos([3,4],[4,3]) = 0.96 and cos([1,0],[0,1]) = 0', () => {
    expect(run.status).toBe('ok');
    expect(run.variant).toBe('relaxed');
    expect(run.result).toBe(`${(24 / 25).toFixed(6)}, ${(0).toFixed(6)}`);
    expect(run.problems).toEqual([]);
  });

  test('Vite emitted all six modules, and the page fetched exactly one: the relaxed core module', () => {
    const emitted = readdirSync(join(run.outDirectory, 'assets')).filter((file) => file.endsWith('.wasm'));
    expect(emitted.map(moduleOf).sort()).toEqual(EVERY_MODULE);
    expect(fetchedModules(run)).toEqual(['relaxed core']);
    const wasm = run.responses.find((response) => response.url.endsWith('.wasm'));
    expect(wasm?.type).toBe('application/wasm');
    expect(run.responses.every((response) => response.url.startsWith(server!.url))).toBe(true);
  });

  test('gzip bytes of everything it downloads: at most 50 kB, and no JS of the losses or the storage formats', () => {
    expect(run.responses.length).toBeGreaterThanOrEqual(3); // the HTML, at least one JS chunk, the .wasm
    expect(report('Vite page importing cosineSimilarity', run, TARGET)).toBeLessThanOrEqual(TARGET);
    const scripts = readdirSync(join(run.outDirectory, 'assets')).filter((file) => file.endsWith('.js'));
    const code = scripts.map((file) => readFileSync(join(run.outDirectory, 'assets', file), 'utf8')).join('\n');
    // Error texts only those modules hold (kept verbatim by the minifier).
    expect(code).not.toContain('logitScale');
    expect(code).not.toContain('calibration');
    expect(code).toContain('cosine');
  });
});

describe('a page importing clipLoss and topK', () => {
  let run: PageRun;
  beforeAll(async () => {
    run = await buildAndLoad('vite-losses');
  }, 120_000);

  test('fetched exactly one module, the relaxed full one, and computed the loss: log(1 + e^-1) for identity rows at logit scale 1', () => {
    expect(run.status).toBe('ok');
    expect(run.variant).toBe('relaxed');
    expect(run.problems).toEqual([]);
    expect(fetchedModules(run)).toEqual(['relaxed full']);
    const result = JSON.parse(run.result ?? '{}') as { loss: number; indices: number[]; refusal: string };
    expect(result.loss).toBeCloseTo(Math.log1p(Math.exp(-1)), 6);
    // Query [1, 0] against rows [0, 1], [1, 1], [1, 0]: cosines 0, 0.707, 1.
    expect(result.indices).toEqual([2, 1]);
    report('Vite page importing clipLoss and topK', run, LOSS_PAGE_BUDGET);
  });

  test('a quantised corpus is refused with an Error that names what to import, since the bundle has no storage formats', () => {
    const result = JSON.parse(run.result ?? '{}') as { refusal: string };
    expect(result.refusal).toMatch(/^Error: cosinekit: topK\(\) needs the storage formats, whose code this bundle left out.*import quantize or QuantizedTensor from cosinekit/);
  });

  test('gzip bytes within its budget', () => {
    const total = run.responses.reduce((sum, response) => sum + response.gzip, 0);
    expect(total).toBeLessThanOrEqual(LOSS_PAGE_BUDGET);
  });
});
