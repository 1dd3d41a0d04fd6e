// examples/semantic-search, built with Vite, in Firefox ESR with relaxed SIMD on and off:
// the checks of ../semantic-search.test.ts that depend on the engine (the variant the page
// shows, a typed query's topK, a picked sentence's neighbours at k = 5 and 10, a heatmap cell's
// pairwiseCosine value, the closest pairs on the Vite-bundled worker pool), every number
// against the independent float64 reference (../support/reference-embedding.ts, no
// cosinekit). Built once into a temporary directory, so the Chromium suite's
// examples/semantic-search/dist is left alone.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CORPUS } from '../../../examples/semantic-search/src/corpus.js';
import { ReferenceEmbedding, cosine64, rankAll } from '../support/reference-embedding.js';
import { type StaticServer, startStaticServer } from '../support/server.js';
import { type EngineBrowser, launchFirefox } from './firefox.js';

const exampleDirectory = fileURLToPath(new URL('../../../examples/semantic-search/', import.meta.url));
/** Page scores come from float32 embeddings and float32 kernels; the reference is float64. */
const SCORE_TOLERANCE = 5e-5;
const reference = new ReferenceEmbedding(CORPUS.map((sentence) => sentence.text));
const corpusVectors = CORPUS.map((sentence) => reference.embed(sentence.text));

interface Row {
  index: number;
  score: number;
}

let outDirectory: string;
let server: StaticServer;

beforeAll(() => {
  outDirectory = mkdtempSync(join(tmpdir(), 'cosinekit-semantic-search-'));
  execFileSync(join(exampleDirectory, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn', '--outDir', outDirectory, '--emptyOutDir'], {
    cwd: exampleDirectory,
    stdio: 'pipe',
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(outDirectory, { recursive: true, force: true });
});

/** Same scores rank by rank; a different sentence only where the reference ties within tolerance. */
function expectSameRanking(rows: Row[], expected: Row[], context: string): void {
  expect(rows.length, context).toBe(expected.length);
  const referenceScore = new Map(expected.map((row) => [row.index, row.score]));
  rows.forEach((row, rank) => {
    const want = expected[rank]!;
    expect(Math.abs(row.score - want.score), `${context} rank ${rank + 1}`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    if (row.index !== want.index) {
      expect(Math.abs((referenceScore.get(row.index) ?? Number.NEGATIVE_INFINITY) - want.score), `${context} rank ${rank + 1}: #${row.index}`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    }
  });
}

describe.each([
  { relaxedSimd: true, variant: 'relaxed' },
  { relaxedSimd: false, variant: 'simd128' },
])('examples/semantic-search in Firefox ESR, relaxed SIMD $relaxedSimd', ({ relaxedSimd, variant }) => {
  let browser: EngineBrowser;
  let page: Page;
  let problems: string[];
  const requested: string[] = [];

  beforeAll(async () => {
    server ??= await startStaticServer(outDirectory);
    browser = await launchFirefox({ relaxedSimd });
    ({ page, problems } = await browser.newPage());
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function resultRows(count: number): Promise<Row[]> {
    await page.waitForFunction((expected) => document.querySelectorAll('#results li').length === expected, {}, count);
    return page.$$eval('#results li', (items) => items.map((item) => ({ index: Number((item as HTMLElement).dataset.index), score: Number((item as HTMLElement).dataset.score) })));
  }

  test(`the page loads cosinekit (${variant}) and embeds the whole corpus`, async () => {
    expect(await page.$eval('#stat-variant', (element) => element.textContent)).toBe(variant);
    expect(await page.$eval('#corpus-size', (element) => element.textContent)).toBe(String(CORPUS.length));
    expect(await page.$eval('#status', (element) => element.getAttribute('data-state'))).toBe('ready');
  });

  test('a typed query and a picked sentence (k = 5, then 10): topK matches the float64 reference', async () => {
    const query = 'how long should bread dough rise before baking';
    await page.locator('#query').fill(query);
    await page.click('#search');
    expectSameRanking(await resultRows(5), rankAll(reference.embed(query), corpusVectors).slice(0, 5), query);

    const chosen = CORPUS.findIndex((sentence) => sentence.text.startsWith('Through a small telescope'));
    await page.select('#pick', String(chosen));
    const expected = rankAll(corpusVectors[chosen]!, corpusVectors).filter((row) => row.index !== chosen);
    expectSameRanking(await resultRows(5), expected.slice(0, 5), `like #${chosen}`);
    await page.select('#k', '10');
    expectSameRanking(await resultRows(10), expected.slice(0, 10), `like #${chosen}, k = 10`);
  });

  test('a clicked heatmap cell shows its pairwiseCosine value', async () => {
    const subset = ((await page.$eval('#heatmap', (element) => element.getAttribute('data-subset'))) ?? '').split(',').map(Number);
    expect(subset.length).toBeGreaterThan(17);
    const heatmap = (await page.$('#heatmap'))!;
    // Layout of src/heatmap.ts: 96 px of labels on the left, 14 px on top, 16 px cells.
    for (const [row, column] of [
      [0, 1],
      [2, 17],
    ] as const) {
      await heatmap.click({ offset: { x: 96 + column * 16 + 8, y: 14 + row * 16 + 8 } });
      const shown = await page.$eval('#pair', (element) => ({ ...(element as HTMLElement).dataset }));
      expect(Number(shown.first)).toBe(subset[row]);
      expect(Number(shown.second)).toBe(subset[column]);
      const want = cosine64(corpusVectors[subset[row]!]!, corpusVectors[subset[column]!]!);
      expect(Math.abs(Number(shown.score) - want), `cell (${row}, ${column})`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    }
  });

  test('closest pairs on the Vite-bundled worker pool match the float64 reference', async () => {
    await page.click('#pairs');
    await page.waitForFunction(() => document.querySelector('#pairs-timing')?.getAttribute('data-state') === 'done', { timeout: 30_000 });
    const shown = await page.$$eval('#pairs-list li', (items) => items.map((item) => Number((item as HTMLElement).dataset.score)));
    const best = new Map<string, number>();
    corpusVectors.forEach((vector, row) => {
      const nearest = rankAll(vector, corpusVectors).find((entry) => entry.index !== row)!;
      best.set([row, nearest.index].sort((x, y) => x - y).join(','), nearest.score);
    });
    const expected = [...best.values()].sort((x, y) => y - x).slice(0, 5);
    expect(shown).toHaveLength(5);
    shown.forEach((score, rank) => expect(Math.abs(score - expected[rank]!), `rank ${rank + 1}`).toBeLessThanOrEqual(SCORE_TOLERANCE));
    expect(await page.$eval('#pairs-timing', (element) => element.textContent)).toMatch(new RegExp(`^2 workers \\(${variant}, transferred buffers\\)`));
    expect(requested.some((url) => /\/assets\/pool-worker-[\w-]+\.js$/.test(url))).toBe(true);
  });

  test('no errors, and no request left the local server', () => {
    expect(problems).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    // Firefox reports the page's inline `data:,` favicon as a request; it never leaves the page.
    expect(requested.filter((url) => !url.startsWith(server.url) && !url.startsWith('data:'))).toEqual([]);
  });
});
