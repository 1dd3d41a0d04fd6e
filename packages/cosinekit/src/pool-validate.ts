// Shape and option checks of the pairwise family, shared by the single-thread functions
// (pairwise.ts) and the worker pool, which runs them on the calling thread before any work is
// sent to a worker; operands may be validated tensors or the pool's corpus handles.

import { MAX_ELEMENTS, describe, formatShape } from './shapes.js';

/** An operand as far as shape checks go: a validated tensor or a corpus handle. */
export interface ShapedOperand {
  name: string;
  shape: readonly number[];
}

/** Sizes of a (batched) pairwise product. */
export interface PairSizes {
  batch: number;
  aRows: number;
  bRows: number;
  depth: number;
  batched: boolean;
}

/** `a` `[N,D]` or `[B,N,D]` and `b` of the same rank, D and B; no zero-size dims (as pairwise.ts). */
export function pairSizes(first: ShapedOperand, second: ShapedOperand | null, functionName: string, ranks: readonly number[] = [2, 3]): PairSizes {
  const check = (entry: ShapedOperand) => {
    if (!ranks.includes(entry.shape.length)) {
      const wanted = ranks.length === 1 ? '[N, D]' : '[N, D] or [B, N, D]';
      throw new RangeError(`${functionName}: ${entry.name} must have shape ${wanted}, got ${formatShape(entry.shape)}`);
    }
    if (entry.shape.includes(0)) {
      throw new RangeError(`${functionName}: ${entry.name} has an empty dimension (shape ${formatShape(entry.shape)}); every dimension must be at least 1`);
    }
  };
  check(first);
  const other = second ?? first;
  if (second !== null) {
    check(second);
    if (second.shape.length !== first.shape.length) {
      throw new RangeError(`${functionName}: ${first.name} ${formatShape(first.shape)} and ${second.name} ${formatShape(second.shape)} must have the same rank`);
    }
  }
  const rank = first.shape.length;
  const depth = first.shape[rank - 1] as number;
  if (other.shape[rank - 1] !== depth) {
    throw new RangeError(
      `${functionName}: rows of ${first.name} ${formatShape(first.shape)} have length ${depth} but rows of ${other.name} ${formatShape(other.shape)} have length ${other.shape[rank - 1]}`,
    );
  }
  const batched = rank === 3;
  const batch = batched ? (first.shape[0] as number) : 1;
  if (batched && other.shape[0] !== batch) {
    throw new RangeError(`${functionName}: batch sizes differ: ${first.name} ${formatShape(first.shape)}, ${other.name} ${formatShape(other.shape)}`);
  }
  return { batch, aRows: first.shape[rank - 2] as number, bRows: other.shape[rank - 2] as number, depth, batched };
}

/** A finite number option (as pairwise.ts `scale`). */
export function finiteOption(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
  return value;
}

/** The pairwise result must fit in one wasm memory (as the single-thread function requires). */
export function checkPairwiseResult(sizes: PairSizes): readonly number[] {
  const { batch, aRows, bRows, batched } = sizes;
  const resultShape = Object.freeze(batched ? [batch, aRows, bRows] : [aRows, bRows]);
  const resultLength = batch * aRows * bRows;
  if (resultLength > MAX_ELEMENTS) {
    throw new RangeError(
      `pairwiseCosine: the result ${formatShape(resultShape)} has ${resultLength} elements, more than WASM memory holds; stream it with pairwiseCosineBlocks or keep only the best with topK`,
    );
  }
  return resultShape;
}

/** Rows per block of pairwiseCosineBlocks: `requested`, or as many as keep a block at or under 16 MiB. */
export function blockRowsFor(requested: unknown, aRows: number, bRows: number): number {
  let blockRows = Math.max(1, Math.min(aRows, Math.floor((4 * 1024 * 1024) / bRows)));
  if (requested !== undefined) {
    if (typeof requested !== 'number') throw new TypeError(`blockRows must be a positive integer, got ${describe(requested)}`);
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`blockRows must be a positive integer, got ${describe(requested)}`);
    blockRows = requested;
  }
  if (blockRows * bRows > MAX_ELEMENTS) {
    throw new RangeError(`pairwiseCosineBlocks: a block of ${blockRows} rows × ${bRows} columns is more than WASM memory holds; lower blockRows`);
  }
  return blockRows;
}

/** `k` and `excludeSelf` against the sizes of a top-k search (as pairwise.ts). */
export function checkTopK(k: unknown, queryRows: number, corpusRows: number, excludeSelf: boolean): number {
  if (typeof k !== 'number') throw new TypeError(`k must be an integer, got ${describe(k)}`);
  const available = excludeSelf ? corpusRows - 1 : corpusRows;
  if (!Number.isInteger(k) || k < 1 || k > available) {
    const limit = excludeSelf ? `the corpus minus the query itself (${available})` : `the corpus size (${corpusRows})`;
    throw new RangeError(`k must be an integer from 1 to ${limit}, got ${describe(k)}`);
  }
  if (excludeSelf && queryRows > corpusRows) {
    throw new RangeError(`excludeSelf means the queries are the corpus, but there are ${queryRows} queries and ${corpusRows} corpus rows`);
  }
  return k;
}

/** pairwise.ts's check that an object passed as `b` is not the options by mistake. */
export function checkSecondOperand(b: unknown, functionName: string): void {
  if (b !== null && typeof b === 'object' && !('data' in b) && !('shape' in b)) {
    throw new TypeError(
      `${functionName}: b must be a tensor { data, shape } or a WasmTensor, got an object without data/shape (to pass options without b, call ${functionName}(a, undefined, options))`,
    );
  }
}
