// The losses section: every loss's forward + backward throughput (clipLoss, sigLipLoss,
// multipleNegativesRankingLoss, infoNCE, supConLoss, mocoLoss, tripletLoss) against the
// pairwise GEMM, and the WASM memory a call grows, at N = 4096 rows of D = 512 by default
// and at any N given with --losses-n (16 384 is the other size: about half an hour
// per runtime on a 2-core machine, so not in the default run) (issue #17).
//
// Units. A similarity-matrix loss fwd+bwd over an N × N matrix is counted as 6·N²·D flops
// (three N×N×D products: the logits, and the two gradient products), whatever it really
// computes (the kernels recompute the logits in a second sweep, and the symmetric ones,
// infoNCE and supConLoss, compute half of each product). mocoLoss against a queue of K rows
// gives the query alone a gradient: 4·N·(K + 1)·D (the logits against the key and the
// queue, and one gradient product; its second sweep recomputes the N × K logits on top, so
// 2/3 is its ceiling). The pairwise GEMM is 2·N²·D (the product behind `pairwiseCosine`,
// streamed through `pairwiseCosineBlocks` so that a 16 384² result never has to exist).
// Ratio = loss GFLOP/s / pairwise GFLOP/s, from the same interleaved rounds of one process
// (medians). tripletLoss is row-wise, O(N·D) with no product to compare: its rate is GB/s of
// the 24·N·D bytes it must move (the three inputs read, the three gradients written), and the
// GEMM ratio does not apply.
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

/**
 * Float64 SupCon (contrast_mode 'all', one view per row): per anchor with a positive,
 * (τ/τ_base)·(lse over a ≠ i − mean positive logit); mean over those anchors.
 */
export function supConLoss64(features, labels, rows, depth, temperature, baseTemperature) {
  const unit = unitRows(features, rows, depth);
  const line = new Float64Array(rows);
  let total = 0;
  let anchors = 0;
  for (let row = 0; row < rows; row++) {
    let maximum = -Infinity;
    for (let column = 0; column < rows; column++) {
      if (column === row) continue;
      line[column] = dot(unit, row * depth, unit, column * depth, depth) / temperature;
      maximum = Math.max(maximum, line[column]);
    }
    let sum = 0;
    let positiveSum = 0;
    let positives = 0;
    for (let column = 0; column < rows; column++) {
      if (column === row) continue;
      sum += Math.exp(line[column] - maximum);
      if (labels[column] === labels[row]) {
        positiveSum += line[column];
        positives++;
      }
    }
    if (positives === 0) continue;
    total += (temperature / baseTemperature) * (maximum + Math.log(sum) - positiveSum / positives);
    anchors++;
  }
  return total / anchors;
}

/** Float64 MoCo loss: logits [q̂·k̂, q̂·Q̂ᵀ] / τ per query, cross-entropy with label 0, mean. */
export function mocoLoss64(query, key, queue, rows, queueRows, depth, temperature) {
  const unitQuery = unitRows(query, rows, depth);
  const unitKey = unitRows(key, rows, depth);
  const unitQueue = unitRows(queue, queueRows, depth);
  const line = new Float64Array(queueRows);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    const positive = dot(unitQuery, row * depth, unitKey, row * depth, depth) / temperature;
    let maximum = positive;
    for (let column = 0; column < queueRows; column++) {
      line[column] = dot(unitQuery, row * depth, unitQueue, column * depth, depth) / temperature;
      maximum = Math.max(maximum, line[column]);
    }
    let sum = Math.exp(positive - maximum);
    for (let column = 0; column < queueRows; column++) sum += Math.exp(line[column] - maximum);
    total += maximum + Math.log(sum) - positive;
  }
  return total / rows;
}

/** Float64 cosine triplet loss: mean of max(0, cos(a, n) − cos(a, p) + margin), each norm clamped at 1e-8. */
export function tripletLoss64(anchor, positive, negative, rows, depth, margin) {
  const cosine = (first, second, base) => {
    let product = 0;
    let firstSquares = 0;
    let secondSquares = 0;
    for (let index = base; index < base + depth; index++) {
      product += first[index] * second[index];
      firstSquares += first[index] ** 2;
      secondSquares += second[index] ** 2;
    }
    return product / (Math.max(Math.sqrt(firstSquares), 1e-8) * Math.max(Math.sqrt(secondSquares), 1e-8));
  };
  let total = 0;
  for (let row = 0; row < rows; row++) {
    const base = row * depth;
    total += Math.max(0, cosine(anchor, negative, base) - cosine(anchor, positive, base) + margin);
  }
  return total / rows;
}

const finiteArray = (values) => values.every(Number.isFinite);

/** Work of a loss over an N × M similarity matrix, fwd+bwd: three N×M×D products. */
const productWork = (rows, columns, depth) => ({ unit: 'GFLOP/s', amount: 6 * rows * columns * depth });

/**
 * The loss contenders of one size: each runs fwd+bwd and returns what its check needs, and
 * says what its rate counts (`work`: flops, or bytes for the row-wise triplet loss).
 */
function lossContenders(api, tensors) {
  const { image, text, features, labels, queue, negative } = tensors;
  return [
    {
      id: 'clipLoss',
      run: () => api.clipLoss(image, text, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradImage.data) && finiteArray(result.gradText.data),
      reference: ({ rows, depth }) => clipLoss64(image.data, text.data, rows, depth, 1 / 0.07),
      work: ({ rows, depth }) => productWork(rows, rows, depth),
    },
    {
      id: 'sigLipLoss',
      run: () => api.sigLipLoss(image, text, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradImage.data) && finiteArray(result.gradText.data),
      reference: ({ rows, depth }) => sigLipLoss64(image.data, text.data, rows, depth, 10, -10),
      work: ({ rows, depth }) => productWork(rows, rows, depth),
    },
    {
      id: 'multipleNegativesRankingLoss',
      run: () => api.multipleNegativesRankingLoss(image, text, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradAnchors.data) && finiteArray(result.gradCandidates.data),
      reference: ({ rows, depth }) => rankingLoss64(image.data, text.data, rows, depth, 20),
      work: ({ rows, depth }) => productWork(rows, rows, depth),
    },
    {
      id: 'infoNCE',
      run: () => api.infoNCE(features, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.grad.data),
      reference: ({ rows, depth }) => infoNCE64(features.data, rows, depth, 0.07),
      work: ({ rows, depth }) => productWork(rows, rows, depth),
    },
    {
      id: 'supConLoss',
      run: () => api.supConLoss(features, labels, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.grad.data),
      reference: ({ rows, depth }) => supConLoss64(features.data, labels, rows, depth, 0.07, 0.07),
      work: ({ rows, depth }) => productWork(rows, rows, depth),
    },
    {
      id: 'mocoLoss',
      run: () => api.mocoLoss(image, text, queue, { grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradQuery.data),
      reference: ({ rows, depth }) => mocoLoss64(image.data, text.data, queue.data, rows, queue.shape[0], depth, 0.07),
      work: ({ rows, depth }) => ({ unit: 'GFLOP/s', amount: 4 * rows * (queue.shape[0] + 1) * depth }),
    },
    {
      id: 'tripletLoss',
      run: () => api.tripletLoss(image, text, negative, { margin: 0.5, grad: true }),
      finite: (result) => Number.isFinite(result.loss) && finiteArray(result.gradAnchor.data) && finiteArray(result.gradPositive.data) && finiteArray(result.gradNegative.data),
      reference: ({ rows, depth }) => tripletLoss64(image.data, text.data, negative.data, rows, depth, 0.5),
      work: ({ rows, depth }) => ({ unit: 'GB/s', amount: 24 * rows * depth }),
    },
  ];
}

/**
 * SupCon labels for the interleaved features: rows 2k and 2k + 1 (a pair of views) share a
 * label, and the pairs fall into 100 classes (k mod 100), so every anchor has positives in
 * other tiles too (a CIFAR-100-like batch).
 */
export function supConLabels(rows) {
  return Int32Array.from({ length: rows }, (_, row) => (row >> 1) % 100);
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
  // MoCo's queue: as many rows as the batch, from their own seed; the triplet negatives too.
  const queueRows = rows;
  const queueValues = pairedFeatures(seedFromLabel(`losses-queue-${rows}-d${depth}`), queueRows, depth);
  const negativeValues = pairedFeatures(seedFromLabel(`losses-negative-${rows}-d${depth}`), rows, depth);
  const labels = supConLabels(rows);
  const fill = (api) => {
    const image = api.alloc([rows, depth]);
    const text = api.alloc([rows, depth]);
    const features = api.alloc([rows, depth]);
    const queue = api.alloc([queueRows, depth]);
    const negative = api.alloc([rows, depth]);
    for (let row = 0; row < rows; row++) {
      image.data.set(paired.subarray(2 * row * depth, (2 * row + 1) * depth), row * depth);
      text.data.set(paired.subarray((2 * row + 1) * depth, (2 * row + 2) * depth), row * depth);
    }
    features.data.set(paired.subarray(0, rows * depth));
    queue.data.set(queueValues);
    negative.data.set(negativeValues);
    return { image, text, features, queue, negative };
  };
  const records = [];
  for (const { id } of lossContenders(null, {})) {
    const api = cosinekit.createInstanceSync({ variant });
    const tensors = fill(api);
    const contender = lossContenders(api, { ...tensors, labels }).find((entry) => entry.id === id);
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
    const extra = id === 'mocoLoss' ? { queueRows } : id === 'supConLoss' ? { labels: 'pairs of views share a label; 100 classes ((row >> 1) mod 100)' } : {};
    records.push({ id, rows, depth, ...extra, variant, wasmGrowthBytes, heapLeakBytes: api.heapBytesInUse() - heapBefore, firstCallSeconds, loss: result.loss, check });
    for (const tensor of Object.values(tensors)) tensor.dispose();
    log(`  ${id} ${rows} × ${depth}: first call ${firstCallSeconds.toFixed(2)} s, WASM memory grown ${(wasmGrowthBytes / 2 ** 20).toFixed(1)} MiB`);
  }
  // Timing: one instance for everything, so the memory each call needs is already there.
  const api = cosinekit.createInstanceSync({ variant });
  const tensors = fill(api);
  const timed = [{ id: 'pairwise', run: () => pairwiseThroughBlocks(api, tensors.image, tensors.text), work: { unit: 'GFLOP/s', amount: 2 * rows * rows * depth } }];
  for (const contender of lossContenders(api, { ...tensors, labels })) timed.push({ id: contender.id, run: contender.run, work: contender.work({ rows, depth }) });
  // Warm-up: every path optimised once. A call faster than a quarter of a second (the
  // row-wise triplet loss) is repeated within each round, so a round is not one timer tick.
  for (const entry of timed) entry.repeat = Math.max(1, Math.ceil(0.25 / timeOneCall(entry.run)));
  const seconds = new Map(timed.map((entry) => [entry.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < timed.length; offset++) {
      const entry = timed[(round + offset) % timed.length];
      const calls = () => {
        for (let call = 0; call < entry.repeat; call++) entry.run();
      };
      seconds.get(entry.id).push(timeOneCall(calls) / entry.repeat);
    }
  }
  for (const tensor of Object.values(tensors)) tensor.dispose();
  const rate = (entry) => entry.work.amount / median(seconds.get(entry.id)) / 1e9;
  const pairwiseRate = rate(timed[0]);
  for (const entry of timed.slice(1)) {
    const record = records.find((candidate) => candidate.id === entry.id);
    record.seconds = median(seconds.get(entry.id));
    record.roundSeconds = seconds.get(entry.id);
    record.rate = rate(entry);
    record.rateUnit = entry.work.unit;
    // GFLOP/s and the GEMM ratio for the product losses; the row-wise triplet loss has neither.
    record.gflops = entry.work.unit === 'GFLOP/s' ? record.rate : null;
    record.pairwiseGflops = pairwiseRate;
    record.pairwiseSeconds = median(seconds.get('pairwise'));
    record.ratioToPairwise = record.gflops === null ? null : record.gflops / pairwiseRate;
    const versus = record.ratioToPairwise === null ? 'O(N·D): the GEMM ratio does not apply' : `${record.ratioToPairwise.toFixed(2)}× the pairwise GEMM (${pairwiseRate.toFixed(2)} GFLOP/s)`;
    log(`  ${entry.id} ${rows} × ${depth}: fwd+bwd ${record.seconds.toFixed(3)} s, ${record.rate.toFixed(2)} ${record.rateUnit} = ${versus}`);
  }
  return records;
}

/** The variant the losses run on: `requested` ('auto' = the best this engine validates), else simd128, else scalar. */
function lossesVariant(cosinekit, requested) {
  if (requested === 'auto') return ['relaxed', 'simd128', 'scalar'].find((name) => cosinekit.isVariantSupported(name));
  if (requested !== null) {
    if (!cosinekit.isVariantSupported(requested)) throw new Error(`--losses-variant=${requested}: this engine cannot run that variant`);
    return requested;
  }
  return ['simd128', 'scalar'].find((name) => cosinekit.isVariantSupported(name));
}

/**
 * The losses section of a run: records for every loss at every size. `rowCounts` (from
 * --losses-n) replaces the default N = 4096 of a full run; a quick run always uses its
 * small sizes. `variant` is --losses-variant (null: simd128).
 */
export function measureLosses({ cosinekit, quick, log, rowCounts = null, variant: requested = null }) {
  const variant = lossesVariant(cosinekit, requested);
  const sizes = quick ? [{ rows: 256, depth: 64 }, { rows: 640, depth: 64 }] : (rowCounts ?? [4096]).map((rows) => ({ rows, depth: 512 }));
  const rounds = quick ? 2 : 3;
  log(`losses (${variant}): fwd+bwd throughput vs the pairwise GEMM, and WASM memory grown by one call`);
  const records = sizes.flatMap(({ rows, depth }) => measureSize({ cosinekit, variant, rows, depth, rounds, checkLimit: 4096, log }));
  return {
    variant,
    flops: {
      loss: '6·N²·D per fwd+bwd (the N × N losses); mocoLoss 4·N·(K + 1)·D (queue of K = N rows, gradient of the query only)',
      triplet: 'tripletLoss: GB/s of 24·N·D bytes (three inputs read, three gradients written); O(N·D), no GEMM ratio',
      pairwise: '2·N²·D (pairwiseCosineBlocks over the same rows)',
    },
    method: `${rounds} interleaved rounds of one call each (calls under 0.25 s repeated within a round) after one warm-up call; medians. Memory: growth of a fresh instance's WASM memory over its first call, inputs already WasmTensors.`,
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
    `Throughput counts ${section.flops.loss}; ${section.flops.triplet}; the baseline is the pairwise GEMM (${section.flops.pairwise}) in the same rounds. ${section.method}`,
    '',
    '| loss | N × D | fwd+bwd | rate | vs pairwise GEMM | WASM memory grown |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const record of section.records) {
    const ratio = record.ratioToPairwise === null ? 'n/a (O(N·D))' : `${record.ratioToPairwise.toFixed(2)}×`;
    const seconds = record.seconds < 1 ? `${(record.seconds * 1000).toFixed(1)} ms` : `${record.seconds.toFixed(2)} s`;
    lines.push(
      `| ${record.id} | ${record.rows.toLocaleString('en')} × ${record.depth} | ${seconds} | ${record.rate.toFixed(2)} ${record.rateUnit} | ${ratio} | ${(record.wasmGrowthBytes / 2 ** 20).toFixed(1)} MiB |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
