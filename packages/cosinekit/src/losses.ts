// infoNCE (NT-Xent), clipLoss, sigLipLoss, multipleNegativesRankingLoss, tripletLoss,
// mocoLoss, supConLoss and cosineEmbeddingLoss, with analytic gradients computed in
// the kernels (crates/cosinekit-core/src/loss.rs). Validation and reductions live here.

import { execute } from './execute.js';
import { type Runtime, aligned16 } from './runtime.js';
import { type Operand, type Tensor, isDetached, operand } from './tensor.js';
import { typedArrayBufferGetter, typedArrayLengthGetter, typedArrayTagGetter } from './intrinsics.js';
import { booleanOption, checkOptions, describe, finiteOption, formatShape, isArrayValue, readProperty } from './validate.js';
import type { LossFamily } from './families.js';

/** How per-row losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';
/** `number` for 'mean' and 'sum', one value per row for 'none'. */
export type ReducedLoss<R extends Reduction> = R extends 'none' ? Float32Array : number;

/** Options of `infoNCE`. */
export interface InfoNCEOptions<R extends Reduction = Reduction, G extends boolean = boolean> {
  /** τ: logits are cosine / τ. Default 0.07. */
  temperature?: number;
  /** Where row i's positive is: 'interleaved' = i XOR 1 (default), 'halves' = i ± N. */
  layout?: 'interleaved' | 'halves';
  /** 'mean' over all 2N rows (default), 'sum', or 'none' (2N values). */
  reduction?: R;
  /** Also return d loss / d features (for 'none': of the sum of the row losses). */
  grad?: G;
}

/** The gradient fields `T` when `G` is `true`; absent when it is `false`; either when it is `boolean`. */
export type GradFields<G extends boolean, T> = G extends true ? T : { [K in keyof T]?: undefined };

/** Result of `infoNCE`: `grad` (d loss / d features, `[2N, D]`) is there exactly when `grad: true`. */
export type InfoNCEResult<R extends Reduction = 'mean', G extends boolean = false> = { loss: ReducedLoss<R> } & GradFields<G, { grad: Tensor }>;

/** Options of `clipLoss`. */
export interface ClipLossOptions<G extends boolean = boolean> {
  /** The logit scale s, already exponentiated: logits = s · Î·T̂ᵀ. Default 1/0.07. */
  logitScale?: number;
  /** Also return the gradients. */
  grad?: G;
}

/** The gradients `clipLoss` returns with `grad: true`. */
export interface ClipGradients {
  /** d loss / d image. */
  gradImage: Tensor;
  /** d loss / d text. */
  gradText: Tensor;
  /** d loss / d log(logitScale). */
  gradLogitScale: number;
}

/** Result of `clipLoss`: the gradient fields are there exactly when `grad: true`. */
export type ClipLossResult<G extends boolean = false> = { loss: number } & GradFields<G, ClipGradients>;

/** Options of `cosineEmbeddingLoss`. */
export interface CosineEmbeddingLossOptions<R extends Reduction = Reduction> {
  /** Margin for target −1 pairs. Default 0. */
  margin?: number;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: R;
}

const INFONCE_OPTIONS = ['temperature', 'layout', 'reduction', 'grad'] as const;
const CLIP_OPTIONS = ['logitScale', 'grad'] as const;
const EMBEDDING_OPTIONS = ['margin', 'reduction'] as const;


function reductionOption(value: unknown): Reduction {
  if (value === undefined) return 'mean';
  if (value === 'mean' || value === 'sum' || value === 'none') return value;
  if (typeof value !== 'string') throw new TypeError(`reduction must be 'mean', 'sum' or 'none', got ${describe(value)}`);
  throw new RangeError(`reduction must be 'mean', 'sum' or 'none', got ${describe(value)}`);
}

/** A positive, finite option the kernels take as float32: it must stay positive and finite once rounded to it. */
function positiveFinite(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${describe(value)}`);
  const single = Math.fround(value);
  if (single === 0 || !Number.isFinite(single)) {
    throw new RangeError(`${name} must be a number float32 holds (about 1.4e-45 to 3.4e38), got ${describe(value)}`);
  }
  return value;
}

/** `[N, D]` with N ≥ 1 and D ≥ 1. */
function rowsOf(entry: Operand, functionName: string): [number, number] {
  if (entry.shape.length !== 2) {
    throw new RangeError(`${functionName}: ${entry.name} must have shape [N, D], got ${formatShape(entry.shape)}`);
  }
  const [rows, depth] = entry.shape as [number, number];
  if (rows === 0 || depth === 0) {
    throw new RangeError(`${functionName}: ${entry.name} ${formatShape(entry.shape)} is empty; a loss needs at least one row of at least one feature`);
  }
  return [rows, depth];
}

function reduce(rowLosses: Float64Array, reduction: Reduction): number | Float32Array {
  if (reduction === 'none') return Float32Array.from(rowLosses);
  let total = 0;
  for (const value of rowLosses) total += value;
  return reduction === 'sum' ? total : total / rowLosses.length;
}

export function runInfoNCE(runtime: Runtime, features: unknown, options: unknown): { loss: number | Float32Array; grad?: Tensor } {
  const settings = checkOptions(options, INFONCE_OPTIONS, 'infoNCE');
  const temperature = positiveFinite(settings.temperature, 0.07, 'temperature');
  const layoutValue: unknown = settings.layout ?? 'interleaved';
  if (layoutValue !== 'interleaved' && layoutValue !== 'halves') {
    const error = typeof layoutValue === 'string' ? RangeError : TypeError;
    throw new error(`layout must be 'interleaved' or 'halves', got ${describe(layoutValue)}`);
  }
  const reduction = reductionOption(settings.reduction);
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const input = operand(runtime, features, 'features');
    const [rows, depth] = rowsOf(input, 'infoNCE');
    if (rows % 2 !== 0) {
      throw new RangeError(`infoNCE: features must hold 2N rows (pairs of views), got ${rows} rows (shape ${formatShape(input.shape)})`);
    }
    const scratchFloats = runtime.exports.ck_infonce_scratch_floats(rows, depth) >>> 0;
    const rowWeight = reduction === 'mean' ? 1 / rows : 1;
    const shape = Object.freeze([rows, depth]);
    const { rowLosses, gradient } = execute(runtime, {
      kernel: 'ck_infonce_f32',
      inputs: { input },
      outputs: {
        rowLosses: { type: 'f64', length: rows, describe: 'the row losses' },
        gradient: { type: 'f32', length: grad ? rows * depth : 0, describe: () => `the gradient ${formatShape(shape)}` },
      },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_infonce_f32(
          pointers.input,
          rows,
          depth,
          temperature,
          layoutValue === 'halves' ? 1 : 0,
          rowWeight,
          pointers.rowLosses,
          grad ? pointers.gradient : 0,
          pointers.scratch,
          scratchFloats,
        ),
    });
    const loss = reduce(rowLosses, reduction);
    return grad ? { loss, grad: { data: gradient, shape } } : { loss };
  } finally {
    runtime.release(mark);
  }
}

export function runClipLoss(runtime: Runtime, image: unknown, text: unknown, options: unknown): { loss: number } & Partial<ClipGradients> {
  const settings = checkOptions(options, CLIP_OPTIONS, 'clipLoss');
  const logitScale = positiveFinite(settings.logitScale, 1 / 0.07, 'logitScale');
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const images = operand(runtime, image, 'image');
    const texts = operand(runtime, text, 'text');
    const [rows, depth] = rowsOf(images, 'clipLoss');
    const [textRows, textDepth] = rowsOf(texts, 'clipLoss');
    if (textRows !== rows || textDepth !== depth) {
      throw new RangeError(`clipLoss: image ${formatShape(images.shape)} and text ${formatShape(texts.shape)} must have the same shape [N, D]`);
    }
    const scratchFloats = runtime.exports.ck_clip_scratch_floats(rows, depth) >>> 0;
    const shape = Object.freeze([rows, depth]);
    const gradientLength = grad ? rows * depth : 0;
    const { results, imageGradient, textGradient } = execute(runtime, {
      kernel: 'ck_clip_f32',
      inputs: { images, texts },
      outputs: {
        results: { type: 'f64', length: 2, describe: 'the loss' },
        imageGradient: { type: 'f32', length: gradientLength, describe: () => `the image gradient ${formatShape(shape)}` },
        textGradient: { type: 'f32', length: gradientLength, describe: () => `the text gradient ${formatShape(shape)}` },
      },
      // Kernel scratch, then the row and column sums (rows · 3 float64, 16-aligned).
      scratchBytes: aligned16(scratchFloats * 4) + rows * 24,
      call: (pointers) =>
        runtime.exports.ck_clip_f32(
          pointers.images,
          pointers.texts,
          rows,
          depth,
          logitScale,
          grad ? pointers.imageGradient : 0,
          grad ? pointers.textGradient : 0,
          pointers.scratch,
          scratchFloats,
          pointers.scratch + aligned16(scratchFloats * 4),
          pointers.results,
        ),
    });
    const loss = results[0] as number;
    if (!grad) return { loss };
    return { loss, gradImage: { data: imageGradient, shape }, gradText: { data: textGradient, shape }, gradLogitScale: results[1] as number };
  } finally {
    runtime.release(mark);
  }
}

function targetsOf(target: unknown, rows: number): Float32Array {
  // Any realm's typed arrays (by their intrinsic tag), or an array; each read once, and a
  // throwing getter or Proxy trap becomes a TypeError naming what was read.
  const tag = target !== null && typeof target === 'object' ? Reflect.apply(typedArrayTagGetter, target, []) : undefined;
  const typed = tag === 'Int8Array' || tag === 'Int32Array' || tag === 'Float32Array' || tag === 'Float64Array';
  if (!typed && !isArrayValue(target, 'target')) {
    throw new TypeError(`target must be an Int8Array, Int32Array, Float32Array, Float64Array or number[], got ${describe(target)}`);
  }
  const values = target as ArrayLike<unknown>;
  const count = typed ? (Reflect.apply(typedArrayLengthGetter, values, []) as number) : readProperty(values, 'length', 'target');
  if (count !== rows) throw new RangeError(`target has ${describe(count)} entries but there are ${rows} pairs`);
  const result = new Float32Array(rows);
  for (let index = 0; index < rows; index++) {
    const value = typed ? values[index] : readProperty(values, index, 'target');
    if (typeof value !== 'number') throw new TypeError(`target[${index}] must be 1 or -1, got ${describe(value)}`);
    if (value !== 1 && value !== -1) {
      throw new RangeError(`target[${index}] must be 1 or -1, got ${describe(value)} (PyTorch would silently count it as a zero loss)`);
    }
    result[index] = value;
  }
  return result;
}

export function runCosineEmbeddingLoss(runtime: Runtime, x1: unknown, x2: unknown, target: unknown, options: unknown): number | Float32Array {
  const settings = checkOptions(options, EMBEDDING_OPTIONS, 'cosineEmbeddingLoss');
  const marginValue = finiteOption(settings.margin, 0, 'margin');
  const reduction = reductionOption(settings.reduction);
  const mark = runtime.mark();
  try {
    const first = operand(runtime, x1, 'x1');
    const second = operand(runtime, x2, 'x2');
    const [rows, depth] = rowsOf(first, 'cosineEmbeddingLoss');
    if (second.shape.length !== 2 || second.shape[0] !== rows || second.shape[1] !== depth) {
      throw new RangeError(`cosineEmbeddingLoss: x1 ${formatShape(first.shape)} and x2 ${formatShape(second.shape)} must have the same shape [N, D]`);
    }
    const targets = operand(runtime, { data: targetsOf(target, rows), shape: [rows] }, 'target');
    const { rowLosses } = execute(runtime, {
      kernel: 'ck_cosine_embedding_f32',
      inputs: { first, second, targets },
      outputs: { rowLosses: { type: 'f64', length: rows, describe: 'the row losses' } },
      call: (pointers) =>
        runtime.exports.ck_cosine_embedding_f32(pointers.first, pointers.second, rows, depth, pointers.targets, marginValue, pointers.rowLosses),
    });
    return reduce(rowLosses, reduction);
  } finally {
    runtime.release(mark);
  }
}

/** Options of `sigLipLoss`. */
export interface SigLipLossOptions<G extends boolean = boolean> {
  /** The logit scale t, already exponentiated: logits = t · Î·T̂ᵀ + b. Default 10. */
  logitScale?: number;
  /** The logit bias b. Default −10. */
  logitBias?: number;
  /** Also return the gradients. */
  grad?: G;
}

/** The gradients `sigLipLoss` returns with `grad: true`. */
export interface SigLipGradients {
  /** d loss / d image. */
  gradImage: Tensor;
  /** d loss / d text. */
  gradText: Tensor;
  /** d loss / d log(logitScale). */
  gradLogitScale: number;
  /** d loss / d logitBias. */
  gradLogitBias: number;
}

/** Result of `sigLipLoss`: the gradient fields are there exactly when `grad: true`. */
export type SigLipLossResult<G extends boolean = false> = { loss: number } & GradFields<G, SigLipGradients>;

/** Options of `multipleNegativesRankingLoss`. */
export interface MultipleNegativesRankingLossOptions<G extends boolean = boolean> {
  /** Scores are `scale · cos(anchor, candidate)`. Default 20. */
  scale?: number;
  /** Also return the gradients. */
  grad?: G;
}

/** The gradients `multipleNegativesRankingLoss` returns with `grad: true`. */
export interface MultipleNegativesRankingGradients {
  /** d loss / d anchors `[N, D]`. */
  gradAnchors: Tensor;
  /** d loss / d candidates `[M, D]` (hard negatives included). */
  gradCandidates: Tensor;
}

/** Result of `multipleNegativesRankingLoss`: the gradient fields are there exactly when `grad: true`. */
export type MultipleNegativesRankingLossResult<G extends boolean = false> = { loss: number } & GradFields<G, MultipleNegativesRankingGradients>;

const SIGLIP_OPTIONS = ['logitScale', 'logitBias', 'grad'] as const;
const RANKING_OPTIONS = ['scale', 'grad'] as const;

/** Two `[N, D]` operands of the same shape (image and text). */
function samePairs(first: Operand, second: Operand, functionName: string): [number, number] {
  const [rows, depth] = rowsOf(first, functionName);
  const [otherRows, otherDepth] = rowsOf(second, functionName);
  if (otherRows !== rows || otherDepth !== depth) {
    throw new RangeError(`${functionName}: ${first.name} ${formatShape(first.shape)} and ${second.name} ${formatShape(second.shape)} must have the same shape [N, D]`);
  }
  return [rows, depth];
}

export function runSigLipLoss(runtime: Runtime, image: unknown, text: unknown, options: unknown): { loss: number } & Partial<SigLipGradients> {
  const settings = checkOptions(options, SIGLIP_OPTIONS, 'sigLipLoss');
  const logitScale = positiveFinite(settings.logitScale, 10, 'logitScale');
  const logitBias = finiteOption(settings.logitBias, -10, 'logitBias');
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const images = operand(runtime, image, 'image');
    const texts = operand(runtime, text, 'text');
    const [rows, depth] = samePairs(images, texts, 'sigLipLoss');
    const scratchFloats = runtime.exports.ck_siglip_scratch_floats(rows, depth) >>> 0;
    const shape = Object.freeze([rows, depth]);
    const gradientLength = grad ? rows * depth : 0;
    const { results, imageGradient, textGradient } = execute(runtime, {
      kernel: 'ck_siglip_f32',
      inputs: { images, texts },
      outputs: {
        results: { type: 'f64', length: 3, describe: 'the loss' },
        imageGradient: { type: 'f32', length: gradientLength, describe: () => `the image gradient ${formatShape(shape)}` },
        textGradient: { type: 'f32', length: gradientLength, describe: () => `the text gradient ${formatShape(shape)}` },
      },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_siglip_f32(
          pointers.images,
          pointers.texts,
          rows,
          depth,
          logitScale,
          logitBias,
          grad ? pointers.imageGradient : 0,
          grad ? pointers.textGradient : 0,
          pointers.scratch,
          scratchFloats,
          pointers.results,
        ),
    });
    const loss = results[0] as number;
    if (!grad) return { loss };
    return {
      loss,
      gradImage: { data: imageGradient, shape },
      gradText: { data: textGradient, shape },
      gradLogitScale: results[1] as number,
      gradLogitBias: results[2] as number,
    };
  } finally {
    runtime.release(mark);
  }
}

export function runMultipleNegativesRankingLoss(
  runtime: Runtime,
  anchors: unknown,
  candidates: unknown,
  options: unknown,
): { loss: number } & Partial<MultipleNegativesRankingGradients> {
  const settings = checkOptions(options, RANKING_OPTIONS, 'multipleNegativesRankingLoss');
  const scale = positiveFinite(settings.scale, 20, 'scale');
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const anchorRows = operand(runtime, anchors, 'anchors');
    const candidateRows = operand(runtime, candidates, 'candidates');
    const [rows, depth] = rowsOf(anchorRows, 'multipleNegativesRankingLoss');
    const [candidateCount, candidateDepth] = rowsOf(candidateRows, 'multipleNegativesRankingLoss');
    if (candidateDepth !== depth) {
      throw new RangeError(`multipleNegativesRankingLoss: anchors ${formatShape(anchorRows.shape)} and candidates ${formatShape(candidateRows.shape)} must have the same D`);
    }
    if (candidateCount < rows) {
      throw new RangeError(
        `multipleNegativesRankingLoss: candidates ${formatShape(candidateRows.shape)} must hold at least as many rows as anchors ${formatShape(anchorRows.shape)} (the first N are the positives)`,
      );
    }
    const scratchFloats = runtime.exports.ck_ranking_scratch_floats(rows, candidateCount, depth) >>> 0;
    const anchorShape = Object.freeze([rows, depth]);
    const candidateShape = Object.freeze([candidateCount, depth]);
    const { rowLosses, anchorGradient, candidateGradient } = execute(runtime, {
      kernel: 'ck_ranking_f32',
      inputs: { anchorRows, candidateRows },
      outputs: {
        rowLosses: { type: 'f64', length: rows, describe: 'the row losses' },
        anchorGradient: { type: 'f32', length: grad ? rows * depth : 0, describe: () => `the anchors' gradient ${formatShape(anchorShape)}` },
        candidateGradient: { type: 'f32', length: grad ? candidateCount * depth : 0, describe: () => `the candidates' gradient ${formatShape(candidateShape)}` },
      },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_ranking_f32(
          pointers.anchorRows,
          rows,
          pointers.candidateRows,
          candidateCount,
          depth,
          scale,
          pointers.rowLosses,
          grad ? pointers.anchorGradient : 0,
          grad ? pointers.candidateGradient : 0,
          pointers.scratch,
          scratchFloats,
        ),
    });
    const loss = reduce(rowLosses, 'mean') as number;
    if (!grad) return { loss };
    return { loss, gradAnchors: { data: anchorGradient, shape: anchorShape }, gradCandidates: { data: candidateGradient, shape: candidateShape } };
  } finally {
    runtime.release(mark);
  }
}

/** Options of `tripletLoss`. */
export interface TripletLossOptions<R extends Reduction = Reduction, G extends boolean = boolean> {
  /** The hinge margin, > 0. Default 1. */
  margin?: number;
  /** 'mean' over the N rows (default), 'sum', or 'none' (N values). */
  reduction?: R;
  /** Also return the gradients (for 'none': of the sum of the row losses). */
  grad?: G;
}

/** The gradients `tripletLoss` returns with `grad: true`. */
export interface TripletGradients {
  /** d loss / d anchor `[N, D]`. */
  gradAnchor: Tensor;
  /** d loss / d positive `[N, D]`. */
  gradPositive: Tensor;
  /** d loss / d negative `[N, D]`. */
  gradNegative: Tensor;
}

/** Result of `tripletLoss`: the gradient fields are there exactly when `grad: true`. */
export type TripletLossResult<R extends Reduction = 'mean', G extends boolean = false> = { loss: ReducedLoss<R> } & GradFields<G, TripletGradients>;

const TRIPLET_OPTIONS = ['margin', 'reduction', 'grad'] as const;

export function runTripletLoss(
  runtime: Runtime,
  anchor: unknown,
  positive: unknown,
  negative: unknown,
  options: unknown,
): { loss: number | Float32Array } & Partial<TripletGradients> {
  const settings = checkOptions(options, TRIPLET_OPTIONS, 'tripletLoss');
  const margin = positiveFinite(settings.margin, 1, 'margin');
  const reduction = reductionOption(settings.reduction);
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const anchors = operand(runtime, anchor, 'anchor');
    const positives = operand(runtime, positive, 'positive');
    const negatives = operand(runtime, negative, 'negative');
    const [rows, depth] = samePairs(anchors, positives, 'tripletLoss');
    samePairs(anchors, negatives, 'tripletLoss');
    const rowWeight = reduction === 'mean' ? 1 / rows : 1;
    const shape = Object.freeze([rows, depth]);
    const gradientLength = grad ? rows * depth : 0;
    const { rowLosses, anchorGradient, positiveGradient, negativeGradient } = execute(runtime, {
      kernel: 'ck_triplet_f32',
      inputs: { anchors, positives, negatives },
      outputs: {
        rowLosses: { type: 'f64', length: rows, describe: 'the row losses' },
        anchorGradient: { type: 'f32', length: gradientLength, describe: () => `the anchor gradient ${formatShape(shape)}` },
        positiveGradient: { type: 'f32', length: gradientLength, describe: () => `the positive gradient ${formatShape(shape)}` },
        negativeGradient: { type: 'f32', length: gradientLength, describe: () => `the negative gradient ${formatShape(shape)}` },
      },
      call: (pointers) =>
        runtime.exports.ck_triplet_f32(
          pointers.anchors,
          pointers.positives,
          pointers.negatives,
          rows,
          depth,
          margin,
          rowWeight,
          pointers.rowLosses,
          grad ? pointers.anchorGradient : 0,
          grad ? pointers.positiveGradient : 0,
          grad ? pointers.negativeGradient : 0,
        ),
    });
    const loss = reduce(rowLosses, reduction);
    if (!grad) return { loss };
    return {
      loss,
      gradAnchor: { data: anchorGradient, shape },
      gradPositive: { data: positiveGradient, shape },
      gradNegative: { data: negativeGradient, shape },
    };
  } finally {
    runtime.release(mark);
  }
}

/** Options of `mocoLoss`. */
export interface MocoLossOptions<G extends boolean = boolean> {
  /** τ: logits are cosine / τ. Default 0.07. */
  temperature?: number;
  /** Also return d loss / d query (the key and the queue get none). */
  grad?: G;
}

/** The gradient `mocoLoss` returns with `grad: true`. */
export interface MocoGradients {
  /** d loss / d query `[N, D]`. */
  gradQuery: Tensor;
}

/** Result of `mocoLoss`: `gradQuery` is there exactly when `grad: true`. */
export type MocoLossResult<G extends boolean = false> = { loss: number } & GradFields<G, MocoGradients>;

const MOCO_OPTIONS = ['temperature', 'grad'] as const;

export function runMocoLoss(runtime: Runtime, query: unknown, key: unknown, queue: unknown, options: unknown): { loss: number } & Partial<MocoGradients> {
  const settings = checkOptions(options, MOCO_OPTIONS, 'mocoLoss');
  const temperature = positiveFinite(settings.temperature, 0.07, 'temperature');
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const queries = operand(runtime, query, 'query');
    const keys = operand(runtime, key, 'key');
    const negatives = operand(runtime, queue, 'queue');
    const [rows, depth] = samePairs(queries, keys, 'mocoLoss');
    const [queueRows, queueDepth] = rowsOf(negatives, 'mocoLoss');
    if (queueDepth !== depth) {
      throw new RangeError(`mocoLoss: query ${formatShape(queries.shape)} and queue ${formatShape(negatives.shape)} must have the same D`);
    }
    const scratchFloats = runtime.exports.ck_moco_scratch_floats(rows, queueRows, depth) >>> 0;
    const shape = Object.freeze([rows, depth]);
    const { rowLosses, queryGradient } = execute(runtime, {
      kernel: 'ck_moco_f32',
      inputs: { queries, keys, negatives },
      outputs: {
        rowLosses: { type: 'f64', length: rows, describe: 'the row losses' },
        queryGradient: { type: 'f32', length: grad ? rows * depth : 0, describe: () => `the query gradient ${formatShape(shape)}` },
      },
      scratchBytes: scratchFloats * 4,
      call: (pointers) =>
        runtime.exports.ck_moco_f32(
          pointers.queries,
          pointers.keys,
          pointers.negatives,
          rows,
          queueRows,
          depth,
          temperature,
          pointers.rowLosses,
          grad ? pointers.queryGradient : 0,
          pointers.scratch,
          scratchFloats,
        ),
    });
    const loss = reduce(rowLosses, 'mean') as number;
    return grad ? { loss, gradQuery: { data: queryGradient, shape } } : { loss };
  } finally {
    runtime.release(mark);
  }
}

/** Options of `supConLoss`. */
export interface SupConLossOptions<G extends boolean = boolean> {
  /** τ: logits are cosine / τ. Default 0.07. */
  temperature?: number;
  /** τ_base: the loss is scaled by τ / τ_base. Default 0.07. */
  baseTemperature?: number;
  /** Also return d loss / d features. */
  grad?: G;
}

/** The gradient `supConLoss` returns with `grad: true`. */
export interface SupConGradients {
  /** d loss / d features `[N, D]`. */
  grad: Tensor;
}

/** Result of `supConLoss`: `grad` is there exactly when `grad: true`. */
export type SupConLossResult<G extends boolean = false> = { loss: number } & GradFields<G, SupConGradients>;

const SUPCON_OPTIONS = ['temperature', 'baseTemperature', 'grad'] as const;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The labels of `supConLoss`, read once into a fresh Int32Array: an Int32Array (any realm)
 * or an array of integers in the int32 range (negatives included: they are labels like any
 * other, not an "ignore" marker), one per row, at least one label shared by two rows.
 */
function labelsOf(labels: unknown, rows: number): Int32Array {
  const tag = labels !== null && typeof labels === 'object' ? Reflect.apply(typedArrayTagGetter, labels, []) : undefined;
  const typed = tag === 'Int32Array';
  if (!typed && !isArrayValue(labels, 'labels')) {
    const hint = tag !== undefined ? ` (convert it with Int32Array.from(labels, Number))` : '';
    throw new TypeError(`labels must be an Int32Array or an array of integers, got ${describe(labels)}${hint}`);
  }
  const values = labels as ArrayLike<unknown>;
  const count = typed ? (Reflect.apply(typedArrayLengthGetter, values, []) as number) : readProperty(values, 'length', 'labels');
  if (typed && count === 0 && isDetached(Reflect.apply(typedArrayBufferGetter, values, []) as ArrayBufferLike)) {
    throw new TypeError('labels cannot be read: its ArrayBuffer is detached');
  }
  if (count !== rows) throw new RangeError(`supConLoss: labels has ${describe(count)} entries but features has ${rows} rows (one label per row)`);
  const result = new Int32Array(rows);
  for (let index = 0; index < rows; index++) {
    const value = typed ? values[index] : readProperty(values, index, 'labels');
    if (typeof value !== 'number') throw new TypeError(`labels[${index}] must be an integer, got ${describe(value)}`);
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new RangeError(`labels[${index}] must be an integer from ${INT32_MIN} to ${INT32_MAX}, got ${describe(value)}`);
    }
    result[index] = value;
  }
  const seen = new Set<number>();
  let shared = false;
  for (const value of result) {
    if (seen.has(value)) {
      shared = true;
      break;
    }
    seen.add(value);
  }
  if (!shared) {
    throw new RangeError(`supConLoss: no anchor has a positive: the ${rows} labels are all distinct (an anchor's positives are the other rows with its label)`);
  }
  return result;
}

export function runSupConLoss(runtime: Runtime, features: unknown, labels: unknown, options: unknown): { loss: number } & Partial<SupConGradients> {
  const settings = checkOptions(options, SUPCON_OPTIONS, 'supConLoss');
  const temperature = positiveFinite(settings.temperature, 0.07, 'temperature');
  const baseTemperature = positiveFinite(settings.baseTemperature, 0.07, 'baseTemperature');
  const grad = booleanOption(settings.grad, false, 'grad');
  const mark = runtime.mark();
  try {
    const input = operand(runtime, features, 'features');
    const [rows, depth] = rowsOf(input, 'supConLoss');
    if (rows < 2) {
      throw new RangeError(`supConLoss: features ${formatShape(input.shape)} has one row; an anchor needs at least one other row with its label`);
    }
    const labelValues = labelsOf(labels, rows);
    // The labels, copied in as their bytes.
    const labelRows: Operand = { name: 'labels', shape: [rows], length: rows * 4, pointer: null, source: null, storedSource: new Uint8Array(labelValues.buffer), elementBytes: 1 };
    const scratchFloats = runtime.exports.ck_supcon_scratch_floats(rows, depth) >>> 0;
    const shape = Object.freeze([rows, depth]);
    const { results, gradient } = execute(runtime, {
      kernel: 'ck_supcon_f32',
      inputs: { input, labelRows },
      outputs: {
        results: { type: 'f64', length: 1, describe: 'the loss' },
        gradient: { type: 'f32', length: grad ? rows * depth : 0, describe: () => `the gradient ${formatShape(shape)}` },
      },
      // Kernel scratch, then the per-row statistics (rows · 3 float64, 16-aligned).
      scratchBytes: aligned16(scratchFloats * 4) + rows * 24,
      call: (pointers) =>
        runtime.exports.ck_supcon_f32(
          pointers.input,
          rows,
          depth,
          pointers.labelRows,
          temperature,
          baseTemperature,
          grad ? pointers.gradient : 0,
          pointers.scratch,
          scratchFloats,
          pointers.scratch + aligned16(scratchFloats * 4),
          pointers.results,
        ),
    });
    const loss = results[0] as number;
    return grad ? { loss, grad: { data: gradient, shape } } : { loss };
  } finally {
    runtime.release(mark);
  }
}

/** What the kit's loss members run (families.ts): registered when a program imports one of them. */
export const LOSS_FAMILY: LossFamily = {
  runInfoNCE,
  runClipLoss,
  runSigLipLoss,
  runMultipleNegativesRankingLoss,
  runTripletLoss,
  runMocoLoss,
  runSupConLoss,
  runCosineEmbeddingLoss,
};
