// What a Vite page that imports only `cosineSimilarity` from the default entry downloads:
// `vite build` of test/browser/vite-minimal (no plugin, no configuration beyond a relative
// base), served on 127.0.0.1 and loaded in headless Chromium. Every response is counted
// (HTML, JS chunks, the .wasm) by the gzip -9 size of its body; the page must fetch exactly
// one .wasm, the variant init() chose, and compute cos values checked by hand.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Browser, launchChromium } from './support/chromium.js';
import { type StaticServer, startStaticServer } from './support/server.js';

const pageDirectory = fileURLToPath(new URL('./vite-minimal/', import.meta.url));
const vite = fileURLToPath(new URL('../../examples/semantic-search/node_modules/.bin/vite', import.meta.url));
/**
 * Budget of the whole page, gzip -9 bytes, from the measured 0.1.0 figure with ~5 % headroom:
 * ~92 kB = HTML 244 + one JS chunk ~20.5 kB (Vite-minified; every function is a member of the
 * one Cosinekit instance, so importing one still bundles them all) + relaxed .wasm ~71.6 kB
 * (rustc's code, only stripped: wasm-opt -O3 saved ~5 kB here but slowed the integer and
 * binary top-k 1.5x, see scripts/build-wasm.sh); the quantised top-k's cached norms,
 * streamed one-query passes and binary query groups took the .wasm to ~79.9 kB (page
 * ~101 kB), supConLoss too to ~82.9 kB (page 105.3 kB: JS 22.1 kB). The issue's target is
 * 50 kB; this test prints how far the page is from it.
 */
const PAGE_GZIP_BUDGET = 110_000;
const TARGET = 50_000;

let outDirectory: string;
let server: StaticServer;
let browser: Browser;
const responses: { url: string; raw: number; gzip: number; type: string }[] = [];
let problems: string[] = [];
let status: string | null = null;
let variant: string | null = null;
let result: string | null = null;

beforeAll(async () => {
  outDirectory = mkdtempSync(join(tmpdir(), 'cosinekit-vite-minimal-'));
  execFileSync(vite, ['build', '--logLevel', 'warn', '--base', './', '--outDir', outDirectory, '--emptyOutDir'], { cwd: pageDirectory, stdio: 'pipe' });
  server = await startStaticServer(outDirectory);
  browser = await launchChromium();
  const opened = await browser.newPage();
  problems = opened.problems;
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
  status = await opened.page.getAttribute('body', 'data-status');
  variant = await opened.page.getAttribute('body', 'data-variant');
  result = await opened.page.textContent('#result');
  await Promise.all(pending);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDirectory) rmSync(outDirectory, { recursive: true, force: true });
});

test('the page works: relaxed-simd in Chromium, cos([3,4],[4,3]) = 0.96 and cos([1,0],[0,1]) = 0', () => {
  expect(status).toBe('ok');
  expect(variant).toBe('relaxed');
  expect(result).toBe(`${(24 / 25).toFixed(6)}, ${(0).toFixed(6)}`);
  expect(problems).toEqual([]);
});

test('Vite emitted the three assets, and the page fetched exactly one .wasm: the chosen variant', () => {
  const emitted = readdirSync(join(outDirectory, 'assets')).filter((file) => file.endsWith('.wasm'));
  const variantOf = (file: string) => /(?:^|\/)cosinekit-(relaxed|simd128|scalar)-[^/]*\.wasm$/.exec(file)?.[1] ?? file;
  expect(emitted.map(variantOf).sort()).toEqual(['relaxed', 'scalar', 'simd128']);
  const wasm = responses.filter((response) => new URL(response.url).pathname.endsWith('.wasm'));
  expect(wasm.map((response) => variantOf(new URL(response.url).pathname))).toEqual(['relaxed']);
  expect(wasm[0]!.type).toBe('application/wasm');
  expect(responses.every((response) => response.url.startsWith(server.url))).toBe(true);
});

test('gzip bytes of everything the page downloads, within the budget', () => {
  const total = responses.reduce((sum, response) => sum + response.gzip, 0);
  const rows = responses.map((response) => `  ${String(response.gzip).padStart(7)} B gzip  ${String(response.raw).padStart(7)} B raw  ${new URL(response.url).pathname}`);
  console.info(`Vite page importing cosineSimilarity: ${responses.length} responses, ${total} B gzip -9 in all (target ${TARGET} B: ${total <= TARGET ? 'met' : `${total - TARGET} B over`})\n${rows.join('\n')}`);
  expect(responses.length).toBeGreaterThanOrEqual(3); // the HTML, at least one JS chunk, the .wasm
  expect(total).toBeLessThanOrEqual(PAGE_GZIP_BUDGET);
});
