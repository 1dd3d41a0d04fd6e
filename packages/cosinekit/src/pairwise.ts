// pairwiseCosine, pairwiseCosineBlocks, topK and meanCosine: the [N,D]×[M,D] family. Shapes
// are validated here; the kernels pack, normalise and multiply (crates/cosinekit-core gemm).

import type { Runtime } from './runtime.js';
import { booleanOption, checkOptions, describe, nonNegativeOption, readProperty } from './shapes.js';
import { blockRowsFor, checkPairwiseResult, checkTopK, finiteOption, pairSizes } from './pool-validate.js';
import { type Operand, type Tensor, type WasmTensor, WasmTensor as WasmTensorClass, execute, operand, outputTarget } from './tensor.js';

/** Options of {@link pairwiseCosine}. */
export interface PairwiseOptions {
  /** Lower bound of each row norm. Default 1e-8 (as cosine_similarity). */
  eps?: number;
  /** Multiplies every entry: logits = scale · cos (1/temperature). Default 1. */
  scale?: number;
  /** Where to write the `[N,M]` (or `[B,N,M]`) result. */
  out?: Float32Array | WasmTensor;
}

/** Options of {@link pairwiseCosineBlocks}. */
export interface PairwiseBlocksOptions {
  /** Lower bound of each row norm. Default 1e-8. */
  eps?: number;
  /** Rows of `a` per block. Default: as many as keep a block at or under 16 MiB. */
  blockRows?: number;
}

/** One block of rows of the pairwise matrix. */
export interface PairwiseBlock {
  /** Index of the block's first row of `a`. */
  rowStart: number;
  /** Rows in this block. */
  rows: number;
  /** `rows × M` cosines, row-major (JS-owned). */
  data: Float32Array;
}

/** Options of {@link topK}. */
export interface TopKOptions {
  /** Lower bound of each row norm. Default 1e-8. */
  eps?: number;
  /** The queries are the corpus: skip corpus row i for query row i. Default false. */
  excludeSelf?: boolean;
}

/** Result of {@link topK}: `[Q, k]` row-major. */
export interface TopKResult {
  indices: Int32Array;
  scores: Float32Array;
  shape: [number, number];
}

const PAIRWISE_OPTIONS = ['eps', 'scale', 'out'] as const;
const BLOCKS_OPTIONS = ['eps', 'blockRows'] as const;
const TOPK_OPTIONS = ['eps', 'excludeSelf'] as const;

function optionalSecond(runtime: Runtime, b: unknown, functionName: string): Operand | null {
  if (b === undefined) return null;
  let looksLikeOptions = false;
  if (b !== null && typeof b === 'object') {
    try {
      looksLikeOptions = !(b instanceof WasmTensorClass) && !('data' in b) && !('shape' in b);
    } catch (thrown) {
      throw new TypeError(`${functionName}: b cannot be inspected (${describe(thrown)})`, { cause: thrown });
    }
  }
  if (looksLikeOptions) {
    throw new TypeError(
      `${functionName}: b must be a tensor { data, shape } or a WasmTensor, got an object without data/shape (to pass options without b, call ${functionName}(a, undefined, options))`,
    );
  }
  return operand(runtime, b, 'b');
}

export function pairwiseCosineIn(runtime: Runtime, a: unknown, b: unknown, options?: unknown): Tensor {
  const settings = checkOptions(options, PAIRWISE_OPTIONS, 'pairwiseCosine');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const scale = finiteOption(settings.scale, 1, 'scale');
  const first = operand(runtime, a, 'a');
  const second = optionalSecond(runtime, b, 'pairwiseCosine');
  const sizes = pairSizes(first, second, 'pairwiseCosine');
  const { batch, aRows, bRows, depth } = sizes;
  const resultShape = checkPairwiseResult(sizes);
  const resultLength = batch * aRows * bRows;
  const output = outputTarget(runtime, settings.out, resultLength, resultShape);
  const scratchFloats = runtime.exports.ck_pairwise_scratch_floats(aRows, bRows, depth) >>> 0;
  const operands = second === null ? [first] : [first, second];
  return execute(
    runtime,
    operands,
    output,
    resultShape,
    [],
    (pointers) =>
      runtime.exports.ck_pairwise_cosine_f32(
        pointers.operands[0] as number,
        (pointers.operands[1] ?? pointers.operands[0]) as number,
        batch,
        aRows,
        bRows,
        depth,
        eps,
        scale,
        pointers.output,
        pointers.scratch,
        scratchFloats,
      ),
    'ck_pairwise_cosine_f32',
    false,
    scratchFloats * 4,
  );
}

export function pairwiseCosineBlocksIn(runtime: Runtime, a: unknown, b: unknown, options?: unknown): Iterable<PairwiseBlock> {
  const settings = checkOptions(options, BLOCKS_OPTIONS, 'pairwiseCosineBlocks');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const first = operand(runtime, a, 'a');
  const second = optionalSecond(runtime, b, 'pairwiseCosineBlocks');
  const { aRows, bRows, depth } = pairSizes(first, second, 'pairwiseCosineBlocks', [2]);
  const blockRows = blockRowsFor(settings.blockRows, aRows, bRows);
  // Pin what was validated: a WasmTensor (its live view is re-read per block, as memory may
  // move), or the data array itself — never re-reading a user getter at iteration time.
  const pin = (value: unknown, entry: Operand): WasmTensor | { data: Float32Array | Float64Array | readonly number[]; shape: number[] } =>
    value instanceof WasmTensorClass ? value : { data: entry.source ?? (readProperty(value as object, 'data', entry.name) as Float32Array), shape: entry.shape };
  const source = pin(a, first);
  const corpus = second === null ? source : pin(b, second);
  return {
    *[Symbol.iterator]() {
      for (let rowStart = 0; rowStart < aRows; rowStart += blockRows) {
        const rows = Math.min(blockRows, aRows - rowStart);
        // Each block is an independent call on a view of a's rows: no state is held between
        // blocks, so abandoning the iteration leaks nothing. Views of a WasmTensor stay zero-copy.
        const data = source.data;
        const range = [rowStart * depth, (rowStart + rows) * depth] as const;
        const rowsView = { data: ArrayBuffer.isView(data) ? data.subarray(...range) : data.slice(...range), shape: [rows, depth] };
        const block = pairwiseCosineIn(runtime, rowsView, corpus, { eps });
        yield { rowStart, rows, data: block.data };
      }
    },
  };
}

export function topKIn(runtime: Runtime, queries: unknown, corpus: unknown, requestedK: unknown, options?: unknown): TopKResult {
  const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const excludeSelf = booleanOption(settings.excludeSelf, false, 'excludeSelf');
  const first = operand(runtime, queries, 'queries');
  const second = operand(runtime, corpus, 'corpus');
  const { aRows: queryRows, bRows: corpusRows, depth } = pairSizes(first, second, 'topK', [2]);
  const k = checkTopK(requestedK, queryRows, corpusRows, excludeSelf);
  const resultLength = queryRows * k;
  const scratchFloats = runtime.exports.ck_topk_scratch_floats(queryRows, depth) >>> 0;
  let indices = new Int32Array(0);
  const scores = execute(
    runtime,
    [first, second],
    outputTarget(runtime, undefined, resultLength, [queryRows, k]),
    [queryRows, k],
    [],
    (pointers) => {
      // Kernel scratch = the indices (resultLength i32, rounded to 16 bytes), then the kernel's own floats.
      const indicesBytes = Math.ceil(resultLength / 4) * 16;
      const status = runtime.exports.ck_topk_cosine_f32(
        pointers.operands[0] as number,
        queryRows,
        pointers.operands[1] as number,
        corpusRows,
        depth,
        k,
        eps,
        excludeSelf ? 1 : 0,
        pointers.scratch,
        pointers.output,
        pointers.scratch + indicesBytes,
        scratchFloats,
      );
      // Copy the indices out before execute() frees the scratch (no allocation happens in between).
      if (status === 0) indices = new Int32Array(runtime.buffer, pointers.scratch, resultLength).slice();
      return status;
    },
    'ck_topk_cosine_f32',
    false,
    Math.ceil(resultLength / 4) * 16 + scratchFloats * 4,
  );
  return { indices, scores: scores.data, shape: [queryRows, k] };
}

export function meanCosineIn(runtime: Runtime, a: unknown, b?: unknown): number {
  const first = operand(runtime, a, 'a');
  const second = optionalSecond(runtime, b, 'meanCosine');
  const { aRows, bRows, depth } = pairSizes(first, second, 'meanCosine', [2]);
  let mean = Number.NaN;
  const sumsBytes = depth * 16;
  const operands = second === null ? [first] : [first, second];
  // No tensor result: an empty output, and the float64 sums and result live in kernel scratch.
  execute(
    runtime,
    operands,
    outputTarget(runtime, undefined, 0, []),
    [],
    [],
    (pointers) => {
      const status = runtime.exports.ck_mean_cosine_f32(
        pointers.operands[0] as number,
        aRows,
        second === null ? 0 : (pointers.operands[1] as number),
        bRows,
        depth,
        1e-8,
        pointers.scratch,
        pointers.scratch + sumsBytes,
      );
      if (status === 0) mean = new Float64Array(runtime.buffer, pointers.scratch + sumsBytes, 1)[0] as number;
      return status;
    },
    'ck_mean_cosine_f32',
    false,
    sumsBytes + 16,
  );
  return mean;
}
