// examples/semantic-search end to end: typecheck and `vite build` the example, serve dist/ on
// 127.0.0.1, drive it in headless Chromium (type a query, pick a sentence, change k, click
// the heatmap, find the closest pairs on the worker pool that Vite bundled) and check every
// number on the page against an independent float64 reference of the same embedding and
// cosine (support/reference-embedding.ts, no cosinekit). Saves a screenshot to
// test/output/semantic-search.png.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CORPUS, TOPICS } from '../../examples/semantic-search/src/corpus.js';
import { ReferenceEmbedding, cosine64, rankAll } from './support/reference-embedding.js';
import { type Browser, launchChromium } from './support/chromium.js';
import { type StaticServer, startStaticServer } from './support/server.js';

const exampleDirectory = fileURLToPath(new URL('../../examples/semantic-search/', import.meta.url));
const outputDirectory = fileURLToPath(new URL('../output/', import.meta.url));
/** Page scores come from float32 embeddings and float32 kernels; the reference is float64. */
const SCORE_TOLERANCE = 5e-5;

const texts = CORPUS.map((sentence) => sentence.text);
const reference = new ReferenceEmbedding(texts);
const corpusVectors = texts.map((text) => reference.embed(text));

let server: StaticServer;
let browser: Browser;
let page: Page;
let problems: string[];
const requested: string[] = [];

function binary(name: string): string {
  return `${exampleDirectory}node_modules/.bin/${name}`;
}

beforeAll(async () => {
  const start = performance.now();
  execFileSync(binary('vite'), ['build', '--logLevel', 'warn'], { cwd: exampleDirectory, stdio: 'pipe' });
  console.info(`vite build: ${((performance.now() - start) / 1000).toFixed(2)} s`);
  server = await startStaticServer(`${exampleDirectory}dist`);
  browser = await launchChromium();
  ({ page, problems } = await browser.newPage());
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Row {
  index: number;
  score: number;
}

async function resultRows(expectedCount: number): Promise<Row[]> {
  await page.waitForFunction((count) => document.querySelectorAll('#results li').length === count, expectedCount);
  return page.$$eval('#results li', (items) =>
    items.map((item) => ({ index: Number((item as HTMLElement).dataset.index), score: Number((item as HTMLElement).dataset.score) })),
  );
}

/**
 * The page's ranking equals the float64 reference's: same scores rank by rank, and the same
 * sentences except where two reference scores are closer than the tolerance (a tie float32
 * may order either way).
 */
function expectSameRanking(rows: Row[], expected: Row[], context: string): void {
  expect(rows.length, context).toBe(expected.length);
  const referenceScore = new Map(expected.map((row) => [row.index, row.score]));
  rows.forEach((row, rank) => {
    const want = expected[rank]!;
    expect(Math.abs(row.score - want.score), `${context} rank ${rank + 1}: score ${row.score} vs ${want.score}`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    if (row.index !== want.index) {
      const own = referenceScore.get(row.index) ?? Number.NEGATIVE_INFINITY;
      expect(Math.abs(own - want.score), `${context} rank ${rank + 1}: #${row.index} instead of #${want.index}`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    }
  });
}

test('the example typechecks (tsc --noEmit)', () => {
  expect(() => execFileSync(binary('tsc'), ['--noEmit', '-p', '.'], { cwd: exampleDirectory, stdio: 'pipe' })).not.toThrow();
});

test('the built page loads cosinekit (relaxed-simd) and embeds the whole corpus', async () => {
  expect(await page.textContent('#stat-variant')).toBe('relaxed');
  expect(await page.textContent('#corpus-size')).toBe(String(CORPUS.length));
  expect(await page.getAttribute('#status', 'data-state')).toBe('ready');
  expect(await page.textContent('#status')).toContain(`${CORPUS.length} sentences × 256 dimensions`);
  expect(await page.$$eval('#pick option', (options) => options.length)).toBe(CORPUS.length + 1);
});

test('a typed query: top-5 from topK matches the float64 reference', async () => {
  const query = 'how long should bread dough rise before baking';
  await page.fill('#query', query);
  await page.click('#search');
  const rows = await resultRows(5);
  const expected = rankAll(reference.embed(query), corpusVectors).slice(0, 5);
  expectSameRanking(rows, expected, query);
  expect(CORPUS[rows[0]!.index]!.topic).toBe('cooking');
  expect(CORPUS[rows[0]!.index]!.text).toContain('dough');
  expect(await page.textContent('#query-timing')).toMatch(/topK \(k = 5\) over 240 × 256 in [\d.]+ (µs|ms) per call/);
  // Words shared with the query are highlighted.
  expect(await page.$$eval('#results li:first-child mark', (marks) => marks.map((mark) => mark.textContent?.toLowerCase()))).toContain('dough');
});

test('picking a sentence ranks its neighbours, leaves it out, and k = 10 updates the list', async () => {
  const chosen = CORPUS.findIndex((sentence) => sentence.text.startsWith('Through a small telescope'));
  expect(chosen).toBeGreaterThanOrEqual(0);
  await page.selectOption('#pick', String(chosen));
  const expected = rankAll(corpusVectors[chosen]!, corpusVectors).filter((row) => row.index !== chosen);
  const five = await resultRows(5);
  expect(five.map((row) => row.index)).not.toContain(chosen);
  expectSameRanking(five, expected.slice(0, 5), 'like #' + chosen);
  expect(CORPUS[five[0]!.index]!.topic).toBe('astronomy');
  await page.selectOption('#k', '10');
  const ten = await resultRows(10);
  expectSameRanking(ten, expected.slice(0, 10), 'like #' + chosen + ', k = 10');
});

test('the heatmap shows the expected subset, and a clicked cell shows its pairwiseCosine value', async () => {
  // The subset, chosen independently from float64 cosines: per topic the most central sentence, then its two nearest.
  const expectedSubset: number[] = [];
  for (const topic of TOPICS) {
    const members = CORPUS.filter((sentence) => sentence.topic === topic).map((sentence) => sentence.index);
    const centrality = members.map((row) => members.filter((column) => column !== row).reduce((sum, column) => sum + cosine64(corpusVectors[row]!, corpusVectors[column]!), 0));
    const central = members[centrality.indexOf(Math.max(...centrality))]!;
    const nearest = rankAll(corpusVectors[central]!, corpusVectors)
      .filter((row) => row.index !== central && CORPUS[row.index]!.topic === topic)
      .slice(0, 2)
      .map((row) => row.index);
    expectedSubset.push(central, ...nearest);
  }
  const subset = ((await page.getAttribute('#heatmap', 'data-subset')) ?? '').split(',').map(Number);
  expect(subset).toEqual(expectedSubset);

  // Layout of src/heatmap.ts: 96 px of labels on the left, 14 px on top, 16 px cells.
  for (const [row, column] of [
    [0, 1],
    [4, 5],
    [2, 17],
  ] as const) {
    await page.click('#heatmap', { position: { x: 96 + column * 16 + 8, y: 14 + row * 16 + 8 } });
    const shown = await page.$eval('#pair', (element) => {
      const { first, second, score } = (element as HTMLElement).dataset;
      return { first, second, score, text: element.textContent ?? '' };
    });
    expect(Number(shown.first)).toBe(subset[row]);
    expect(Number(shown.second)).toBe(subset[column]);
    const want = cosine64(corpusVectors[subset[row]!]!, corpusVectors[subset[column]!]!);
    expect(Math.abs(Number(shown.score) - want), `cell (${row}, ${column})`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    expect(shown.text).toContain(want.toFixed(2).slice(0, 3)); // the value is printed too
  }
});

test('closest pairs on the worker pool: the Vite-built worker runs and matches the float64 reference', async () => {
  await page.click('#pairs');
  await page.waitForFunction(() => document.querySelector('#pairs-timing')?.getAttribute('data-state') === 'done', null, { timeout: 30_000 });
  const shown = await page.$$eval('#pairs-list li', (items) =>
    items.map((item) => {
      const { first, second, score } = (item as HTMLElement).dataset;
      return { first: Number(first), second: Number(second), score: Number(score) };
    }),
  );
  // Reference: every sentence's float64 nearest neighbour, distinct pairs, best first.
  const pairs = new Map<string, { first: number; second: number; score: number }>();
  corpusVectors.forEach((vector, row) => {
    const nearest = rankAll(vector, corpusVectors).find((entry) => entry.index !== row)!;
    const [first, second] = row < nearest.index ? [row, nearest.index] : [nearest.index, row];
    pairs.set(`${first},${second}`, { first, second, score: nearest.score });
  });
  const expected = [...pairs.values()].sort((x, y) => y.score - x.score).slice(0, 5);
  expect(shown).toHaveLength(5);
  shown.forEach((pair, rank) => {
    expect(pair.first).toBeLessThan(pair.second);
    expect(Math.abs(pair.score - expected[rank]!.score), `rank ${rank + 1}`).toBeLessThanOrEqual(SCORE_TOLERANCE);
    // The pair itself: the expected one, or one whose float64 cosine ties it within tolerance.
    const own = cosine64(corpusVectors[pair.first]!, corpusVectors[pair.second]!);
    expect(Math.abs(own - expected[rank]!.score), `rank ${rank + 1}: ${pair.first} ↔ ${pair.second}`).toBeLessThanOrEqual(SCORE_TOLERANCE);
  });
  expect(await page.textContent('#pairs-timing')).toMatch(/^2 workers \(relaxed, transferred buffers\): nearest neighbour of all 240 sentences in [\d.]+ (µs|ms)/);
  // Vite emitted the pool's worker script as an asset and the page started it from there.
  expect(requested.filter((url) => /\/assets\/pool-worker-[\w-]+\.js$/.test(url)).length).toBeGreaterThan(0);
  // A second click reuses the pool: same pairs.
  await page.click('#pairs');
  await page.waitForFunction(() => document.querySelector('#pairs-timing')?.getAttribute('data-state') === 'done', null, { timeout: 30_000 });
  const again = await page.$$eval('#pairs-list li', (items) => items.map((item) => (item as HTMLElement).dataset.score));
  expect(again.map(Number)).toEqual(shown.map((pair) => pair.score));
});

test('screenshot, no errors, and no request left the local server', async () => {
  // The state a person would look at: a query with its results and a pinned same-topic cell.
  await page.fill('#query', 'which planet has rings you can see with a telescope');
  await page.click('#search');
  await resultRows(10);
  await page.click('#heatmap', { position: { x: 96 + 4 * 16 + 8, y: 14 + 3 * 16 + 8 } });
  mkdirSync(outputDirectory, { recursive: true });
  await page.screenshot({ path: `${outputDirectory}semantic-search.png`, fullPage: true });
  expect(problems).toEqual([]);
  expect(requested.length).toBeGreaterThan(0);
  expect(requested.filter((url) => !url.startsWith(server.url))).toEqual([]);
});
