// The contenders. Each has, per workload kind it can run (`ops`), a `prepare(instance)`
// that does the set-up outside the timing (copies into tensors, row views, scratch) and
// returns { run, read?, release?, dispose? }: `run()` is what is timed, `read(result)`
// turns its result into plain numbers for the correctness check, `release(result)` frees it
// (timed too: it is part of a call's cost), `dispose()` undoes the set-up. A contender may
// have `appliesTo(workload)`: the single-pair workloads come in two input kinds, and not every
// contender takes both (compute-cosine-similarity takes arrays only, simsimd typed arrays).
//
// Single pair: one run calls the contender's cos(a, b) on each of the workload's pairs,
// `repeat` times over, through a driver compiled for that contender alone (call-sites.mjs),
// and leaves the pair results in a Float64Array for the check.

import { freshCopy, freshPairDriver } from './call-sites.mjs';
import {
  cosinePairOptimised,
  cosineRowsNaive,
  cosineRowsOptimised,
  infoNCENaive,
  infoNCEOptimised,
  normalizeRowsNaive,
  normalizeRowsOptimised,
  pairwiseNaive,
  pairwiseOptimised,
  rowViews,
  topKNaive,
  topKOptimised,
} from './js-kernels.mjs';

/** One timed run of a single-pair workload: `pairCosine` on every pair, `repeat` times; the pair results in a Float64Array. */
function pairRun(pairCosine, { firsts, seconds, pairCount, repeat }, tag) {
  const drive = freshPairDriver(tag);
  const out = new Float64Array(pairCount);
  return () => drive(pairCosine, firsts, seconds, out, repeat);
}

/** Arguments of the same kind as a workload's (so a probe call seeds a fresh copy with the right type feedback). */
const probeArguments = (kind) => {
  const first = [0.5, -1, 2, 0.25, 3];
  const second = [1, 2, -0.5, 4, 0.125];
  return kind === 'f32' ? [Float32Array.from(first), Float32Array.from(second)] : [first, second];
};

/**
 * One fresh copy of a pure-JS cos(a, b) per input kind (`{ f32, array }`), each with its own
 * V8 feedback; `shared` names the kinds that had to use `fn` itself (source not self-contained).
 */
function copiesPerKind(fn, name, kinds) {
  const copies = {};
  const shared = [];
  for (const kind of kinds) {
    copies[kind] = freshCopy(fn, `${name}-${kind}`, probeArguments(kind));
    if (copies[kind] === null) {
      copies[kind] = fn;
      shared.push(kind);
    }
  }
  return { copies, shared };
}

const singleKindsOf = (kinds) => (workload) => workload.op !== 'single' || kinds.includes(workload.params.kind);

const flattenRows = (rows) => {
  const flat = [];
  for (const row of rows) for (const value of row) flat.push(value);
  return flat;
};

// ───────────────────────────── pure JS ─────────────────────────────

const jsNaive = {
  id: 'js-naive',
  label: 'JS naive (reduce/map over row arrays)',
  short: 'JS naive',
  group: 'js',
  budget: 'small',
  tolerance: 1e-4,
  ops: {
    rowwise: ({ first, second, rows, length }) => {
      const firstRows = rowViews(first, rows, length);
      const secondRows = rowViews(second, rows, length);
      return { run: () => cosineRowsNaive(firstRows, secondRows) };
    },
    normalize: ({ values, rows, length }) => {
      const valueRows = rowViews(values, rows, length);
      return { run: () => normalizeRowsNaive(valueRows), read: flattenRows };
    },
    pairwise: ({ first, second, rows, columnCount, length }) => {
      const firstRows = rowViews(first, rows, length);
      const secondRows = rowViews(second, columnCount, length);
      return { run: () => pairwiseNaive(firstRows, secondRows), read: flattenRows };
    },
    topk: ({ queries, corpus, rows, corpusCount, length, k }) => {
      const queryRows = rowViews(queries, rows, length);
      const corpusRows = rowViews(corpus, corpusCount, length);
      return {
        run: () => topKNaive(queryRows, corpusRows, k),
        read: (lists) => ({
          indices: lists.flatMap((list) => list.map((entry) => entry.index)),
          scores: lists.flatMap((list) => list.map((entry) => entry.score)),
        }),
      };
    },
    infonce: ({ features, rows, length, temperature }) => {
      const featureRows = rowViews(features, rows, length);
      return { run: () => infoNCENaive(featureRows, temperature), read: ({ loss, grad }) => ({ loss, grad: flattenRows(grad) }) };
    },
  },
};

const fusedPairLoops = copiesPerKind(cosinePairOptimised, 'js-fused', ['f32', 'array']);

const jsOptimised = {
  id: 'js-optimised',
  label: 'JS optimised (fused loop, 4 accumulators, Float32Array, pre-normalised rows)',
  short: 'JS optimised',
  group: 'js',
  budget: 'baseline',
  tolerance: 1e-4,
  ops: {
    // The fused loop on the caller's arrays as they are (Float32Array or number[]), one copy per kind.
    single: (instance) => ({ run: pairRun(fusedPairLoops.copies[instance.kind], instance, `js-fused-${instance.kind}`) }),
    rowwise: ({ first, second, rows, length }) => {
      const out = new Float32Array(rows);
      return { run: () => cosineRowsOptimised(first, second, rows, length, out) };
    },
    normalize: ({ values, rows, length }) => {
      const out = new Float32Array(rows * length);
      return { run: () => normalizeRowsOptimised(values, rows, length, out) };
    },
    pairwise: ({ first, second, rows, columnCount, length }) => {
      const out = new Float32Array(rows * columnCount);
      const firstUnit = new Float32Array(rows * length);
      const secondUnit = new Float32Array(columnCount * length);
      return { run: () => pairwiseOptimised(first, rows, second, columnCount, length, out, firstUnit, secondUnit) };
    },
    topk: ({ queries, corpus, rows, corpusCount, length, k }) => {
      const indices = new Int32Array(rows * k);
      const scores = new Float32Array(rows * k);
      const queryUnit = new Float32Array(rows * length);
      const corpusInverseNorms = new Float32Array(corpusCount);
      return { run: () => topKOptimised(queries, rows, corpus, corpusCount, length, k, indices, scores, queryUnit, corpusInverseNorms) };
    },
    infonce: ({ features, rows, length, temperature }) => {
      const grad = new Float32Array(rows * length);
      const scratch = {
        unit: new Float32Array(rows * length),
        logits: new Float32Array(rows * rows),
        norms: new Float32Array(rows),
        rowGrad: new Float64Array(length),
      };
      return { run: () => infoNCEOptimised(features, rows, length, temperature, grad, scratch) };
    },
  },
};

// ───────────────────────────── per-pair npm peers ─────────────────────────────

/**
 * A contender built from a function cos(a, b) of two vectors (the API these packages have):
 * one call per pair, rows prepared beforehand as `rowsOf` gives them (typed-array views, or
 * plain arrays where the package accepts nothing else). TopK keeps a sorted list of k.
 * Single pair: on the input kinds in `singleKinds`, the caller's arrays passed as they are;
 * with `copyPerKind` (a self-contained pure-JS function taking both kinds) through a fresh
 * copy per kind, as the JS loop.
 */
function perPairContender({ id, label, short, budget, unavailable, pairCosine, rowsOf, singleKinds, copyPerKind = false }) {
  const views = (values, rows, length) => rowsOf(values, rows, length);
  const perKind =
    pairCosine === null
      ? { copies: {}, shared: [] }
      : copyPerKind
        ? copiesPerKind(pairCosine, id, singleKinds)
        : { copies: Object.fromEntries(singleKinds.map((kind) => [kind, pairCosine])), shared: [] };
  const sharedNote = perKind.shared.length > 0 ? `; single pair on ${perKind.shared.join(', ')}: the package's own function (it did not copy), V8 feedback shared with the other workloads` : '';
  return {
    id,
    label: label + sharedNote,
    short,
    group: 'peer',
    budget,
    tolerance: 1e-4,
    unavailable,
    appliesTo: singleKindsOf(singleKinds),
    ops: {
      single: (instance) => ({ run: pairRun(perKind.copies[instance.kind], instance, `${id}-${instance.kind}`) }),
      rowwise: ({ first, second, rows, length }) => {
        const firstRows = views(first, rows, length);
        const secondRows = views(second, rows, length);
        const out = new Float64Array(rows);
        return {
          run: () => {
            for (let row = 0; row < rows; row++) out[row] = pairCosine(firstRows[row], secondRows[row]);
            return out;
          },
        };
      },
      pairwise: ({ first, second, rows, columnCount, length }) => {
        const firstRows = views(first, rows, length);
        const secondRows = views(second, columnCount, length);
        const out = new Float32Array(rows * columnCount);
        return {
          run: () => {
            for (let row = 0; row < rows; row++) {
              const firstRow = firstRows[row];
              for (let column = 0; column < columnCount; column++) out[row * columnCount + column] = pairCosine(firstRow, secondRows[column]);
            }
            return out;
          },
        };
      },
      topk: ({ queries, corpus, rows, corpusCount, length, k }) => {
        const queryRows = views(queries, rows, length);
        const corpusRows = views(corpus, corpusCount, length);
        const indices = new Int32Array(rows * k);
        const scores = new Float64Array(rows * k);
        return {
          run: () => {
            for (let query = 0; query < rows; query++) {
              const base = query * k;
              let filled = 0;
              for (let index = 0; index < corpusCount; index++) {
                const score = pairCosine(queryRows[query], corpusRows[index]);
                if (filled === k && !(score > scores[base + k - 1])) continue;
                let position = filled < k ? filled++ : k - 1;
                while (position > 0 && scores[base + position - 1] < score) {
                  scores[base + position] = scores[base + position - 1];
                  indices[base + position] = indices[base + position - 1];
                  position--;
                }
                scores[base + position] = score;
                indices[base + position] = index;
              }
            }
            return { indices, scores };
          },
        };
      },
    },
  };
}

const typedRowViews = (values, rows, length) => rowViews(values, rows, length);
const plainArrayRows = (values, rows, length) => rowViews(values, rows, length).map((row) => Array.from(row));

export function peerContenders(peers) {
  const { ccs, ml, simsimd } = peers;
  return [
    perPairContender({
      id: 'compute-cosine-similarity',
      label: `compute-cosine-similarity ${ccs.version ?? ''} (plain arrays; one call per pair)`,
      short: 'compute-cosine-similarity',
      budget: 'small',
      unavailable: ccs.reason ?? null,
      pairCosine: ccs.module ?? null,
      rowsOf: plainArrayRows,
      singleKinds: ['array'],
    }),
    perPairContender({
      id: 'ml-distance',
      label: `ml-distance ${ml.version ?? ''} similarity.cosine (one call per pair)`,
      short: 'ml-distance',
      budget: 'small',
      unavailable: ml.reason ?? null,
      pairCosine: ml.module?.similarity.cosine ?? null,
      rowsOf: typedRowViews,
      singleKinds: ['f32', 'array'],
      copyPerKind: true,
    }),
    perPairContender({
      id: 'simsimd',
      label: `simsimd ${simsimd.version ?? ''} native N-API (1 − cosine distance; one call per pair)`,
      short: 'simsimd (native)',
      budget: 'small',
      unavailable: simsimd.reason ?? null,
      pairCosine: simsimd.module ? ((cosineDistance) => (first, second) => 1 - cosineDistance(first, second))(simsimd.module.cosine) : null,
      rowsOf: typedRowViews,
      singleKinds: ['f32'],
    }),
  ];
}

// ───────────────────────────── tfjs-backend-wasm ─────────────────────────────

export function tfjsContenders(tfjs) {
  const tf = tfjs.module;
  const unavailable = tfjs.reason ?? null;
  const version = tfjs.version ?? '';
  const detail = tfjs.detail ? `, ${tfjs.detail}` : '';
  const unitRows = (tensor, eps) => tf.div(tensor, tf.maximum(tf.norm(tensor, 'euclidean', 1, true), eps));
  const dataOf = (tensor) => tensor.dataSync();
  const disposeTensor = (tensor) => tensor.dispose();
  return [
    {
      id: 'tfjs-abt',
      label: `tfjs-backend-wasm ${version} matMul(Â, B̂, false, true) = Â·B̂ᵀ, normalisation included${detail}`,
      short: 'tfjs-wasm Â·B̂ᵀ',
      group: 'tfjs',
      budget: 'small',
      tolerance: 1e-4,
      unavailable,
      ops: {
        pairwise: ({ first, second, rows, columnCount, length }) => {
          const firstTensor = tf.tensor2d(first, [rows, length]);
          const secondTensor = tf.tensor2d(second, [columnCount, length]);
          return {
            run: () => tf.tidy(() => tf.matMul(unitRows(firstTensor, 1e-8), unitRows(secondTensor, 1e-8), false, true)),
            read: dataOf,
            release: disposeTensor,
            dispose: () => tf.dispose([firstTensor, secondTensor]),
          };
        },
      },
    },
    {
      id: 'tfjs-xnnpack',
      label: `tfjs-backend-wasm ${version} matMul on pre-normalised A and pre-normalised, pre-transposed B (XNNPACK; matmul only)${detail}`,
      short: 'tfjs-wasm XNNPACK (pre-normalised, Bᵀ)',
      group: 'tfjs',
      budget: 'headline',
      tolerance: 1e-4,
      unavailable,
      ops: {
        pairwise: ({ first, second, rows, columnCount, length }) => {
          const firstUnit = tf.tidy(() => unitRows(tf.tensor2d(first, [rows, length]), 1e-8));
          const secondUnitTransposed = tf.tidy(() => tf.transpose(unitRows(tf.tensor2d(second, [columnCount, length]), 1e-8)).clone());
          return {
            run: () => tf.matMul(firstUnit, secondUnitTransposed),
            read: dataOf,
            release: disposeTensor,
            dispose: () => tf.dispose([firstUnit, secondUnitTransposed]),
          };
        },
        // Pre-normalised, pre-transposed corpus (done once, outside the timing); per call:
        // normalise the queries, then blocks of 100 queries: matMul → topk → read back.
        topk: ({ queries, corpus, rows, corpusCount, length, k }) => {
          const queryTensor = tf.tensor2d(queries, [rows, length]);
          const corpusUnitTransposed = tf.tidy(() => tf.transpose(unitRows(tf.tensor2d(corpus, [corpusCount, length]), 1e-8)).clone());
          const blockRows = 100;
          const indices = new Int32Array(rows * k);
          const scores = new Float32Array(rows * k);
          return {
            run: () => {
              const queryUnit = tf.tidy(() => unitRows(queryTensor, 1e-8));
              for (let start = 0; start < rows; start += blockRows) {
                const count = Math.min(blockRows, rows - start);
                const best = tf.tidy(() => tf.topk(tf.matMul(tf.slice(queryUnit, [start, 0], [count, length]), corpusUnitTransposed), k, true));
                indices.set(best.indices.dataSync(), start * k);
                scores.set(best.values.dataSync(), start * k);
                tf.dispose([best.indices, best.values]);
              }
              queryUnit.dispose();
              return { indices, scores };
            },
            dispose: () => tf.dispose([queryTensor, corpusUnitTransposed]),
          };
        },
      },
    },
    {
      // tfjs-core's Node bundle registers no gradients (only the @tensorflow/tfjs bundle
      // does), so the backward pass is written out with tfjs ops: two XNNPACK GEMMs, the
      // same flops as the formula.
      id: 'tfjs-ops',
      label: `tfjs-backend-wasm ${version} ops: forward and hand-written backward (matMul on materialised transposes, XNNPACK)${detail}`,
      short: 'tfjs-wasm ops (fwd + bwd)',
      group: 'tfjs',
      budget: 'small',
      tolerance: 1e-4,
      unavailable,
      ops: {
        infonce: ({ features, rows, length, temperature }) => {
          const eps = 1e-12;
          const featureTensor = tf.tensor2d(features, [rows, length]);
          const positiveValues = new Float32Array(rows * rows);
          const diagonalMaskValues = new Float32Array(rows * rows);
          for (let row = 0; row < rows; row++) {
            positiveValues[row * rows + (row ^ 1)] = 1;
            diagonalMaskValues[row * rows + row] = -1e9;
          }
          const positives = tf.tensor2d(positiveValues, [rows, rows]);
          const diagonalMask = tf.tensor2d(diagonalMaskValues, [rows, rows]);
          return {
            run: () =>
              tf.tidy(() => {
                const norms = tf.norm(featureTensor, 'euclidean', 1, true);
                const inverseNorms = tf.div(1, tf.maximum(norms, eps));
                const unit = tf.mul(featureTensor, inverseNorms);
                const logits = tf.add(tf.div(tf.matMul(unit, tf.transpose(unit)), temperature), diagonalMask);
                const logProbabilities = tf.logSoftmax(logits);
                const loss = tf.div(tf.neg(tf.sum(tf.mul(logProbabilities, positives))), rows);
                const logitGrad = tf.div(tf.sub(tf.exp(logProbabilities), positives), rows);
                const symmetric = tf.div(tf.add(logitGrad, tf.transpose(logitGrad)), temperature);
                const unitGrad = tf.matMul(symmetric, unit);
                const radial = tf.sum(tf.mul(unit, unitGrad), 1, true);
                const grad = tf.where(
                  tf.greater(norms, eps),
                  tf.mul(tf.sub(unitGrad, tf.mul(unit, radial)), inverseNorms),
                  tf.mul(unitGrad, inverseNorms),
                );
                return [loss, grad];
              }),
            read: ([loss, grad]) => ({ loss: loss.dataSync()[0], grad: grad.dataSync() }),
            release: (tensors) => tf.dispose(tensors),
            dispose: () => tf.dispose([featureTensor, positives, diagonalMask]),
          };
        },
      },
    },
  ];
}

// ───────────────────────────── cosinekit ─────────────────────────────

/** The cosinekit function each workload kind needs (feature-detected on the instance). */
export const COSINEKIT_FUNCTIONS = {
  single: 'cosine',
  rowwise: 'cosineSimilarity',
  normalize: 'normalize',
  pairwise: 'pairwiseCosine',
  topk: 'topK',
  infonce: 'infoNCE',
};

/**
 * cosinekit, one variant, on every workload but the single pair (see cosinekitPairContenders),
 * with zero-copy inputs (`alloc(shape)` WasmTensors, filled once
 * outside the timing, and a WasmTensor `out` where the function takes one) or copy-in
 * inputs (plain Float32Arrays, copied into WASM memory by every call; fresh JS-owned results).
 */
export function cosinekitContender(variant, zeroCopy, instance) {
  const api = instance.api ?? null;
  const budget = variant === 'scalar' ? 'baseline' : zeroCopy ? 'headline' : 'large';
  const tensorOf = (values, shape) => {
    if (!zeroCopy) return { data: values, shape };
    const tensor = api.alloc(shape);
    tensor.data.set(values);
    return tensor;
  };
  const outOf = (shape) => (zeroCopy ? api.alloc(shape) : undefined);
  const disposeAll = (...tensors) => () => {
    for (const tensor of tensors) if (tensor !== undefined && typeof tensor.dispose === 'function') tensor.dispose();
  };
  const copyOf = (values) => Float32Array.from(values);
  const prepared = {
    rowwise: ({ first, second, rows, length }) => {
      const firstTensor = tensorOf(first, [rows, length]);
      const secondTensor = tensorOf(second, [rows, length]);
      const out = outOf([rows]);
      const options = out === undefined ? undefined : { out };
      return {
        run: () => api.cosineSimilarity(firstTensor, secondTensor, options),
        read: (result) => copyOf(result.data),
        dispose: disposeAll(firstTensor, secondTensor, out),
      };
    },
    normalize: ({ values, rows, length }) => {
      const input = tensorOf(values, [rows, length]);
      const out = outOf([rows, length]);
      const options = out === undefined ? undefined : { out };
      return {
        run: () => api.normalize(input, options),
        read: (result) => copyOf(result.data),
        dispose: disposeAll(input, out),
      };
    },
    pairwise: ({ first, second, rows, columnCount, length }) => {
      const firstTensor = tensorOf(first, [rows, length]);
      const secondTensor = tensorOf(second, [columnCount, length]);
      const out = outOf([rows, columnCount]);
      const options = out === undefined ? undefined : { out };
      return {
        run: () => api.pairwiseCosine(firstTensor, secondTensor, options),
        read: (result) => copyOf(result.data),
        dispose: disposeAll(firstTensor, secondTensor, out),
      };
    },
    topk: ({ queries, corpus, rows, corpusCount, length, k }) => {
      const queryTensor = tensorOf(queries, [rows, length]);
      const corpusTensor = tensorOf(corpus, [corpusCount, length]);
      return {
        run: () => api.topK(queryTensor, corpusTensor, k),
        read: (result) => ({ indices: Int32Array.from(result.indices), scores: copyOf(result.scores) }),
        dispose: disposeAll(queryTensor, corpusTensor),
      };
    },
    infonce: ({ features, rows, length, temperature }) => {
      const input = tensorOf(features, [rows, length]);
      const options = { temperature, layout: 'interleaved', reduction: 'mean', grad: true };
      return {
        run: () => api.infoNCE(input, options),
        read: (result) => ({ loss: Number(result.loss), grad: copyOf(result.grad.data) }),
        dispose: disposeAll(input),
      };
    },
  };
  const ops = {};
  const missing = {};
  for (const [op, prepare] of Object.entries(prepared)) {
    const name = COSINEKIT_FUNCTIONS[op];
    if (api !== null && typeof api[name] !== 'function') missing[op] = `${name} is not available in this build`;
    ops[op] = prepare;
  }
  return {
    id: `cosinekit-${variant}-${zeroCopy ? 'zero-copy' : 'copy-in'}`,
    label: `cosinekit ${variant}, ${zeroCopy ? 'zero-copy (WasmTensor in and out)' : 'copy-in (Float32Array in, fresh result)'}`,
    short: `cosinekit ${variant}, ${zeroCopy ? 'zero-copy' : 'copy-in'}`,
    group: 'cosinekit',
    variant,
    zeroCopy,
    budget,
    tolerance: 1e-5,
    unavailable: instance.reason ?? null,
    missing,
    ops,
  };
}

/** The D at which the tensor-API rows are measured (the two D its targets name). */
export const TENSOR_API_LENGTHS = [8, 768];

/**
 * cosinekit on the single pair, one variant, three ways:
 * - `cosine` copy-in: `api.cosine(a, b)` on the caller's JS-owned arrays (Float32Array, or
 *   the number[] itself), which the call copies into WASM memory;
 * - `cosine` zero-copy (Float32Array only): `a`, `b` are `alloc([D]).data`, views of WASM
 *   memory filled once, read in place. They live on an instance of their own (`zeroCopyInstance`),
 *   so that no other contender's call can grow that memory and detach the views between
 *   the check and the timing;
 * - tensor API (Float32Array, D in TENSOR_API_LENGTHS): `api.cosineSimilarity` of two
 *   `{ data, shape: [1, D] }` operands built once, default dim 1, the number read from `.data[0]`.
 */
export function cosinekitPairContenders(variant, instance, zeroCopyInstance) {
  const api = instance.api ?? null;
  const zeroCopyApi = zeroCopyInstance.api ?? null;
  const missing = (name) => (api !== null && typeof api[name] !== 'function' ? { single: `${name} is not available in this build` } : {});
  const base = {
    group: 'cosinekit',
    variant,
    budget: variant === 'scalar' ? 'baseline' : 'large',
    tolerance: 1e-5,
    unavailable: instance.reason ?? null,
  };
  const copyIn = {
    ...base,
    id: `cosinekit-${variant}-cosine-copy-in`,
    label: `cosinekit ${variant} cosine(a, b), copy-in (JS-owned Float32Array or number[], copied by the call)`,
    short: `cosinekit ${variant} cosine, copy-in`,
    zeroCopy: false,
    missing: missing('cosine'),
    appliesTo: singleKindsOf(['f32', 'array']),
    ops: { single: (pairs) => ({ run: pairRun(api.cosine, pairs, `cosinekit-${variant}-copy-in-${pairs.kind}`) }) },
  };
  const zeroCopy = {
    ...base,
    id: `cosinekit-${variant}-cosine-zero-copy`,
    label: `cosinekit ${variant} cosine(a, b), zero-copy (a, b = alloc([D]).data, views of WASM memory)`,
    short: `cosinekit ${variant} cosine, zero-copy`,
    zeroCopy: true,
    unavailable: zeroCopyInstance.reason ?? instance.reason ?? null,
    missing: missing('cosine'),
    appliesTo: singleKindsOf(['f32']),
    ops: {
      single: (pairs) => {
        const tensors = [];
        const inWasm = (values) => {
          const tensor = zeroCopyApi.alloc([values.length]);
          tensors.push(tensor);
          tensor.data.set(values);
          return tensor;
        };
        const firstTensors = pairs.firsts.map(inWasm);
        const secondTensors = pairs.seconds.map(inWasm);
        // Views taken after the last alloc (an alloc may grow memory, which detaches older views).
        const views = { ...pairs, firsts: firstTensors.map((tensor) => tensor.data), seconds: secondTensors.map((tensor) => tensor.data) };
        return {
          run: pairRun(zeroCopyApi.cosine, views, `cosinekit-${variant}-zero-copy`),
          dispose: () => {
            for (const tensor of tensors) tensor.dispose();
          },
        };
      },
    },
  };
  const tensorApi = {
    ...base,
    id: `cosinekit-${variant}-tensor`,
    label: `cosinekit ${variant} cosineSimilarity({ data, shape: [1, D] }, …) (tensor API, default dim 1, Float32Array operands; .data[0])`,
    short: `cosinekit ${variant} cosineSimilarity [1,D]`,
    zeroCopy: false,
    missing: missing('cosineSimilarity'),
    appliesTo: (workload) => workload.op !== 'single' || (workload.params.kind === 'f32' && TENSOR_API_LENGTHS.includes(workload.params.D)),
    ops: {
      single: (pairs) => {
        const operands = (vectors) => vectors.map((data) => ({ data, shape: [1, data.length] }));
        const tensorPairs = { ...pairs, firsts: operands(pairs.firsts), seconds: operands(pairs.seconds) };
        const similarity = (first, second) => api.cosineSimilarity(first, second).data[0];
        return { run: pairRun(similarity, tensorPairs, `cosinekit-${variant}-tensor`) };
      },
    },
  };
  return [copyIn, zeroCopy, tensorApi];
}

export { jsNaive, jsOptimised };
