import { expect } from 'vitest';

/**
 * Element-wise |actual − expected| ≤ absolute + relative·|expected|; NaN matches only NaN,
 * infinities must match exactly. Reports the first mismatch with its index.
 */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { absolute = 1e-5, relative = 0, context = '' }: { absolute?: number; relative?: number; context?: string } = {},
): void {
  expect(actual.length, `${context}: length`).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index]!;
    const got = actual[index]!;
    const where = `${context}[${index}]: got ${got}, expected ${want}`;
    if (Number.isNaN(want)) {
      expect(Number.isNaN(got), where).toBe(true);
    } else if (!Number.isFinite(want)) {
      expect(got, where).toBe(want);
    } else {
      const tolerance = absolute + relative * Math.abs(want);
      if (!(Math.abs(got - want) <= tolerance)) {
        expect.fail(`${where} (|diff| ${Math.abs(got - want)} > ${tolerance})`);
      }
    }
  }
}

/** Same length and the same bits in every element (NaN payloads and −0 included); reports the first difference. */
export function expectBitwise(actual: Float32Array | Int32Array, expected: Float32Array | Int32Array, context: string): void {
  expect(actual.length, `${context}: length`).toBe(expected.length);
  const left = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const right = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let index = 0; index < left.length; index++) {
    if (left[index] !== right[index]) expect.fail(`${context}[${index}]: got ${actual[index]}, expected ${expected[index]} (bits differ)`);
  }
}
