// pairwiseCosine, pairwiseCosineBlocks, topK and meanCosine: the [N,D]×[M,D] family. Shapes
// are validated here; the kernels pack, normalise and multiply (crates/cosinekit-core gemm).

import { execute } from './execute.js';
import { type Runtime, aligned16 } from './runtime.js';
import { type Operand, type Tensor, type WasmTensor, operand, outputTarget } from './tensor.js';
import {
  blockRowsFor,
  booleanOption,
  checkOptions,
  checkPairwiseResult,
  checkSecondOperand,
  checkTopK,
  finiteOption,
  formatShape,
  nonNegativeOption,
  pairSizes,
} from './validate.js';

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
  checkSecondOperand(b, functionName);
  return operand(runtime, b, 'b');
}

export function runPairwiseCosine(runtime: Runtime, a: unknown, b: unknown, options: unknown): Tensor {
  const settings = checkOptions(options, PAIRWISE_OPTIONS, 'pairwiseCosine');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const scale = finiteOption(settings.scale, 1, 'scale');
  const mark = runtime.mark();
  try {
    const first = operand(runtime, a, 'a');
    const second = optionalSecond(runtime, b, 'pairwiseCosine');
    const sizes = pairSizes(first, second, 'pairwiseCosine');
    const { batch, aRows, bRows, depth } = sizes;
    const resultShape = checkPairwiseResult(sizes);
    const resultLength = batch * aRows * bRows;
    const target = outputTarget(runtime, settings.out, resultLength, resultShape);
    const scratchFloats = runtime.exports.ck_pairwise_scratch_floats(aRows, bRows, depth) >>> 0;
    const { result } = execute(runtime, {
      kernel: 'ck_pairwise_cosine_f32',
      inputs: { first, second },
      outputs: { result: { type: 'f32', length: resultLength, target, describe: () => `the result ${formatShape(resultShape)}` } },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_pairwise_cosine_f32(
          pointers.first,
          second === null ? pointers.first : pointers.second,
          batch,
          aRows,
          bRows,
          depth,
          eps,
          scale,
          pointers.result,
          pointers.scratch,
          scratchFloats,
        ),
    });
    return { data: result, shape: resultShape };
  } finally {
    runtime.release(mark);
  }
}

/** An operand of `pairwiseCosineBlocks`, pinned at the call: its values for rows `[start, end)`, read when a block runs. */
type PinnedRows = (start: number, end: number) => Float32Array | Float64Array | readonly number[];

export function runPairwiseCosineBlocks(runtime: Runtime, a: unknown, b: unknown, options: unknown): Iterable<PairwiseBlock> {
  const settings = checkOptions(options, BLOCKS_OPTIONS, 'pairwiseCosineBlocks');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const mark = runtime.mark();
  let source: PinnedRows;
  let corpus: PinnedRows;
  let aRows: number;
  let bRows: number;
  let depth: number;
  let blockRows: number;
  try {
    const first = operand(runtime, a, 'a');
    const second = optionalSecond(runtime, b, 'pairwiseCosineBlocks');
    const sizes = pairSizes(first, second, 'pairwiseCosineBlocks', [2]);
    ({ aRows, bRows, depth } = sizes);
    blockRows = blockRowsFor(settings.blockRows, aRows, bRows);
    // Pin what was validated, never re-reading a user getter at iteration time: JS data as it
    // is; memory inside a live tensor by its address (a view of it is made for each block, as
    // memory may grow between blocks, and the tensor must still be live then); number[]
    // operands were read into the arena, which this call gives back now: a JS copy of them.
    const pin = (entry: Operand): PinnedRows => {
      const values = entry.source;
      if (values !== null) return (start, end) => (ArrayBuffer.isView(values) ? values.subarray(start, end) : values.slice(start, end));
      const pointer = entry.pointer as number;
      if (!runtime.insideLiveTensor(pointer, entry.length * 4)) {
        const copy = runtime.floats().slice(pointer >>> 2, (pointer >>> 2) + entry.length);
        return (start, end) => copy.subarray(start, end);
      }
      return (start, end) => {
        if (!runtime.insideLiveTensor(pointer, entry.length * 4)) {
          throw new TypeError(`pairwiseCosineBlocks: ${entry.name} views a WasmTensor that was disposed during the iteration`);
        }
        return new Float32Array(runtime.buffer, pointer + start * 4, end - start);
      };
    };
    source = pin(first);
    corpus = second === null ? source : pin(second);
  } finally {
    runtime.release(mark);
  }
  return {
    *[Symbol.iterator]() {
      for (let rowStart = 0; rowStart < aRows; rowStart += blockRows) {
        const rows = Math.min(blockRows, aRows - rowStart);
        // Each block is an independent call: no state is held between blocks, so abandoning
        // the iteration leaks nothing. Memory of a live tensor stays zero-copy.
        const rowsView = { data: source(rowStart * depth, (rowStart + rows) * depth), shape: [rows, depth] };
        const block = runPairwiseCosine(runtime, rowsView, { data: corpus(0, bRows * depth), shape: [bRows, depth] }, { eps });
        yield { rowStart, rows, data: block.data };
      }
    },
  };
}

/** How the top-k kernel scores: as its rule for the call's query count (auto), or one path for any count. */
export const TOPK_PATH_AUTO = 0;

/**
 * topK. For the pool's chunks: with `excludeSelf`, query row q skips corpus row q + `selfOffset`
 * (the public call passes 0); `path` is the kernel path of the whole call (`ck_topk_path` of
 * its query count), so a chunk scores its rows exactly as the whole call does.
 */
export function runTopK(runtime: Runtime, queries: unknown, corpus: unknown, requestedK: unknown, options: unknown, selfOffset = 0, path = TOPK_PATH_AUTO): TopKResult {
  const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const excludeSelf = booleanOption(settings.excludeSelf, false, 'excludeSelf');
  const mark = runtime.mark();
  try {
    const first = operand(runtime, queries, 'queries');
    // A 1-D query [D] is one row.
    if (first.shape.length === 1) first.shape = [1, first.shape[0] as number];
    const second = operand(runtime, corpus, 'corpus');
    const { aRows: queryRows, bRows: corpusRows, depth } = pairSizes(first, second, 'topK', [2]);
    const k = checkTopK(requestedK, queryRows, corpusRows, excludeSelf);
    const resultLength = queryRows * k;
    const scratchFloats = runtime.exports.ck_topk_scratch_floats(queryRows, depth) >>> 0;
    const shape: [number, number] = [queryRows, k];
    const { indices, scores } = execute(runtime, {
      kernel: 'ck_topk_cosine_f32',
      inputs: { first, second },
      outputs: {
        indices: { type: 'i32', length: resultLength, describe: () => `the indices ${formatShape(shape)}` },
        scores: { type: 'f32', length: resultLength, describe: () => `the scores ${formatShape(shape)}` },
      },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_topk_cosine_f32(
          pointers.first,
          queryRows,
          pointers.second,
          corpusRows,
          depth,
          k,
          eps,
          excludeSelf ? 1 : 0,
          selfOffset,
          path,
          pointers.indices,
          pointers.scores,
          pointers.scratch,
          scratchFloats,
        ),
    });
    return { indices, scores, shape };
  } finally {
    runtime.release(mark);
  }
}

/**
 * Rows `[rowStart, rowStart + rowCount)` of the self matrix of `a` `[rows, D]` (`b` omitted),
 * into `out` (`rowCount × rows`), exactly as the whole symmetric call computes them, for every
 * scale: the pool's chunks of `pairwiseCosine(a)`.
 */
export function runPairwiseSelfRows(runtime: Runtime, a: unknown, rowStart: number, rowCount: number, eps: number, scale: number, out: unknown): void {
  const mark = runtime.mark();
  try {
    const input = operand(runtime, a, 'a');
    const [rows, depth] = input.shape as [number, number];
    const target = outputTarget(runtime, out, rowCount * rows, [rowCount, rows]);
    const scratchFloats = runtime.exports.ck_pairwise_self_rows_scratch_floats(rows, depth, rowStart, rowCount) >>> 0;
    execute(runtime, {
      kernel: 'ck_pairwise_self_rows_f32',
      inputs: { input },
      outputs: { result: { type: 'f32', length: rowCount * rows, target, describe: 'the self rows' } },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_pairwise_self_rows_f32(pointers.input, rows, depth, rowStart, rowCount, eps, scale, pointers.result, pointers.scratch, scratchFloats),
    });
  } finally {
    runtime.release(mark);
  }
}

/** One slice's lists for {@link mergeTopK}: `[queries, listLength]`, indices counted from `indexOffset`. */
export interface TopKSlice {
  indices: Int32Array;
  scores: Float32Array;
  listLength: number;
  indexOffset: number;
}

/**
 * The best `k` per query of every slice's lists, by the top-k order (the merge kernel):
 * the pool's corpus-split search. With `excludeSelf`, query q drops global index q.
 */
export function mergeTopK(runtime: Runtime, slices: readonly TopKSlice[], queries: number, k: number, excludeSelf: boolean): TopKResult {
  const mark = runtime.mark();
  try {
    const listLength = Math.max(...slices.map((slice) => slice.listLength));
    const lists = slices.length;
    const entries = lists * queries * listLength;
    const listIndices = runtime.reserve(entries * 4, 'the lists to merge');
    const listScores = runtime.reserve(entries * 4, 'the lists to merge');
    const offsets = runtime.reserve(lists * 4, 'the list offsets');
    const outIndices = runtime.reserve(queries * k * 4, 'the merged indices');
    const outScores = runtime.reserve(queries * k * 4, 'the merged scores');
    const ints = runtime.ints();
    const floats = runtime.floats();
    slices.forEach((slice, list) => {
      ints[(offsets >>> 2) + list] = slice.indexOffset;
      for (let query = 0; query < queries; query++) {
        const row = (list * queries + query) * listLength;
        const from = query * slice.listLength;
        ints.set(slice.indices.subarray(from, from + slice.listLength), (listIndices >>> 2) + row);
        floats.set(slice.scores.subarray(from, from + slice.listLength), (listScores >>> 2) + row);
        // Slots past a shorter slice's lists are empty.
        ints.fill(-1, (listIndices >>> 2) + row + slice.listLength, (listIndices >>> 2) + row + listLength);
      }
    });
    runtime.check(
      runtime.exports.ck_topk_merge_f32(listIndices, listScores, lists, queries, listLength, offsets, k, excludeSelf ? 1 : 0, outIndices, outScores),
      'ck_topk_merge_f32',
    );
    return {
      indices: runtime.ints().slice(outIndices >>> 2, (outIndices >>> 2) + queries * k),
      scores: runtime.floats().slice(outScores >>> 2, (outScores >>> 2) + queries * k),
      shape: [queries, k],
    };
  } finally {
    runtime.release(mark);
  }
}

export function runMeanCosine(runtime: Runtime, a: unknown, b: unknown): number {
  const mark = runtime.mark();
  try {
    const first = operand(runtime, a, 'a');
    const second = optionalSecond(runtime, b, 'meanCosine');
    const { aRows, bRows, depth } = pairSizes(first, second, 'meanCosine', [2]);
    const sumsBytes = aligned16(depth * 16);
    // No tensor result: the float64 column sums are kernel scratch, the mean one f64 output.
    const { mean } = execute(runtime, {
      kernel: 'ck_mean_cosine_f32',
      inputs: { first, second },
      outputs: { mean: { type: 'f64', length: 1, describe: 'the mean' } },
      scratchBytes: sumsBytes,
      call: (pointers) =>
        runtime.exports.ck_mean_cosine_f32(pointers.first, aRows, second === null ? 0 : pointers.second, bRows, depth, 1e-8, pointers.scratch, pointers.mean),
    });
    return mean[0] as number;
  } finally {
    runtime.release(mark);
  }
}
