// The workloads: sizes (full and --quick), data (fixed seeds), flop and byte formulas, and
// the correctness check of a contender's output against the float64 reference.
//
// A workload can be run on a prefix of its rows (`rows` < the full count): slow contenders
// are measured on the first rows of A (pairwise), the first queries (topK), the first row
// pairs (row-wise, normalize) or the first 2N' features (infoNCE), and compared by rate
// (GFLOP/s), which for these kernels does not depend on the row count.

import { pairedFeatures, seedFromLabel, uniformFloats } from './data.mjs';
import { cosineRows64, infoNCE64, kthLargest, normalizedRows64, pairwiseCosine64, queryScores64 } from './reference.mjs';

const COSINE_EPS = 1e-8;
const NORMALIZE_EPS = 1e-12;

export const FORMULAS = {
  single: { flops: '6·D per call (one pair)', bytes: null },
  rowwise: { flops: '6·N·D', bytes: '8·N·D + 4·N' },
  normalize: { flops: '3·N·D', bytes: '8·N·D' },
  pairwise: { flops: '2·N·M·D (normalisation not counted)', bytes: null },
  topk: { flops: '2·Q·N·D (selection not counted)', bytes: null },
  infonce: { flops: '4·(2N)²·D (the forward and backward GEMMs; O(N²) softmax and O(N·D) terms not counted)', bytes: null },
};

function describeError(actual, expected, index) {
  return `at ${index}: got ${actual}, expected ${expected}`;
}

/** max |actual − expected| over the first `count` values, with the place of the worst. */
function maxAbsoluteError(actual, expected, count) {
  if (actual.length < count) throw new Error(`output has ${actual.length} values, expected ${count}`);
  let worst = 0;
  let worstIndex = 0;
  for (let index = 0; index < count; index++) {
    const error = Math.abs(actual[index] - expected[index]);
    if (!(error <= worst)) {
      worst = Number.isNaN(error) ? Infinity : error;
      worstIndex = index;
      if (worst === Infinity) break;
    }
  }
  return { error: worst, where: describeError(actual[worstIndex], expected[worstIndex], worstIndex) };
}

/** The single-pair lengths, full and quick (quick keeps the two D the tensor-API targets name). */
export const SINGLE_PAIR_LENGTHS = { full: [8, 16, 32, 64, 128, 384, 768, 1536, 4096], quick: [8, 768] };

/** The input kinds of the single-pair section: what the caller holds. */
export const SINGLE_PAIR_KINDS = { f32: 'Float32Array', array: 'number[]' };

/**
 * How one timed run of a single-pair workload is made up: `pairCount` distinct pairs (up to
 * 8, at most 64 KiB of float32 inputs, so every contender reads from L1/L2 as a caller with
 * one hot pair would, yet no call sees the inputs of the call before), visited `repeat` times,
 * so that a run covers ≥ 4096 elements of each operand and the timer's own cost (one clock
 * read per run) stays out of the per-call figure.
 */
export function singlePairLayout(length) {
  const pairCount = Math.max(2, Math.min(8, Math.floor(8192 / length)));
  const repeat = Math.max(1, Math.ceil(4096 / (pairCount * length)));
  return { pairCount, repeat, callsPerRun: pairCount * repeat };
}

/**
 * One pair of D-dim vectors per call, held as `kind` (a Float32Array, or a number[] with the
 * same float32 values as doubles). Both kinds use the same numbers, so their results and the
 * float64 reference agree. Times and flops are per call (one pair): a run's time / callsPerRun.
 */
function singlePair(length, kind, mode) {
  const id = `single-${kind}-d${length}`;
  const { pairCount, repeat, callsPerRun } = singlePairLayout(length);
  return {
    id,
    op: 'single',
    family: 'single pair',
    title: `single pair, ${SINGLE_PAIR_KINDS[kind]}, D = ${length}`,
    params: { D: length, kind, input: SINGLE_PAIR_KINDS[kind], pairs: pairCount, repeat, callsPerRun },
    mode,
    fullRows: 1,
    rowStep: 1,
    minRows: 1,
    callsPerRun,
    flops: () => 6 * length,
    bytes: () => 8 * length,
    memoryBound: false,
    create() {
      const firsts = [];
      const seconds = [];
      const expected = new Float64Array(pairCount);
      for (let pair = 0; pair < pairCount; pair++) {
        // Seeded by D and pair only: the Float32Array and number[] workloads hold the same numbers.
        const first = uniformFloats(seedFromLabel(`single-d${length}/pair${pair}/a`), length);
        const second = uniformFloats(seedFromLabel(`single-d${length}/pair${pair}/b`), length);
        expected[pair] = cosineRows64(first, second, 1, length, COSINE_EPS)[0];
        firsts.push(kind === 'f32' ? first : Array.from(first));
        seconds.push(kind === 'f32' ? second : Array.from(second));
      }
      return (rows) => ({
        rows,
        length,
        kind,
        pairCount,
        repeat,
        firsts,
        seconds,
        /** `output`: the cosine of every pair, in pair order (what one run leaves in its out array). */
        check: (output) => maxAbsoluteError(output, expected, pairCount),
      });
    },
  };
}

function rowwise(rowCount, length, mode) {
  const id = `rowwise-n${rowCount}-d${length}`;
  return {
    id,
    op: 'rowwise',
    family: 'row-wise',
    title: `row-wise, N = ${rowCount.toLocaleString('en')}, D = ${length}`,
    params: { N: rowCount, D: length },
    mode,
    fullRows: rowCount,
    rowStep: 1,
    minRows: 1,
    flops: (rows) => 6 * rows * length,
    bytes: (rows) => 8 * rows * length + 4 * rows,
    memoryBound: true,
    create() {
      const first = uniformFloats(seedFromLabel(`${id}/a`), rowCount * length);
      const second = uniformFloats(seedFromLabel(`${id}/b`), rowCount * length);
      const expected = cosineRows64(first, second, rowCount, length, COSINE_EPS);
      return (rows) => ({
        rows,
        length,
        first: first.subarray(0, rows * length),
        second: second.subarray(0, rows * length),
        check: (output) => maxAbsoluteError(output, expected, rows),
      });
    },
  };
}

function normalizeRows(rowCount, length, mode) {
  const id = `normalize-n${rowCount}-d${length}`;
  return {
    id,
    op: 'normalize',
    family: 'normalize',
    title: `normalize, N = ${rowCount.toLocaleString('en')}, D = ${length}`,
    params: { N: rowCount, D: length },
    mode,
    fullRows: rowCount,
    rowStep: 1,
    minRows: 1,
    flops: (rows) => 3 * rows * length,
    bytes: (rows) => 8 * rows * length,
    memoryBound: true,
    create() {
      const values = uniformFloats(seedFromLabel(`${id}/x`), rowCount * length);
      const expected = normalizedRows64(values, rowCount, length, NORMALIZE_EPS);
      return (rows) => ({
        rows,
        length,
        values: values.subarray(0, rows * length),
        check: (output) => maxAbsoluteError(output, expected, rows * length),
      });
    },
  };
}

function pairwise(rowCount, columnCount, length, mode) {
  const id = `pairwise-${rowCount}x${columnCount}-d${length}`;
  return {
    id,
    op: 'pairwise',
    family: 'pairwise',
    title: `pairwise ${rowCount}×${columnCount}, D = ${length}`,
    params: { N: rowCount, M: columnCount, D: length },
    mode,
    fullRows: rowCount,
    rowStep: 1,
    minRows: 1,
    flops: (rows) => 2 * rows * columnCount * length,
    bytes: null,
    memoryBound: false,
    create() {
      const first = uniformFloats(seedFromLabel(`${id}/a`), rowCount * length);
      const second = uniformFloats(seedFromLabel(`${id}/b`), columnCount * length);
      // The reference is computed for the rows asked for so far, and extended on demand.
      let referenceRows = 0;
      let expected = new Float64Array(0);
      const referenceFor = (rows) => {
        if (rows > referenceRows) {
          const extra = pairwiseCosine64(first.subarray(referenceRows * length, rows * length), rows - referenceRows, second, columnCount, length, COSINE_EPS);
          const grown = new Float64Array(rows * columnCount);
          grown.set(expected);
          grown.set(extra, referenceRows * columnCount);
          expected = grown;
          referenceRows = rows;
        }
        return expected;
      };
      return (rows) => ({
        rows,
        length,
        columnCount,
        first: first.subarray(0, rows * length),
        second,
        check: (output) => maxAbsoluteError(output, referenceFor(rows), rows * columnCount),
      });
    },
  };
}

function topK(queryCount, corpusCount, length, k, mode) {
  const id = `topk-q${queryCount}-n${corpusCount}-d${length}-k${k}`;
  return {
    id,
    op: 'topk',
    family: 'topK',
    title: `topK, Q = ${queryCount.toLocaleString('en')}, N = ${corpusCount.toLocaleString('en')}, D = ${length}, k = ${k}`,
    params: { Q: queryCount, N: corpusCount, D: length, k },
    mode,
    fullRows: queryCount,
    rowStep: 1,
    minRows: 1,
    // JS optimised and cosinekit make one pass over the whole corpus per call (its norms, or
    // its copy into WASM memory): on a prefix of 1 or 2 queries that pass would be half the
    // time, so they run at least 16 queries. The per-pair contenders have no such pass.
    minRowsFor: (contender) => (contender.id === 'js-optimised' || contender.group === 'cosinekit' ? 16 : 1),
    flops: (rows) => 2 * rows * corpusCount * length,
    bytes: null,
    memoryBound: false,
    create() {
      const queries = uniformFloats(seedFromLabel(`${id}/queries`), queryCount * length);
      const corpus = uniformFloats(seedFromLabel(`${id}/corpus`), corpusCount * length);
      const scoresByQuery = new Map();
      const referenceScores = (query) => {
        let entry = scoresByQuery.get(query);
        if (entry === undefined) {
          const scores = queryScores64(queries, query, corpus, corpusCount, length, COSINE_EPS);
          entry = { scores, kth: kthLargest(scores, k) };
          scoresByQuery.set(query, entry);
        }
        return entry;
      };
      return (rows) => ({
        rows,
        length,
        k,
        corpusCount,
        queries: queries.subarray(0, rows * length),
        corpus,
        /**
         * Checked on up to 12 queries spread over the rows: every returned index distinct
         * and in range, each returned score within tolerance of that index's true cosine,
         * scores non-increasing, and each returned index's true cosine no worse than the
         * true k-th best minus the error (so near-ties may come in either order).
         */
        check: ({ indices, scores }) => {
          const sampleCount = Math.min(rows, 12);
          let worst = 0;
          let where = '';
          for (let sample = 0; sample < sampleCount; sample++) {
            const query = sampleCount === 1 ? 0 : Math.round((sample * (rows - 1)) / (sampleCount - 1));
            const reference = referenceScores(query);
            const seen = new Set();
            for (let rank = 0; rank < k; rank++) {
              const index = indices[query * k + rank];
              const score = scores[query * k + rank];
              if (!Number.isInteger(index) || index < 0 || index >= corpusCount || seen.has(index)) {
                return { error: Infinity, where: `query ${query} rank ${rank}: index ${index} is out of range or repeated` };
              }
              seen.add(index);
              const errors = [
                [Math.abs(score - reference.scores[index]), `query ${query} rank ${rank}: score ${score}, true cosine of index ${index} is ${reference.scores[index]}`],
                [Math.max(0, reference.kth - reference.scores[index]), `query ${query} rank ${rank}: index ${index} (true ${reference.scores[index]}) is not in the top ${k} (k-th best ${reference.kth})`],
                [rank > 0 ? Math.max(0, score - scores[query * k + rank - 1]) : 0, `query ${query}: scores not sorted at rank ${rank}`],
              ];
              for (const [error, description] of errors) {
                if (!(error <= worst)) {
                  worst = Number.isNaN(error) ? Infinity : error;
                  where = description;
                }
              }
            }
          }
          return { error: worst, where };
        },
      });
    },
  };
}

function infoNCE(rowCount, length, temperature, mode) {
  const id = `infonce-${rowCount}-d${length}`;
  return {
    id,
    op: 'infonce',
    family: 'infoNCE',
    title: `infoNCE fwd+bwd, 2N = ${rowCount.toLocaleString('en')}, D = ${length}`,
    params: { '2N': rowCount, D: length, temperature, layout: 'interleaved', reduction: 'mean' },
    mode,
    fullRows: rowCount,
    rowStep: 2,
    minRows: 8,
    flops: (rows) => 4 * rows * rows * length,
    bytes: null,
    memoryBound: false,
    temperature,
    create() {
      const features = pairedFeatures(seedFromLabel(`${id}/z`), rowCount, length);
      const references = new Map();
      /**
       * Loss: relative error. Gradient, on all rows up to 64 and on 32 spread rows
       * beyond: max |error| / max |reference gradient| over those rows (the gradient's scale
       * falls as 1/2N, so an absolute bound would mean nothing).
       */
      return (rows) => ({
        rows,
        length,
        temperature,
        features: features.subarray(0, rows * length),
        check: ({ loss, grad }) => {
          let reference = references.get(rows);
          if (reference === undefined) {
            const sampleCount = Math.min(rows, rows <= 64 ? rows : 32);
            const gradRows = Array.from({ length: sampleCount }, (_, sample) => (sampleCount === rows ? sample : Math.round((sample * (rows - 1)) / (sampleCount - 1))));
            reference = infoNCE64(features, rows, length, temperature, gradRows);
            references.set(rows, reference);
          }
          const finite = (value) => (Number.isNaN(value) ? Infinity : value);
          const lossError = finite(Math.abs(loss - reference.loss) / Math.max(Math.abs(reference.loss), 1e-6));
          let gradScale = 0;
          for (const value of reference.grad) gradScale = Math.max(gradScale, Math.abs(value));
          let gradError = 0;
          let where = '';
          if (grad.length < rows * length) return { error: Infinity, where: `gradient has ${grad.length} values, expected ${rows * length}` };
          reference.gradRows.forEach((row, sample) => {
            for (let index = 0; index < length; index++) {
              const actual = grad[row * length + index];
              const expected = reference.grad[sample * length + index];
              const error = finite(Math.abs(actual - expected) / gradScale);
              if (!(error <= gradError)) {
                gradError = error;
                where = `gradient [${row}, ${index}]: got ${actual}, expected ${expected} (max |grad| ${gradScale})`;
              }
            }
          });
          if (lossError > gradError) return { error: lossError, where: `loss ${loss}, expected ${reference.loss}` };
          return { error: gradError, where };
        },
      });
    },
  };
}

/** The workload list for a mode ('full' or 'quick'). */
export function workloadsFor(mode) {
  const quick = mode === 'quick';
  return [
    // Float32Array first, then number[]: the first kind's calls run before V8 has seen the
    // second kind in cosinekit's shared wrappers (the JS contenders have a copy per kind).
    ...Object.keys(SINGLE_PAIR_KINDS).flatMap((kind) => SINGLE_PAIR_LENGTHS[mode].map((length) => singlePair(length, kind, mode))),
    quick ? rowwise(1000, 768, mode) : rowwise(10_000, 768, mode),
    quick ? rowwise(10_000, 8, mode) : rowwise(100_000, 8, mode),
    quick ? normalizeRows(1000, 768, mode) : normalizeRows(10_000, 768, mode),
    quick ? pairwise(64, 64, 384, mode) : pairwise(256, 256, 384, mode),
    quick ? pairwise(64, 64, 768, mode) : pairwise(256, 256, 768, mode),
    quick ? pairwise(128, 128, 384, mode) : pairwise(1024, 1024, 384, mode),
    quick ? pairwise(128, 128, 768, mode) : pairwise(1024, 1024, 768, mode),
    quick ? pairwise(128, 256, 384, mode) : pairwise(1024, 2048, 384, mode),
    quick ? topK(20, 5000, 384, 10, mode) : topK(1000, 100_000, 384, 10, mode),
    quick ? infoNCE(256, 256, 0.07, mode) : infoNCE(4096, 256, 0.07, mode),
  ];
}
