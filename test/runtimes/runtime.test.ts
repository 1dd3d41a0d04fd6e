// The runtime matrix's own check, part of the node project so it runs under every runtime
// that runs the suite (Node 20 and 22 and 24, Bun, Deno: scripts/test.sh). It names the
// runtime and the variant `init()` picks there (printed, and appended to
// $COSINEKIT_RUNTIME_MATRIX for the summary), checks that variant against the expectation
// for this runtime ($COSINEKIT_EXPECT_VARIANT, set by scripts/test.sh; otherwise relaxed-simd
// on Node ≥ 22, Bun and Deno, simd128 on older Node), then starts the SAME runtime's own
// CLI on entry.mjs and entry.cjs — the package's real ESM and CJS entry points, resolved
// by package name outside vitest, worker pool included — and checks every number they print
// against float64 references computed here (helpers/reference.ts, helpers/quant-reference.ts).
// Under Deno this also covers what loading.test.ts and binding.test.ts check by starting
// Node-flagged processes, which Deno's CLI does not take.

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { backendInfo, init, isVariantSupported } from 'cosinekit';
import { expectAllClose } from '../helpers/assertions.js';
import { generatedInput } from '../helpers/generated-inputs.js';
import { cosine64, integerCodes, integerScore, packedBits, rangesOf, rankOrder, storedRow } from '../helpers/quant-reference.js';
import { cosineReference, matrixReference, normalizeReference } from '../helpers/reference.js';

type RuntimeName = 'node' | 'bun' | 'deno';
interface RuntimeId {
  name: RuntimeName;
  version: string;
}

declare const Deno: { version: { deno: string; v8: string } } | undefined;

function currentRuntime(): RuntimeId & { engine: string } {
  if (typeof Deno === 'object') return { name: 'deno', version: Deno.version.deno, engine: `V8 ${Deno.version.v8}` };
  if (typeof process.versions.bun === 'string') return { name: 'bun', version: process.versions.bun, engine: 'JavaScriptCore' };
  return { name: 'node', version: process.versions.node, engine: `V8 ${process.versions.v8}` };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const runtime = currentRuntime();
const nodeMajor = Number(process.versions.node.split('.')[0]);
const expectedVariant = process.env.COSINEKIT_EXPECT_VARIANT ?? (runtime.name === 'node' && nodeMajor < 22 ? 'simd128' : 'relaxed');
const label = `${runtime.name === 'node' ? 'Node' : runtime.name === 'bun' ? 'Bun' : 'Deno'} ${runtime.version} (${runtime.engine})`;

// The inputs both entry scripts read, and the shapes the references below assume.
const DEPTH = 48; // a multiple of 8, so binary rows are whole bytes
const ROWS = 40;
const QUERY_ROWS = 3;
const K = 5;
const MARGIN = 0.2;
const a = generatedInput(101, [DEPTH]);
const b = generatedInput(102, [DEPTH]);
const x = generatedInput(103, [QUERY_ROWS, DEPTH]);
const corpus = generatedInput(104, [ROWS, DEPTH]);
const queries = generatedInput(105, [QUERY_ROWS, DEPTH]);
const targets = [1, -1, 1];
/** float32 kernels against float64 references on inputs of this size. */
const TOLERANCE = 2e-6;

const workDirectory = mkdtempSync(join(tmpdir(), 'cosinekit-runtime-'));
const inputFile = join(workDirectory, 'inputs.json');
writeFileSync(
  inputFile,
  JSON.stringify({
    depth: DEPTH,
    rows: ROWS,
    queryRows: QUERY_ROWS,
    k: K,
    margin: MARGIN,
    targets,
    ...Object.fromEntries(Object.entries({ a, b, x, corpus, queries }).map(([name, values]) => [name, Array.from(values)])),
  }),
);
afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

/** Runs an entry script with this runtime's CLI, nothing fetched (Deno: `deno run` with read/env/sys access only). */
function runEntry(script: string): Record<string, unknown> {
  const file = join(here, script);
  const launcher = { node: [], bun: ['--no-install'], deno: ['run', '--cached-only', '--allow-read', '--allow-env', '--allow-sys'] }[runtime.name];
  const args = [...launcher, file, inputFile];
  const output = execFileSync(process.execPath, args, {
    cwd: here,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1' },
  });
  return JSON.parse(output) as Record<string, unknown>;
}

function row(values: Float32Array, index: number): Float32Array {
  return values.subarray(index * DEPTH, (index + 1) * DEPTH);
}

/** Float64 pairwise cosines of the queries with the corpus, and each query's top-k order. */
const pairwiseExpected = matrixReference(queries, corpus, QUERY_ROWS, ROWS, DEPTH);
const topExpected = Array.from({ length: QUERY_ROWS }, (_, query) => rankOrder(pairwiseExpected.slice(query * ROWS, (query + 1) * ROWS)).slice(0, K));

function expectTopK(result: { indices: number[]; scores: number[]; shape?: number[] }, context: string): void {
  if (result.shape !== undefined) expect(result.shape, context).toEqual([QUERY_ROWS, K]);
  expect(result.indices, `${context}: indices`).toEqual(topExpected.flat());
  expectAllClose(
    result.scores,
    topExpected.flatMap((order, query) => order.map((column) => pairwiseExpected[query * ROWS + column]!)),
    { absolute: TOLERANCE, context: `${context}: scores` },
  );
}

/** Codes, scores and top-k order over a quantised corpus, exactly as quant-reference defines them. */
function expectQuantized(result: { dtype: string; codes: number[]; ranges?: number[]; indices: number[]; scores: number[] }, dtype: 'int8' | 'binary'): void {
  expect(result.dtype).toBe(dtype);
  const ranges = rangesOf(corpus, ROWS, DEPTH);
  const corpusCodes = dtype === 'int8' ? integerCodes(corpus, ROWS, DEPTH, ranges, true) : packedBits(corpus, ROWS, DEPTH, null, true);
  const queryCodes = dtype === 'int8' ? integerCodes(queries, QUERY_ROWS, DEPTH, ranges, true) : packedBits(queries, QUERY_ROWS, DEPTH, null, true);
  expect(result.codes).toEqual(Array.from(corpusCodes));
  if (dtype === 'int8') expect(result.ranges).toEqual(Array.from(ranges));
  const indices: number[] = [];
  const scores: number[] = [];
  for (let query = 0; query < QUERY_ROWS; query++) {
    const stored = storedRow(dtype, queryCodes, query, DEPTH);
    const expected = Array.from({ length: ROWS }, (_, index) => integerScore(stored, storedRow(dtype, corpusCodes, index, DEPTH)));
    for (const index of rankOrder(expected).slice(0, K)) {
      indices.push(index);
      scores.push(expected[index]!);
    }
  }
  expect(result.indices, `${dtype} topK indices`).toEqual(indices);
  expect(result.scores, `${dtype} topK scores (exact)`).toEqual(scores);
}

describe(`runtime: ${label}`, () => {
  test(`init() picks ${expectedVariant} here`, async () => {
    const info = await init();
    const supported = Object.fromEntries((['relaxed', 'simd128', 'scalar'] as const).map((variant) => [variant, isVariantSupported(variant)]));
    console.info(`runtime: ${label}, variant ${info.variant}, supported ${JSON.stringify(supported)}`);
    if (process.env.COSINEKIT_RUNTIME_MATRIX) {
      appendFileSync(process.env.COSINEKIT_RUNTIME_MATRIX, `${JSON.stringify({ runtime: label, variant: info.variant, where: 'vitest' })}\n`);
    }
    expect(info.variant).toBe(expectedVariant);
    expect(backendInfo().variant).toBe(expectedVariant);
    expect(supported.simd128 && supported.scalar).toBe(true);
    expect(supported.relaxed).toBe(expectedVariant === 'relaxed');
  });

  test(`ESM entry points (import 'cosinekit', 'cosinekit/inline', 'cosinekit/pool') under ${runtime.name}'s own CLI, against float64`, () => {
    const result = runEntry('entry.mjs') as {
      runtime: RuntimeId;
      info: { variant: string; memoryBytes: number };
      supported: Record<string, boolean>;
      cjsSharesInit: boolean;
      inlineSharesInit: boolean;
      inlineScalar: { variant: string; cosine: number };
      cosine: number;
      cosineNumbers: number;
      similarity: { data: number[]; shape: number[] };
      normalize: { data: number[]; shape: number[] };
      pairwise: { data: number[]; shape: number[] };
      topK: { indices: number[]; scores: number[]; shape: number[] };
      zeroCopy: { viewCosine: number; heapBefore: number; heapWithTensor: number; heapAfter: number };
      quantized: Record<'int8' | 'binary', { dtype: string; codes: number[]; ranges?: number[]; indices: number[]; scores: number[] }>;
      loss: number;
      pool: { pairwise: number[]; indices: number[]; scores: number[] };
    };
    expect(result.runtime).toEqual({ name: runtime.name, version: runtime.version });
    expect(result.info.variant).toBe(expectedVariant);
    expect(result.cjsSharesInit).toBe(true); // a require() after the import sees the same instance
    expect(result.inlineSharesInit).toBe(true); // so does cosinekit/inline
    expect(result.inlineScalar.variant).toBe('scalar');
    expect(Math.abs(result.inlineScalar.cosine - cosine64(a, b))).toBeLessThanOrEqual(TOLERANCE);

    expect(Math.abs(result.cosine - cosine64(a, b))).toBeLessThanOrEqual(TOLERANCE);
    expect(result.cosineNumbers).toBe(result.cosine); // number[] in, the same float32 kernel

    const similarity = cosineReference(x, [QUERY_ROWS, DEPTH], a, [1, DEPTH], [1], 1e-8);
    expect(result.similarity.shape).toEqual(similarity.shape);
    expectAllClose(result.similarity.data, similarity.data, { absolute: TOLERANCE, context: 'cosineSimilarity' });
    expect(result.normalize.shape).toEqual([QUERY_ROWS, DEPTH]);
    expectAllClose(result.normalize.data, normalizeReference(x, [QUERY_ROWS, DEPTH], 2, 1, 1e-12), { absolute: 1e-6, context: 'normalize' });

    expect(result.pairwise.shape).toEqual([QUERY_ROWS, ROWS]);
    expectAllClose(result.pairwise.data, pairwiseExpected, { absolute: TOLERANCE, context: 'pairwiseCosine (WasmTensor corpus)' });
    expectTopK(result.topK, 'topK (WasmTensor corpus)');

    // Views inside a WasmTensor go in by pointer; disposing the tensor returns the heap.
    expect(Math.abs(result.zeroCopy.viewCosine - cosine64(row(corpus, 0), row(corpus, 1)))).toBeLessThanOrEqual(TOLERANCE);
    expect(result.zeroCopy.heapWithTensor - result.zeroCopy.heapBefore).toBeGreaterThanOrEqual(ROWS * DEPTH * 4);
    expect(result.zeroCopy.heapAfter).toBe(result.zeroCopy.heapBefore);

    expectQuantized(result.quantized.int8, 'int8');
    expectQuantized(result.quantized.binary, 'binary');

    let loss = 0;
    for (let index = 0; index < QUERY_ROWS; index++) {
      const cosine = cosine64(row(queries, index), row(x, index));
      loss += targets[index] === 1 ? 1 - cosine : Math.max(0, cosine - MARGIN);
    }
    expect(Math.abs(result.loss - loss / QUERY_ROWS)).toBeLessThanOrEqual(TOLERANCE);

    // The pool (worker threads of this runtime, every call sent to them) equals one thread bit for bit.
    expect(result.pool.pairwise).toEqual(result.pairwise.data);
    expect(result.pool.indices).toEqual(result.topK.indices);
    expect(result.pool.scores).toEqual(result.topK.scores);
  });

  test(`CJS entry points (require('cosinekit'), 'cosinekit/inline', 'cosinekit/pool') under ${runtime.name}'s own CLI, against float64`, () => {
    const result = runEntry('entry.cjs') as {
      runtime: RuntimeId;
      info: { variant: string };
      inlineSharesInit: boolean;
      normalize: { data: number[]; shape: number[] };
      similarity: { data: number[]; shape: number[] };
      topK: { indices: number[]; scores: number[]; shape: number[] };
      pool: { pairwise: number[]; shape: number[] };
    };
    expect(result.runtime).toEqual({ name: runtime.name, version: runtime.version });
    expect(result.info.variant).toBe(expectedVariant);
    expect(result.inlineSharesInit).toBe(true);
    expectAllClose(result.normalize.data, normalizeReference(x, [QUERY_ROWS, DEPTH], 2, 1, 1e-12), { absolute: 1e-6, context: 'normalize (CJS)' });
    const similarity = cosineReference(x, [QUERY_ROWS, DEPTH], a, [1, DEPTH], [1], 1e-8);
    expectAllClose(result.similarity.data, similarity.data, { absolute: TOLERANCE, context: 'cosineSimilarity (CJS, number[] in)' });
    expectTopK(result.topK, 'topK (CJS)');
    expect(result.pool.shape).toEqual([QUERY_ROWS, ROWS]);
    expectAllClose(result.pool.pairwise, pairwiseExpected, { absolute: TOLERANCE, context: 'pool.pairwiseCosine (CJS)' });
  });

  test('the float64 comparison here rejects an error of 1e-5 (so the checks above can fail)', () => {
    expect(() => expectAllClose([0.5 + 1e-5], [0.5], { absolute: TOLERANCE })).toThrow();
    expect(() => expectAllClose([0.5 + 1e-7], [0.5], { absolute: TOLERANCE })).not.toThrow();
  });
});
