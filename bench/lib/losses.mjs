// The losses section: every loss's forward + backward throughput (clipLoss, sigLipLoss,
// multipleNegativesRankingLoss, infoNCE) against the pairwise GEMM,
// and the WASM memory a call grows, at N = 4096 and 16 384 rows of D = 512 (issue #17).
//
// Units. A loss fwd+bwd is counted as 6·N²·D flops (three N×N×D products: the logits, and
// the two gradient products), whatever it really computes (the kernels recompute the logits
// in a second sweep, and the symmetric ones compute half of each product); the pairwise
// GEMM as 2·N²·D (the product behind `pairwiseCosine`, streamed through
// `pairwiseCosineBlocks` so that a 16 384² result never has to exist). Ratio = loss GFLOP/s
// / pairwise GFLOP/s, from the same interleaved rounds of one process (medians).
//
// Memory. A fresh instance gets the inputs as WasmTensors; WASM memory only grows when the
// heap has no free block for a request, so the growth over the first call bounds everything
// that call held at once: scratch, and the gradients staged in WASM memory before they are
// copied out (2·N·D floats for clipLoss: 64 MiB at 16 384 × 512).
//
// Checks. Every loss value is compared with a float64 reference written here from the
// definitions (streaming rows, O(N) memory) when N ≤ 4096 (relative error ≤ 1e-5); at
// 16 384 that reference would take minutes of JS, so there the loss and every gradient
// entry are only checked to be finite (the record says so). The gradients themselves are
// checked against PyTorch autograd and finite differences by the tests.

import { pairedFeatures, seedFromLabel } from './data.mjs';
import { median, timeOneCall } from './measure.mjs';

/** Rows of `values` ([rows, depth]) divided by max(‖row‖, 1e-12), in float64. */
function unitRows(values, rows, depth) {
  const unit = new Float64Array(rows * depth);
  for (let row = 0; row < rows; row++) {
    let squares = 0;
    for (let index = 0; index < depth; index++) squares += values[row * depth + index] ** 2;
    const inverse = 1 / Math.max(Math.sqrt(squares), 1e-12);
    for (let index = 0; index < depth; index++) unit[row * depth + index] = values[row * depth + index] * inverse;
  }
  return unit;
}

function dot(first, firstBase, second, secondBase, depth) {
  let sum = 0;
  for (let index = 0; index < depth; index++) sum += first[firstBase + index] * second[secondBase + index];
  return sum;
}

/** Float64 CLIP loss (open_clip's ClipLoss), one row of logits at a time; column log-sum-exps online. */
export function clipLoss64(image, text, rows, depth, logitScale) {
  const unitImage = unitRows(image, rows, depth);
  const unitText = unitRows(text, rows, depth);
  const columnMaximum = new Float64Array(rows).fill(-Infinity);
  const columnSum = new Float64Array(rows);
  const line = new Float64Array(rows);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    let maximum = -Infinity;
    for (let column = 0; column < rows; column++) {
      line[column] = logitScale * dot(unitImage, row * depth, unitText, column * depth, depth);
      maximum = Math.max(maximum, line[column]);
    }
    let sum = 0;
    for (let column = 0; column < rows; column++) {
      sum += Math.exp(line[column] - maximum);
      if (line[column] > columnMaximum[column]) {
        columnSum[column] = columnSum[column] * Math.exp(columnMaximum[column] - line[column]) + 1;
        columnMaximum[column] = line[column];
      } else {
        columnSum[column] += Math.exp(line[column] - columnMaximum[column]);
      }
    }
    total += maximum + Math.log(sum) - 2 * line[row];
  }
  for (let column = 0; column < rows; column++) total += columnMaximum[column] + Math.log(columnSum[column]);
  return total / (2 * rows);
}

/** Float64 NT-Xent (interleaved positives i XOR 1, diagonal excluded, mean over the rows). */
export function infoNCE64(features, rows, depth, temperature) {
  const unit = unitRows(features, rows, depth);
  const line = new Float64Array(rows);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    let maximum = -Infinity;
    for (let column = 0; column < rows; column++) {
      line[column] = column === row ? -Infinity : dot(unit, row * depth, unit, column * depth, depth) / temperature;
      maximum = Math.max(maximum, line[column]);
    }
    let sum = 0;
    for (let column = 0; column < rows; column++) if (column !== row) sum += Math.exp(line[column] - maximum);
    total += maximum + Math.log(sum) - line[row ^ 1];
  }
  return total / rows;
}

/** Float64 SigLIP loss (open_clip's SigLipLoss): Σ log(1 + exp(−z·(t·s + b))) / N, z = ±1. */
export function sigLipLoss64(image, text, rows, depth, logitScale, logitBias) {
  const unitImage = unitRows(image, rows, depth);
  const unitText = unitRows(text, rows, depth);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < rows; column++) {
      const signed = (row === column ? 1 : -1) * (logitScale * dot(unitImage, row * depth, unitText, column * depth, depth) + logitBias);
      total += Math.max(-signed, 0) + Math.log1p(Math.exp(-Math.abs(signed)));
    }
  }
  return total / rows;
}

/** Float64 multiple negatives ranking loss: CE(scale · cos(anchors, candidates), arange N), mean. */
export function rankingLoss64(anchors, candidates, rows, depth, scale) {
  const unitAnchors = unitRows(anchors, rows, depth);
  const unitCandidates = unitRows(candidates, rows, depth);
  const line = new Float64Array(rows);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    let maximum = -Infinity;
    for (let column = 0; column < rows; column++) {
      line[column] = scale * dot(unitAnchors, row * depth, unitCandidates, column * depth, depth);
      maximum = Math.max(maximum, line[column]);
    }
    let sum = 0;
    for (let column = 0; column < rows; column++) sum += Math.exp(line[column] - maximum);
    total += maximum + Math.log(sum) - line[row];
  }
  return total / rows;
}

const finiteArray = (values) => values.every(Number.isFinite);

/** The loss contenders of one size: each runs fwd+bwd and returns what its check needs. */
function lossContenders(api, tensors) {
  const { image, text, features } = tensors;
  return [
    {
      id: 'clipLoss',
      run: () => api.clipLoss(image, text, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradImage.data) && finiteArray(result.gradText.data),
      reference: ({ rows, depth }) => clipLoss64(image.data, text.data, rows, depth, 1 / 0.07),
    },
    {
      id: 'sigLipLoss',
      run: () => api.sigLipLoss(image, text, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradImage.data) && finiteArray(result.gradText.data),
      reference: ({ rows, depth }) => sigLipLoss64(image.data, text.data, rows, depth, 10, -10),
    },
    {
      id: 'multipleNegativesRankingLoss',
      run: () => api.multipleNegativesRankingLoss(image, text, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradAnchors.data) && finiteArray(result.gradCandidates.data),
      reference: ({ rows, depth }) => rankingLoss64(image.data, text.data, rows, depth, 20),
    },
    {
      id: 'infoNCE',
      run: () => api.infoNCE(features, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.grad.data),
      reference: ({ rows, depth }) => infoNCE64(features.data, rows, depth, 0.07),
    },
  ];
}

/** All the blocks of the pairwise matrix (the baseline's work), touching one value per block. */
function pairwiseThroughBlocks(api, image, text) {
  let touched = 0;
  for (const block of api.pairwiseCosineBlocks(image, text)) touched += block.data[0] ?? 0;
  return touched;
}

/**
 * Measures one size: memory of each loss's first call on a fresh instance (that call is
 * also its warm-up), its check, then `rounds` interleaved rounds of the pairwise baseline
 * and every loss (one call each per round, the starting contender rotating).
 */
export function measureSize({ cosinekit, variant, rows, depth, rounds, checkLimit, log }) {
  const seed = seedFromLabel(`losses-${rows}-d${depth}`);
  const paired = pairedFeatures(seed, 2 * rows, depth);
  const fill = (api) => {
    const image = api.alloc([rows, depth]);
    const text = api.alloc([rows, depth]);
    const features = api.alloc([rows, depth]);
    for (let row = 0; row < rows; row++) {
      image.data.set(paired.subarray(2 * row * depth, (2 * row + 1) * depth), row * depth);
      text.data.set(paired.subarray((2 * row + 1) * depth, (2 * row + 2) * depth), row * depth);
    }
    features.data.set(paired.subarray(0, rows * depth));
    return { image, text, features };
  };
  const records = [];
  for (const { id } of lossContenders(null, {})) {
    const api = cosinekit.createInstanceSync({ variant });
    const tensors = fill(api);
    const contender = lossContenders(api, tensors).find((entry) => entry.id === id);
    const memoryBefore = api.backendInfo().memoryBytes;
    const heapBefore = api.heapBytesInUse();
    let result;
    const firstCallSeconds = timeOneCall(() => {
      result = contender.run();
    });
    const wasmGrowthBytes = api.backendInfo().memoryBytes - memoryBefore;
    let check;
    if (!contender.finite(result)) throw new Error(`${id} ${rows} × ${depth}: a non-finite loss or gradient`);
    if (rows <= checkLimit) {
      const expected = contender.reference({ rows, depth });
      const error = Math.abs(result.loss - expected) / Math.abs(expected);
      if (!(error <= 1e-5)) throw new Error(`${id} ${rows} × ${depth}: loss ${result.loss}, float64 reference ${expected} (relative error ${error})`);
      check = { reference: expected, relativeError: error };
    } else {
      check = { reference: null, note: 'finite loss and gradients only (the float64 reference would take minutes of JS at this size)' };
    }
    records.push({ id, rows, depth, variant, wasmGrowthBytes, heapLeakBytes: api.heapBytesInUse() - heapBefore, firstCallSeconds, loss: result.loss, check });
    for (const tensor of Object.values(tensors)) tensor.dispose();
    log(`  ${id} ${rows} × ${depth}: first call ${firstCallSeconds.toFixed(2)} s, WASM memory grown ${(wasmGrowthBytes / 2 ** 20).toFixed(1)} MiB`);
  }
  // Timing: one instance for everything, so the memory each call needs is already there.
  const api = cosinekit.createInstanceSync({ variant });
  const tensors = fill(api);
  const timed = [{ id: 'pairwise', run: () => pairwiseThroughBlocks(api, tensors.image, tensors.text), flops: 2 * rows * rows * depth }];
  for (const contender of lossContenders(api, tensors)) timed.push({ id: contender.id, run: contender.run, flops: 6 * rows * rows * depth });
  timed.forEach((entry) => entry.run()); // warm-up: every path optimised once
  const seconds = new Map(timed.map((entry) => [entry.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < timed.length; offset++) {
      const entry = timed[(round + offset) % timed.length];
      seconds.get(entry.id).push(timeOneCall(entry.run));
    }
  }
  for (const tensor of Object.values(tensors)) tensor.dispose();
  const rate = (entry) => entry.flops / median(seconds.get(entry.id)) / 1e9;
  const pairwiseRate = rate(timed[0]);
  for (const entry of timed.slice(1)) {
    const record = records.find((candidate) => candidate.id === entry.id);
    record.seconds = median(seconds.get(entry.id));
    record.roundSeconds = seconds.get(entry.id);
    record.gflops = rate(entry);
    record.pairwiseGflops = pairwiseRate;
    record.pairwiseSeconds = median(seconds.get('pairwise'));
    record.ratioToPairwise = record.gflops / pairwiseRate;
    log(`  ${entry.id} ${rows} × ${depth}: fwd+bwd ${record.seconds.toFixed(2)} s, ${record.gflops.toFixed(2)} GFLOP/s = ${record.ratioToPairwise.toFixed(2)}× the pairwise GEMM (${pairwiseRate.toFixed(2)} GFLOP/s)`);
  }
  return records;
}

/** The losses section of a run: records for every loss at every size. */
export function measureLosses({ cosinekit, quick, log }) {
  const variant = ['simd128', 'scalar'].find((name) => cosinekit.isVariantSupported(name));
  const sizes = quick ? [{ rows: 256, depth: 64 }, { rows: 640, depth: 64 }] : [{ rows: 4096, depth: 512 }, { rows: 16_384, depth: 512 }];
  const rounds = quick ? 2 : 3;
  log(`losses (${variant}): fwd+bwd throughput vs the pairwise GEMM, and WASM memory grown by one call`);
  const records = sizes.flatMap(({ rows, depth }) => measureSize({ cosinekit, variant, rows, depth, rounds, checkLimit: 4096, log }));
  return {
    variant,
    flops: { loss: '6·N²·D per fwd+bwd', pairwise: '2·N²·D (pairwiseCosineBlocks over the same rows)' },
    method: `${rounds} interleaved rounds of one call each after one warm-up call; medians. Memory: growth of a fresh instance's WASM memory over its first call, inputs already WasmTensors.`,
    records,
  };
}

/** Markdown rows of the section. */
export function lossesMarkdown(section) {
  if (section === null) return '';
  const lines = [
    '',
    `### Losses (fwd+bwd, ${section.variant})`,
    '',
    `Throughput counts ${section.flops.loss}; the baseline is the pairwise GEMM (${section.flops.pairwise}) in the same rounds. ${section.method}`,
    '',
    '| loss | N × D | fwd+bwd | GFLOP/s | vs pairwise GEMM | WASM memory grown |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const record of section.records) {
    lines.push(
      `| ${record.id} | ${record.rows.toLocaleString('en')} × ${record.depth} | ${record.seconds.toFixed(2)} s | ${record.gflops.toFixed(2)} | ${record.ratioToPairwise.toFixed(2)}× | ${(record.wasmGrowthBytes / 2 ** 20).toFixed(1)} MiB |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
