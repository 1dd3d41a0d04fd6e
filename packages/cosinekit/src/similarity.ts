// cosineSimilarity, cosineDistance and normalize: validate and plan in TS (broadcast,
// dims, strides, coalescing), compute in one kernel call.

import type { Runtime } from './runtime.js';
import {
  type AxisGroup,
  MAX_KERNEL_RANK,
  booleanOption,
  broadcastShapes,
  broadcastStrides,
  checkOptions,
  coalesce,
  describe,
  elementCount,
  formatShape,
  frozenShape,
  nonNegativeOption,
  wrapDim,
  wrapDims,
} from './shapes.js';
import { SMALL_COSINE_WORK, SMALL_NORMALIZE_ELEMENTS, cosineSmall, normalizeSmall } from './small.js';
import { type Tensor, type WasmTensor, deliver, execute, operand, operandValues, outputTarget, recheckArguments } from './tensor.js';

/** Options of {@link cosineSimilarity} and {@link cosineDistance}. */
export interface CosineOptions {
  /** Dimension (or dimensions) of the broadcast shape to reduce over; negative counts from the end. Default 1. */
  dim?: number | readonly number[];
  /** Lower bound of each norm separately (PyTorch semantics). Default 1e-8. */
  eps?: number;
  /** Clamp similarities to [-1, 1]. Default false (like PyTorch). */
  clamp?: boolean;
  /** Where to write the result (its element count must match). */
  out?: Float32Array | WasmTensor;
}

/** Options of {@link normalize}. */
export interface NormalizeOptions {
  /** Norm order: 1, 2 or Infinity. Default 2. */
  p?: number;
  /** Dimension to normalise along; negative counts from the end. Default 1. */
  dim?: number;
  /** Lower bound of the norm. Default 1e-12 (as F.normalize). */
  eps?: number;
  /** Where to write the result; may be the input itself (in place). */
  out?: Float32Array | WasmTensor;
}

const COSINE_OPTIONS = ['dim', 'eps', 'clamp', 'out'] as const;
const NORMALIZE_OPTIONS = ['p', 'dim', 'eps', 'out'] as const;
const FLAG_CLAMP = 1;
const FLAG_DISTANCE = 2;

function checkKernelRank(group: AxisGroup, what: string): void {
  if (group.extents.length > MAX_KERNEL_RANK) {
    throw new RangeError(
      `the ${what} axes cannot be merged into ${MAX_KERNEL_RANK} or fewer strided axes (${group.extents.length} remain); reshape the inputs`,
    );
  }
}

function cosine(runtime: Runtime, x1: unknown, x2: unknown, options: unknown, distance: boolean): Tensor {
  const functionName = distance ? 'cosineDistance' : 'cosineSimilarity';
  const settings = checkOptions(options, COSINE_OPTIONS, functionName);
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const clamp = booleanOption(settings.clamp, false, 'clamp');
  const first = operand(runtime, x1, 'x1');
  const second = operand(runtime, x2, 'x2');
  const shape = broadcastShapes(first.shape, second.shape, 'x1', 'x2');
  const dims = wrapDims(settings.dim ?? 1, shape.length, () => `the broadcast shape ${formatShape(shape)}`);
  const firstStrides = broadcastStrides(first.shape, shape);
  const secondStrides = broadcastStrides(second.shape, shape);
  const kept: AxisGroup = { extents: [], firstStrides: [], secondStrides: [] };
  const reduced: AxisGroup = { extents: [], firstStrides: [], secondStrides: [] };
  for (let axis = 0; axis < shape.length; axis++) {
    const group = dims.includes(axis) ? reduced : kept;
    group.extents.push(shape[axis] as number);
    group.firstStrides.push(firstStrides[axis] as number);
    group.secondStrides.push(secondStrides[axis] as number);
  }
  // Counted on the plain array: V8 iterates frozen arrays several times slower.
  const resultLength = elementCount(kept.extents);
  const resultShape = frozenShape(kept.extents);
  const keptAxes = coalesce(kept);
  const reducedAxes = coalesce(reduced);
  checkKernelRank(keptAxes, 'kept');
  checkKernelRank(reducedAxes, 'reduced');
  const output = outputTarget(runtime, settings.out, resultLength, resultShape);
  if (resultLength * elementCount(reducedAxes.extents) <= SMALL_COSINE_WORK) {
    recheckArguments([first, second], output);
    const values = cosineSmall(operandValues(runtime, first), operandValues(runtime, second), keptAxes, reducedAxes, eps, clamp, distance);
    return deliver(runtime, output, values, resultShape);
  }
  const geometry = [
    ...keptAxes.extents,
    ...keptAxes.firstStrides,
    ...keptAxes.secondStrides,
    ...reducedAxes.extents,
    ...reducedAxes.firstStrides,
    ...reducedAxes.secondStrides,
  ];
  const flags = (clamp ? FLAG_CLAMP : 0) | (distance ? FLAG_DISTANCE : 0);
  return execute(
    runtime,
    [first, second],
    output,
    resultShape,
    geometry,
    (pointers) =>
      runtime.exports.ck_cosine_f32(
        pointers.operands[0] as number,
        first.length,
        pointers.operands[1] as number,
        second.length,
        pointers.words,
        keptAxes.extents.length,
        reducedAxes.extents.length,
        eps,
        flags,
        pointers.output,
        resultLength,
      ),
    'ck_cosine_f32',
  );
}

export function cosineSimilarityIn(runtime: Runtime, x1: unknown, x2: unknown, options?: unknown): Tensor {
  return cosine(runtime, x1, x2, options, false);
}

export function cosineDistanceIn(runtime: Runtime, x1: unknown, x2: unknown, options?: unknown): Tensor {
  return cosine(runtime, x1, x2, options, true);
}

export function normalizeIn(runtime: Runtime, x: unknown, options?: unknown): Tensor {
  const settings = checkOptions(options, NORMALIZE_OPTIONS, 'normalize');
  const eps = nonNegativeOption(settings.eps, 1e-12, 'eps');
  const p = settings.p ?? 2;
  if (typeof p !== 'number') throw new TypeError(`p must be 1, 2 or Infinity, got ${describe(p)}`);
  if (p !== 1 && p !== 2 && p !== Number.POSITIVE_INFINITY) {
    throw new RangeError(`p must be 1, 2 or Infinity, got ${describe(p)}`);
  }
  const input = operand(runtime, x, 'x');
  const shape = input.shape;
  const dim = wrapDim(settings.dim ?? 1, shape.length, 'dim', () => `x of shape ${formatShape(shape)}`);
  const outer = elementCount(shape.slice(0, dim));
  const reduced = shape[dim] as number;
  const inner = elementCount(shape.slice(dim + 1));
  const resultShape = frozenShape(shape);
  const output = outputTarget(runtime, settings.out, input.length, resultShape);
  if (input.length <= SMALL_NORMALIZE_ELEMENTS) {
    recheckArguments([input], output);
    return deliver(runtime, output, normalizeSmall(operandValues(runtime, input), outer, reduced, inner, p, eps), resultShape);
  }
  const orderCode = p === Number.POSITIVE_INFINITY ? 0 : p;
  return execute(
    runtime,
    [input],
    output,
    resultShape,
    [],
    (pointers) =>
      runtime.exports.ck_normalize_f32(pointers.operands[0] as number, pointers.output, outer, reduced, inner, orderCode, eps),
    'ck_normalize_f32',
    true,
  );
}
