// One kernel call, declared: named inputs (validated operands), named typed outputs, kernel
// scratch and geometry words. `execute` re-checks what user code could have invalidated since
// validation, refuses calls whose temporaries cannot fit before memory grows, takes every
// temporary from the runtime's arena, copies the inputs in, calls, and hands each output back
// as a fresh JS-owned array (or in the caller's `out`). The arena is released by the caller's
// `finally` (the mark is taken before validation, since number[] operands are read into it).

import { copyInto, sliceOf } from './intrinsics.js';
import { type PlannedAllocation, type Runtime, aligned16 } from './runtime.js';
import { type Operand, type OutputTarget, type QuantizedSource, operandBytes, outputView, recheckOperand } from './tensor.js';
import { type LazyText, formatShape } from './validate.js';

/** Element types of kernel outputs. */
export type ElementType = 'f32' | 'i32' | 'f64';

/** The JS array an output of each element type comes back as. */
export interface ArrayFor {
  f32: Float32Array;
  i32: Int32Array;
  f64: Float64Array;
}

/** One output of a kernel call. */
export interface OutputSpec<T extends ElementType = ElementType> {
  type: T;
  /** Elements (0: the kernel gets pointer 0 and the output comes back empty). */
  length: number;
  /** f32 outputs only: the caller's `out`. */
  target?: OutputTarget | null;
  /** With `target` in memory: an input the kernel may write over in place (same pointer, same length). */
  inPlaceOf?: Operand;
  /** For messages: what this output is. */
  describe: LazyText;
}

/** What a kernel call is. */
export interface Plan<I extends string, O extends Record<string, OutputSpec>> {
  /** The export, for messages. */
  kernel: string;
  /** Operands, by the name the call passes them on (null: none; its pointer is 0). */
  inputs: Readonly<Record<I, Operand | null>>;
  outputs: O;
  /** Kernel scratch (bytes, 16-aligned); 0 for none. */
  scratchBytes?: number;
  /** u32 words copied into memory before the call (0 pointer when empty). */
  geometry?: readonly number[];
  /** Calls the export with the pointers; returns its status. */
  call(pointers: Pointers<I, O>): number;
}

/** Byte addresses of every input, output, the scratch and the geometry words. */
export type Pointers<I extends string, O> = { readonly [K in I]: number } & { readonly [K in keyof O]: number } & {
  readonly scratch: number;
  readonly geometry: number;
};

/** Each output as a JS array of its type. */
export type Results<O extends Record<string, OutputSpec>> = { [K in keyof O]: ArrayFor[O[K]['type']] };

const BYTES: Readonly<Record<ElementType, number>> = { f32: 4, i32: 4, f64: 8 };

function overlaps(startA: number, bytesA: number, startB: number, bytesB: number): boolean {
  return bytesA > 0 && bytesB > 0 && startA < startB + bytesB && startB < startA + bytesA;
}

/** The part of a plan's temporaries the heap may have to give, for the up-front size check. */
function plannedAllocations(plan: Plan<string, Record<string, OutputSpec>>): PlannedAllocation[] {
  const planned: PlannedAllocation[] = [];
  for (const entry of Object.values(plan.inputs)) {
    if (entry !== null && entry.pointer === null) planned.push({ byteCount: operandBytes(entry), purpose: () => `a copy of ${entry.name} ${formatShape(entry.shape)}` });
  }
  for (const spec of Object.values(plan.outputs)) {
    if (spec.target?.pointer == null) planned.push({ byteCount: spec.length * BYTES[spec.type], purpose: spec.describe });
  }
  planned.push({ byteCount: (plan.geometry?.length ?? 0) * 4, purpose: 'the call geometry' });
  planned.push({ byteCount: plan.scratchBytes ?? 0, purpose: () => `${plan.kernel} scratch` });
  return planned;
}

/** Runs one kernel call as planned; see the module comment. */
export function execute<I extends string, O extends Record<string, OutputSpec>>(runtime: Runtime, plan: Plan<I, O>): Results<O> {
  const inputs = plan.inputs as Readonly<Record<string, Operand | null>>;
  const outputs = plan.outputs as Record<string, OutputSpec>;
  const geometry = plan.geometry;
  const geometryLength = geometry === undefined ? 0 : geometry.length;
  const scratchBytes = plan.scratchBytes ?? 0;
  // What user code run since validation could have invalidated, and what the call needs.
  let wanted = aligned16(geometryLength * 4) + aligned16(scratchBytes);
  for (const name in inputs) {
    const entry = inputs[name];
    if (entry === null || entry === undefined) continue;
    recheckOperand(entry);
    if (entry.pointer === null) wanted += aligned16(operandBytes(entry));
  }
  for (const name in outputs) {
    const spec = outputs[name] as OutputSpec;
    spec.target?.recheck?.();
    wanted += aligned16(spec.length * BYTES[spec.type]);
  }
  for (let index = 0; index < geometryLength; index++) {
    const word = (geometry as readonly number[])[index] as number;
    if (!(Number.isInteger(word) && word >= 0 && word <= 0xffff_ffff)) {
      throw new Error(`cosinekit internal error: ${plan.kernel} geometry word ${word} does not fit in u32; please report this with the call's shapes`);
    }
  }
  // Every argument is pinned: the arena may grow now (only when it is empty), before any scratch is taken.
  runtime.growIfWanted();
  // A call that cannot fit fails here, before anything is taken, with memory as it was.
  if (wanted > runtime.arenaFree()) runtime.checkAllocations(plannedAllocations(plan as Plan<string, Record<string, OutputSpec>>));

  const pointers: Record<string, number> = {};
  for (const name in inputs) {
    const entry = inputs[name];
    if (entry === null || entry === undefined) pointers[name] = 0;
    else if (entry.pointer !== null) pointers[name] = entry.pointer;
    else {
      const bytes = operandBytes(entry);
      // The message is built only when the heap is asked (the arena never fails).
      pointers[name] = bytes <= runtime.arenaFree() ? runtime.reserve(bytes, '') : runtime.reserve(bytes, () => `a copy of ${entry.name} ${formatShape(entry.shape)}`);
    }
  }
  /** Names of the outputs the kernel writes straight into the caller's `out`. */
  let direct: string[] | null = null;
  for (const name in outputs) {
    const spec = outputs[name] as OutputSpec;
    const targetPointer = spec.target?.pointer ?? null;
    if (targetPointer !== null && !clashesWithAnInput(inputs, spec, targetPointer)) {
      pointers[name] = targetPointer;
      (direct ??= []).push(name);
      continue;
    }
    pointers[name] = spec.length === 0 ? 0 : runtime.reserve(spec.length * BYTES[spec.type], spec.describe);
  }
  const geometryPointer = geometryLength > 0 ? runtime.reserve(geometryLength * 4, 'the call geometry') : 0;
  pointers.geometry = geometryPointer;
  pointers.scratch = scratchBytes > 0 ? runtime.reserve(scratchBytes, () => `${plan.kernel} scratch`) : 0;

  // Every temporary is taken: views made now stay valid until the kernel returns.
  const floats = runtime.floats();
  for (const name in inputs) {
    const entry = inputs[name];
    if (entry === null || entry === undefined || entry.pointer !== null || entry.length === 0) continue;
    if (entry.source !== null) copyInto(floats, entry.source, (pointers[name] as number) >>> 2);
    else if (entry.storedSource !== undefined) copyStored(runtime, entry.storedSource, entry.elementBytes ?? 1, pointers[name] as number);
  }
  if (geometryLength > 0) {
    const words = runtime.words();
    const first = geometryPointer >>> 2;
    for (let index = 0; index < geometryLength; index++) words[first + index] = (geometry as readonly number[])[index] as number;
  }
  runtime.check(plan.call(pointers as Pointers<I, O>), plan.kernel);

  const results: Record<string, Float32Array | Int32Array | Float64Array> = {};
  for (const name in outputs) {
    const spec = outputs[name] as OutputSpec;
    const target = spec.target ?? null;
    if (target !== null && direct !== null && direct.includes(name)) {
      results[name] = outputView(runtime, target);
      continue;
    }
    const start = (pointers[name] as number) / BYTES[spec.type];
    const fresh = target === null || (target.pointer === null && target.array === null && target.tensor === null);
    if (spec.type === 'f32') {
      const values = runtime.floats();
      if (fresh) {
        results[name] = sliceOf(values, start, spec.length, Float32Array);
      } else {
        // `out` is JS memory, another instance's, or overlapped an input: copy into it now.
        const destination = outputView(runtime, target);
        copyInto(destination, values.subarray(start, start + spec.length));
        results[name] = destination;
      }
    } else if (spec.type === 'i32') {
      results[name] = sliceOf(runtime.ints(), start, spec.length, Int32Array);
    } else {
      results[name] = sliceOf(runtime.doubles(), start, spec.length, Float64Array);
    }
  }
  return results as Results<O>;
}

/** Copies a quantised operand's elements, bit for bit (`set` between integer views of one width keeps every bit). */
function copyStored(runtime: Runtime, source: QuantizedSource, elementBytes: 1 | 2 | 4, pointer: number): void {
  if (elementBytes === 2) runtime.halves().set(source, pointer >>> 1);
  else runtime.bytes().set(source, pointer);
}

/** Whether an output written at `targetPointer` would overlap an input in memory (other than the one it may overwrite in place). */
function clashesWithAnInput(inputs: Readonly<Record<string, Operand | null>>, spec: OutputSpec, targetPointer: number): boolean {
  const bytes = spec.length * 4;
  for (const name in inputs) {
    const entry = inputs[name];
    if (entry === null || entry === undefined || entry.pointer === null) continue;
    if (spec.inPlaceOf === entry && entry.pointer === targetPointer && entry.length === spec.length) continue;
    if (overlaps(targetPointer, bytes, entry.pointer, operandBytes(entry))) return true;
  }
  return false;
}
