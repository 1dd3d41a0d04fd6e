// The pool's equality checks, for a real browser: a page module (no bundler) that imports the
// BUILT package by relative URL, starts a pool of module Workers (dist/pool-worker.js, found
// by the package itself through import.meta.url) and compares every result bit for bit with
// the single-thread functions of the same variant — the checks of test/pool.test.ts, minus
// the Node-only ones (fault injection, CJS, process exit).
//
// test/browser/pool.test.ts runs it in headless Chromium (plain and cross-origin isolated).
// Use: serve the repository root, open test/pool/browser-pool-check.html (it puts this
// module on `window.cosinekitPoolCheck` and sets `document.body.dataset.ready`), then
//   await page.evaluate('window.cosinekitPoolCheck.runPoolChecks({ sharedMemory: false })')
// and expect `failures` to be empty. `sharedMemory: true` needs a cross-origin-isolated page
// (responses with `Cross-Origin-Opener-Policy: same-origin` and
// `Cross-Origin-Embedder-Policy: require-corp`); leave it out to use whatever the page allows.
// The report is plain JSON: { variant, threads, sharedMemory, crossOriginIsolated,
// hardwareConcurrency, checks, comparisons, failures, milliseconds }.

import { createInstance } from '../../packages/cosinekit/dist/index.js';
import { createPool } from '../../packages/cosinekit/dist/pool.js';
import { awkwardCases, tensor, tiedCorpus, values } from './inputs.mjs';

const MAX_REPORTED_FAILURES = 20;

/**
 * Runs every check on a new pool and returns the report. Options: `threads` (default 2),
 * `sharedMemory` (default: what the page allows).
 */
export async function runPoolChecks({ threads = 2, sharedMemory } = {}) {
  const started = performance.now();
  const report = {
    variant: null,
    threads,
    sharedMemory: null,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    checks: 0,
    comparisons: 0,
    failures: [],
    milliseconds: 0,
  };
  const fail = (message) => {
    if (report.failures.length < MAX_REPORTED_FAILURES) report.failures.push(message);
  };
  /** Same length and the same bits in every element. */
  const same = (context, actual, expected) => {
    report.checks++;
    if (actual.length !== expected.length) return fail(`${context}: length ${actual.length}, expected ${expected.length}`);
    const left = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
    const right = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
    for (let index = 0; index < left.length; index++) {
      report.comparisons++;
      if (left[index] !== right[index]) return fail(`${context}[${index}]: got ${actual[index]}, expected ${expected[index]}`);
    }
  };
  const rejects = async (context, promise, pattern) => {
    report.checks++;
    try {
      await promise;
      fail(`${context}: resolved, expected a rejection`);
    } catch (error) {
      if (!pattern.test(String(error?.message))) fail(`${context}: rejected with ${error?.name}: ${error?.message}`);
    }
  };

  const options = { threads, parallelThreshold: 0 };
  if (sharedMemory !== undefined) options.sharedMemory = sharedMemory;
  let pool;
  try {
    pool = await createPool(options);
  } catch (error) {
    fail(`createPool(${JSON.stringify(options)}) failed: ${error?.name}: ${error?.message}`);
    report.milliseconds = performance.now() - started;
    return report;
  }
  report.variant = pool.variant;
  report.sharedMemory = pool.sharedMemory;
  const kit = await createInstance({ variant: pool.variant });
  try {
    {
      const a = tensor([601, 37], 11);
      const b = tensor([509, 37], 12);
      same('pairwise 2-D', (await pool.pairwiseCosine(a, b, { scale: 2.5, eps: 1e-6 })).data, kit.pairwiseCosine(a, b, { scale: 2.5, eps: 1e-6 }).data);
      same('pairwise self', (await pool.pairwiseCosine(a)).data, kit.pairwiseCosine(a).data);
      const asNumbers = { data: Array.from(b.data), shape: b.shape };
      same('pairwise number[]', (await pool.pairwiseCosine(a, asNumbers)).data, kit.pairwiseCosine(a, b).data);
      const wasmB = kit.alloc(b.shape);
      wasmB.data.set(b.data);
      same('pairwise WasmTensor', (await pool.pairwiseCosine(a, wasmB)).data, kit.pairwiseCosine(a, b).data);
      wasmB.dispose();
    }
    {
      const a = tensor([3, 211, 23], 14);
      const b = tensor([3, 263, 23], 15);
      same('pairwise batched', (await pool.pairwiseCosine(a, b)).data, kit.pairwiseCosine(a, b).data);
    }
    {
      const corpus = tiedCorpus(900, 31, 20);
      const queries = tensor([640, 31], 21);
      queries.data.fill(0, 5 * 31, 6 * 31);
      for (const k of [1, 10]) {
        const got = await pool.topK(queries, corpus, k);
        const want = kit.topK(queries, corpus, k);
        same(`topK by queries k=${k} indices`, got.indices, want.indices);
        same(`topK by queries k=${k} scores`, got.scores, want.scores);
      }
      const self = tiedCorpus(400, 27, 22);
      const got = await pool.topK(self, self, 5, { excludeSelf: true });
      const want = kit.topK(self, self, 5, { excludeSelf: true });
      same('topK excludeSelf indices', got.indices, want.indices);
      same('topK excludeSelf scores', got.scores, want.scores);
    }
    {
      const depth = 24;
      const corpus = tiedCorpus(9000, depth, 23);
      corpus.data.copyWithin(5000 * depth, 0, 4000 * depth);
      const queries = { data: corpus.data.slice(0, 12 * depth), shape: [12, depth] };
      for (const excludeSelf of [false, true]) {
        const got = await pool.topK(queries, corpus, 7, { excludeSelf });
        const want = kit.topK(queries, corpus, 7, { excludeSelf });
        same(`topK by slices excludeSelf=${excludeSelf} indices`, got.indices, want.indices);
        same(`topK by slices excludeSelf=${excludeSelf} scores`, got.scores, want.scores);
      }
    }
    {
      const a = tensor([333, 35], 24);
      const b = tensor([250, 35], 25);
      const blocks = [];
      for await (const block of pool.pairwiseCosineBlocks(a, b, { blockRows: 50 })) blocks.push(block);
      const expected = [...kit.pairwiseCosineBlocks(a, b, { blockRows: 50 })];
      report.checks++;
      if (blocks.length !== expected.length) fail(`blocks: ${blocks.length} blocks, expected ${expected.length}`);
      blocks.forEach((block, index) => {
        if (block.rowStart !== expected[index]?.rowStart || block.rows !== expected[index]?.rows) fail(`block ${index}: rows ${block.rowStart}+${block.rows}`);
        same(`block ${index}`, block.data, expected[index]?.data ?? new Float32Array(0));
      });
    }
    {
      const corpus = tiedCorpus(800, 19, 27);
      const handle = pool.setCorpus(corpus);
      await handle.ready;
      for (const seed of [28, 29]) {
        const queries = tensor([350, 19], seed);
        const got = await pool.topK(queries, handle, 6);
        const want = kit.topK(queries, corpus, 6);
        same(`handle topK seed ${seed} indices`, got.indices, want.indices);
        same(`handle topK seed ${seed} scores`, got.scores, want.scores);
      }
      const a = tensor([300, 19], 32);
      same('handle pairwise', (await pool.pairwiseCosine(a, handle)).data, kit.pairwiseCosine(a, corpus).data);
      handle.release();
      await rejects('released handle', pool.topK(a, handle, 3), /released corpus handle/);
    }
    // Quantised corpora: two queries over 140 000 rows split into corpus slices (merged),
    // 300 queries into chunks over a handle; rescoring from decoded rows and from vectors.
    {
      const depth = 32;
      const floats = tensor([140_000, depth], 33);
      floats.data.copyWithin(70_000 * depth, 0, 1000 * depth); // ties across slices
      for (const dtype of ['int8', 'binary', 'float16']) {
        const corpus = kit.quantize(floats, { dtype });
        const queries = tensor([2, depth], 34);
        for (const [label, options] of [['plain', {}], ['rescored', { rescore: true }]]) {
          const got = await pool.topK(queries, corpus, 8, options);
          const want = kit.topK(queries, corpus, 8, options);
          same(`${dtype} topK by slices ${label} indices`, got.indices, want.indices);
          same(`${dtype} topK by slices ${label} scores`, got.scores, want.scores);
        }
        const handle = pool.setCorpus(corpus);
        await handle.ready;
        const many = tensor([300, depth], 35);
        const options = { rescore: { multiplier: 2, vectors: floats } };
        const got = await pool.topK(many, handle, 5, options);
        const want = kit.topK(many, corpus, 5, options);
        same(`${dtype} handle topK by queries indices`, got.indices, want.indices);
        same(`${dtype} handle topK by queries scores`, got.scores, want.scores);
        await rejects(`${dtype} handle in pairwise`, pool.pairwiseCosine(many, handle), /the pool scores quantised corpora with topK only/);
        handle.release();
        corpus.dispose();
      }
    }
    // Awkward splits (tails of 1–3 rows, non-power-of-two scales, self-pairwise, few queries):
    // bitwise equal by construction.
    for (const entry of awkwardCases()) {
      const want = await entry.run(kit);
      const got = await entry.run(pool);
      if (got.length !== want.length) fail(`${entry.label}: ${got.length} results, expected ${want.length}`);
      got.forEach(([label, data], index) => same(`awkward: ${label}`, data, want[index]?.[1] ?? new Float32Array(0)));
    }
    await rejects('bad k', pool.topK(tensor([5, 4], 1), tensor([6, 4], 2), 7), /^k must be an integer from 1 to the corpus size \(6\), got 7$/);
  } catch (error) {
    fail(`unexpected ${error?.name}: ${error?.message}`);
  } finally {
    await pool.destroy();
  }
  await rejects('destroyed pool', pool.pairwiseCosine(tensor([4, 4], 1)), /destroyed pool/);
  report.milliseconds = performance.now() - started;
  return report;
}

/** The message createPool(options) rejects with, or null when it starts (then destroyed). */
export async function createPoolError(options) {
  try {
    const pool = await createPool(options);
    await pool.destroy();
    return null;
  } catch (error) {
    return `${error?.name}: ${error?.message}`;
  }
}
