// Storage formats against committed numpy fixtures (scripts/fixtures/gen_fixtures_quant.py,
// test/fixtures/quant.json): sentence-transformers' int8/uint8 codes and np.packbits bits
// equal element for element, float16 bit patterns equal numpy's astype(float16), quantised
// scores within float32 rounding of the float64 reference (int8/uint8/binary: exact integer
// arithmetic, one rounding) or within the numerics contract's 1e-5 (float16 and rescored
// float32 cosines), and top-k lists (ties by lower index, excludeSelf, rescoring) equal the
// generator's, index for index. Every variant; only relaxed in the `relaxed` project.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Cosinekit, type QuantizedLike, type QuantizedTensor, type RescoreOptions, type StorageDtype, createInstanceSync, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';
import { expectAllClose } from './helpers/assertions.js';
import { type FixtureNumber, toNumber } from './helpers/fixtures.js';
import { type FixtureInput, fixtureInput } from './helpers/generated-inputs.js';

// ---- the file's layout ----

type Numbers = FixtureNumber[];
interface Block<T> {
  shape: [number, number];
  data: T[];
}
/** A data set's rows: all of them, a slice [start, stop), or picked rows. */
interface RowsRef {
  dataset: string;
  rows?: [number, number];
  pick?: number[];
}
/** Options as quantize() takes them (ranges: D mins then D maxs). */
interface SideParams {
  ranges?: Numbers;
  thresholds?: Numbers;
  calibration?: RowsRef;
}
interface QuantizeCase {
  name: string;
  op: 'quantize';
  inputs: { x: RowsRef };
  params: SideParams;
  expected: Partial<Record<StorageDtype, number[]>> & { ranges?: Numbers; thresholds?: Numbers | null };
  specRules?: Partial<Record<'int8' | 'uint8', { clamped: number; zeroStep: number }>>;
}
interface PairwiseCase {
  name: string;
  op: 'pairwise';
  dtype: StorageDtype;
  inputs: { a: RowsRef; b: RowsRef | null };
  params: SideParams & { scale: number };
  /** side: a's ranges or thresholds (absent for wide rows). */
  expected: { side?: Numbers | null; matrix: Block<FixtureNumber> };
}
interface TopKCase {
  name: string;
  op: 'topk';
  dtype: StorageDtype;
  inputs: { queries: RowsRef; corpus: RowsRef };
  /** quantizedQueries: the queries are passed quantised (float16: scored as their half values). */
  params: SideParams & { k: number; eps?: number; excludeSelf: boolean; quantizedQueries?: true; rescore: { multiplier: number; vectors: boolean } | null };
  expected: { indices: Block<number>; scores: Block<FixtureNumber>; candidates?: Block<number> };
  left_out?: number[];
  exact_ties: number;
}
type FixtureCase = QuantizeCase | PairwiseCase | TopKCase;
interface QuantFixtures {
  generator: string;
  numpy: string;
  datasets: Record<string, FixtureInput>;
  cases: FixtureCase[];
}

const fixtures = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/quant.json', import.meta.url)), 'utf8')) as QuantFixtures;
const quantizeCases = fixtures.cases.filter((entry): entry is QuantizeCase => entry.op === 'quantize');
const pairwiseCases = fixtures.cases.filter((entry): entry is PairwiseCase => entry.op === 'pairwise');
const topkCases = fixtures.cases.filter((entry): entry is TopKCase => entry.op === 'topk');

const datasetCache = new Map<string, Float32Array>();
function dataset(name: string): { values: Float32Array; rows: number; depth: number } {
  const input = fixtures.datasets[name];
  if (input === undefined) throw new Error(`quant.json has no data set ${name}`);
  let values = datasetCache.get(name);
  if (values === undefined) {
    values = fixtureInput(input);
    datasetCache.set(name, values);
  }
  const [rows, depth] = input.shape as [number, number];
  return { values, rows, depth };
}

/** The float32 rows an input names, as a fresh `{ data, shape }`. */
function rowsOf(ref: RowsRef): { data: Float32Array; shape: [number, number] } {
  const { values, rows, depth } = dataset(ref.dataset);
  const picked = ref.pick ?? (ref.rows === undefined ? Array.from({ length: rows }, (_, row) => row) : Array.from({ length: ref.rows[1] - ref.rows[0] }, (_, row) => ref.rows![0] + row));
  const data = new Float32Array(picked.length * depth);
  picked.forEach((row, position) => data.set(values.subarray(row * depth, (row + 1) * depth), position * depth));
  return { data, shape: [picked.length, depth] };
}

const float32s = (values: Numbers): Float32Array => Float32Array.from(values, toNumber);

/** quantize() options of a case. */
function quantizeOptions(dtype: StorageDtype, params: SideParams): Parameters<Cosinekit['quantize']>[1] {
  return {
    dtype,
    ...(params.ranges === undefined ? {} : { ranges: float32s(params.ranges) }),
    ...(params.thresholds === undefined ? {} : { thresholds: float32s(params.thresholds) }),
    ...(params.calibration === undefined ? {} : { calibration: rowsOf(params.calibration) }),
  };
}

/** Bitwise equality of float32 lists (ranges, thresholds). */
function expectSameFloat32(actual: Float32Array | null, expected: Numbers | null | undefined, context: string): void {
  if (expected === null || expected === undefined) {
    expect(actual, context).toBeNull();
    return;
  }
  expect(actual, context).not.toBeNull();
  expect(new Uint32Array(Float32Array.from(actual as Float32Array).buffer), context).toEqual(new Uint32Array(float32s(expected).buffer));
}

/**
 * Half the float32 spacing at |value| (plus a few float64 ulps for the reference's own
 * rounding): how far a correctly rounded float32 of `value` can be from it.
 */
function float32Rounding(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return 0;
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent -= 1;
  if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  return 2 ** (exponent - 24) + magnitude * 2 ** -50;
}

const isExact = (dtype: StorageDtype): boolean => dtype !== 'float16';

/**
 * Scores against the reference: integer and binary scores to float32 rounding (`roundings`
 * half-spacings, more than one only where a scale multiplies the rounded score); float16 and
 * rescored cosines within the numerics contract's 1e-5.
 */
function expectScores(actual: Float32Array, expected: FixtureNumber[], exact: boolean, context: string, roundings = 1): void {
  expect(actual.length, `${context}: length`).toBe(expected.length);
  if (!exact) {
    expectAllClose(actual, expected.map(toNumber), { absolute: 1e-5, context });
    return;
  }
  for (let index = 0; index < expected.length; index++) {
    const want = toNumber(expected[index]!);
    const got = actual[index]!;
    const bound = roundings * float32Rounding(want);
    if (!(Math.abs(got - want) <= bound)) expect.fail(`${context}[${index}]: got ${got}, expected ${want} to float32 rounding (|diff| ${Math.abs(got - want)} > ${bound})`);
  }
}

/** A plain `{ dtype, data, shape, ranges, thresholds }` copy of a tensor (a saved index). */
function plainCopy(tensor: QuantizedTensor): QuantizedLike {
  return { dtype: tensor.dtype, data: tensor.data.slice(), shape: [tensor.shape[0], tensor.shape[1]], ranges: tensor.ranges, thresholds: tensor.thresholds };
}

const variants = process.env.COSINEKIT_EXPECT_RELAXED ? (['relaxed'] as const) : (['scalar', 'simd128', 'relaxed'] as const).filter((variant) => isVariantSupported(variant));

test('the fixtures come from the numpy generator and cover the documented cases', () => {
  expect(fixtures.generator).toBe('scripts/fixtures/gen_fixtures_quant.py');
  expect(fixtures.numpy).toMatch(/^\d+\.\d+/);
  if (process.env.COSINEKIT_EXPECT_RELAXED) expect(isVariantSupported('relaxed')).toBe(true);
  const dtypes: StorageDtype[] = ['float16', 'int8', 'uint8', 'binary', 'ubinary'];
  for (const dtype of dtypes) {
    expect(quantizeCases.some((entry) => entry.expected[dtype] !== undefined), `quantize ${dtype}`).toBe(true);
    expect(pairwiseCases.some((entry) => entry.dtype === dtype), `pairwise ${dtype}`).toBe(true);
    expect(topkCases.some((entry) => entry.dtype === dtype && entry.params.excludeSelf), `topK excludeSelf ${dtype}`).toBe(true);
    expect(topkCases.some((entry) => entry.dtype === dtype && entry.params.rescore?.vectors === true), `rescore vectors ${dtype}`).toBe(true);
    expect(topkCases.some((entry) => entry.dtype === dtype && entry.params.rescore?.vectors === false), `rescore decoded ${dtype}`).toBe(true);
  }
  expect(topkCases.some((entry) => entry.dtype === 'float16' && entry.params.quantizedQueries === true)).toBe(true);
  // SPEC's deliberate differences from sentence-transformers are exercised: clamping and a zero step.
  const rules = quantizeCases.flatMap((entry) => Object.values(entry.specRules ?? {}));
  expect(rules.some((rule) => rule.clamped > 0)).toBe(true);
  expect(rules.some((rule) => rule.zeroStep > 0)).toBe(true);
  // D not a multiple of 8 for the integer formats and float16; exact ties in top-k lists.
  expect(pairwiseCases.some((entry) => entry.dtype === 'int8' && rowsOf(entry.inputs.a).shape[1] % 8 !== 0)).toBe(true);
  expect(pairwiseCases.some((entry) => entry.dtype === 'float16' && rowsOf(entry.inputs.a).shape[1] % 8 !== 0)).toBe(true);
  expect(topkCases.filter((entry) => entry.exact_ties > 0).length).toBeGreaterThan(10);
});

describe.each(variants)('%s variant', (variant) => {
  const kit = createInstanceSync({ variant });

  test.each(quantizeCases.map((entry) => [entry.name, entry] as const))('quantize %s', (_, entry) => {
    const x = rowsOf(entry.inputs.x);
    for (const dtype of ['float16', 'int8', 'uint8', 'binary', 'ubinary'] as const) {
      const codes = entry.expected[dtype];
      if (codes === undefined) continue;
      using quantized = kit.quantize(x, quantizeOptions(dtype, entry.params));
      expect(quantized.shape).toEqual(x.shape);
      expect(Array.from(quantized.data), `${entry.name} ${dtype} codes`).toEqual(codes);
      if (dtype === 'int8' || dtype === 'uint8') expectSameFloat32(quantized.ranges, entry.expected.ranges, `${entry.name} ranges`);
      if (dtype === 'binary' || dtype === 'ubinary') expectSameFloat32(quantized.thresholds, entry.expected.thresholds, `${entry.name} thresholds`);
    }
  });

  test.each(pairwiseCases.map((entry) => [entry.name, entry] as const))('pairwiseCosine %s', (_, entry) => {
    const { dtype } = entry;
    using a = kit.quantize(rowsOf(entry.inputs.a), quantizeOptions(dtype, entry.params));
    const side = dtype === 'int8' || dtype === 'uint8' ? a.ranges : a.thresholds;
    if (entry.expected.side !== undefined) expectSameFloat32(side, entry.expected.side, `${entry.name} side`);
    const secondOptions = { dtype, ...(side === null ? {} : dtype === 'int8' || dtype === 'uint8' ? { ranges: side } : { thresholds: side }) };
    using b = entry.inputs.b === null ? null : kit.quantize(rowsOf(entry.inputs.b), secondOptions);
    const { scale } = entry.params;
    const roundings = scale === 1 ? 1 : 3;
    const result = kit.pairwiseCosine(a, b ?? undefined, { scale });
    expect(result.shape).toEqual(entry.expected.matrix.shape);
    expectScores(result.data, entry.expected.matrix.data, isExact(dtype), entry.name, roundings);
    // The same rows as plain objects (an index loaded from disk) give the same bits.
    const plain = kit.pairwiseCosine(plainCopy(a), b === null ? undefined : plainCopy(b), { scale });
    expect(Array.from(plain.data)).toEqual(Array.from(result.data));
  });

  test.each(topkCases.map((entry) => [entry.name, entry] as const))('topK %s', (_, entry) => {
    const { dtype, params, expected } = entry;
    const queries = rowsOf(entry.inputs.queries);
    const corpusRows = rowsOf(entry.inputs.corpus);
    using corpus = kit.quantize(corpusRows, quantizeOptions(dtype, params));
    const rescore = params.rescore;
    const exactScores = isExact(dtype) && rescore === null;
    const check = (result: { indices: Int32Array; scores: Float32Array; shape: [number, number] }, label: string) => {
      expect(result.shape, label).toEqual(expected.indices.shape);
      expect(Array.from(result.indices), `${label} indices`).toEqual(expected.indices.data);
      expectScores(result.scores, expected.scores.data, exactScores, `${label} scores`);
    };
    if (params.quantizedQueries === true) {
      using encoded = kit.quantize(queries, { dtype });
      check(kit.topK(encoded, corpus, params.k, { excludeSelf: params.excludeSelf, eps: params.eps }), `${entry.name} (quantised queries)`);
      check(kit.topK(plainCopy(encoded), plainCopy(corpus), params.k, { excludeSelf: params.excludeSelf, eps: params.eps }), `${entry.name} (plain objects)`);
      return;
    }
    if (rescore === null) {
      const options = { excludeSelf: params.excludeSelf, eps: params.eps };
      check(kit.topK(queries, corpus, params.k, options), `${entry.name} (QuantizedTensor corpus)`);
      check(kit.topK(queries, plainCopy(corpus), params.k, options), `${entry.name} (plain corpus)`);
      if (dtype !== 'float16') {
        // Quantised queries, encoded like the corpus, are the codes topK encodes float queries to.
        const side = dtype === 'int8' || dtype === 'uint8' ? { ranges: corpus.ranges as Float32Array } : corpus.thresholds === null ? {} : { thresholds: corpus.thresholds };
        using encoded = kit.quantize(queries, { dtype, ...side });
        check(kit.topK(encoded, corpus, params.k, options), `${entry.name} (quantised queries)`);
      }
      return;
    }
    // The candidates: the quantised top k·multiplier (or all the rows left).
    const candidates = expected.candidates as Block<number>;
    const plainCandidates = kit.topK(queries, corpus, candidates.shape[1], { excludeSelf: params.excludeSelf, eps: params.eps });
    expect(Array.from(plainCandidates.indices), `${entry.name} candidates`).toEqual(candidates.data);
    const options = (vectors: RescoreOptions['vectors']) => ({
      excludeSelf: params.excludeSelf,
      eps: params.eps,
      rescore: vectors === undefined ? { multiplier: rescore.multiplier } : { multiplier: rescore.multiplier, vectors },
    });
    if (!rescore.vectors) {
      check(kit.topK(queries, corpus, params.k, options(undefined)), `${entry.name} (decoded rows)`);
      check(kit.topK(queries, plainCopy(corpus), params.k, options(undefined)), `${entry.name} (decoded rows, plain corpus)`);
      return;
    }
    // Vectors outside WASM memory (gathered) and in a WasmTensor (read in place).
    check(kit.topK(queries, corpus, params.k, options(corpusRows)), `${entry.name} (JS vectors)`);
    using inMemory = kit.alloc(corpusRows.shape);
    inMemory.data.set(corpusRows.data);
    check(kit.topK(queries, corpus, params.k, options(inMemory)), `${entry.name} (WasmTensor vectors)`);
  });
});
