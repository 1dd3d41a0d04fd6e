// In-page checks of the BUILT package (packages/cosinekit/dist/index.js, imported by
// relative URL, no bundler), called from test/browser/package.test.ts through
// page.evaluate. Every check returns plain JSON: counts, the largest error seen and the
// first failures, so the Node side can assert on them and print them.

import * as cosinekit from '../../../packages/cosinekit/dist/index.js';

const MAX_REPORTED_FAILURES = 20;
let fixturesPromise = null;

function toNumber(value) {
  return typeof value === 'number' ? value : Number(value); // 'NaN', 'Infinity', '-Infinity'
}

/** The PyTorch fixtures, fetched once from the test server. */
export function loadFixtures() {
  fixturesPromise ??= Promise.all(
    ['cosine', 'normalize'].map(async (name) => {
      const response = await fetch(new URL(`../../fixtures/${name}.json`, import.meta.url));
      if (!response.ok) throw new Error(`fixtures ${name}: HTTP ${response.status}`);
      return response.json();
    }),
  ).then(([cosine, normalize]) => ({ cosine, normalize }));
  return fixturesPromise;
}

/**
 * Element-wise |actual − expected| ≤ absolute + relative·|expected|; NaN matches only NaN and
 * infinities must be equal. Adds mismatches to `report` and returns nothing.
 */
export function compareInto(report, context, actual, expected, absolute, relative) {
  if (actual.length !== expected.length) {
    report.failures.push(`${context}: length ${actual.length}, expected ${expected.length}`);
    return;
  }
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index];
    const got = actual[index];
    report.comparisons++;
    let ok;
    if (Number.isNaN(want)) ok = Number.isNaN(got);
    else if (!Number.isFinite(want)) ok = got === want;
    else {
      const error = Math.abs(got - want);
      ok = error <= absolute + relative * Math.abs(want);
      if (Number.isFinite(error) && error > report.maxAbsError) report.maxAbsError = error;
    }
    if (!ok && report.failures.length < MAX_REPORTED_FAILURES) {
      report.failures.push(`${context}[${index}]: got ${got}, expected ${want}`);
    }
  }
}

function sameShape(report, context, actual, expected) {
  if (JSON.stringify(Array.from(actual)) !== JSON.stringify(expected)) {
    report.failures.push(`${context}: shape [${actual}], expected [${expected}]`);
  }
}

/** What the default loader picks here, and what the engine validates. */
export async function probe() {
  const first = await cosinekit.init();
  const second = await cosinekit.init({ variant: 'scalar' }); // idempotent: keeps the first
  return {
    userAgent: navigator.userAgent,
    init: first,
    secondInit: second,
    backendInfo: cosinekit.backendInfo(),
    supported: Object.fromEntries(['scalar', 'simd128', 'relaxed'].map((variant) => [variant, cosinekit.isVariantSupported(variant)])),
  };
}

/**
 * Runs every PyTorch fixture through one instance: `variant` = 'default' uses the package's
 * top-level functions after `init()`, anything else a `createInstance({ variant })`. Cosine
 * cases run twice, copied in from Float32Array and zero-copy from WasmTensors.
 */
export async function checkFixtures(variant) {
  const { cosine, normalize } = await loadFixtures();
  let kit;
  if (variant === 'default') {
    await cosinekit.init();
    kit = cosinekit;
  } else {
    kit = await cosinekit.createInstance({ variant });
  }
  const report = {
    variant: kit.backendInfo().variant,
    cosineCases: 0,
    normalizeCases: 0,
    comparisons: 0,
    maxAbsError: 0,
    heapBefore: kit.heapBytesInUse(),
    heapAfter: -1,
    failures: [],
  };
  for (const entry of cosine.cases) {
    const { x1, x2 } = entry.inputs;
    const options = { dim: entry.params.dim, eps: entry.params.eps };
    const expected = Float64Array.from(entry.expected.data, toNumber);
    const a = Float32Array.from(x1.data, toNumber);
    const b = Float32Array.from(x2.data, toNumber);
    try {
      const copied = kit.cosineSimilarity({ data: a, shape: x1.shape }, { data: b, shape: x2.shape }, options);
      sameShape(report, `${entry.name} (copy)`, copied.shape, entry.expected.shape);
      compareInto(report, `${entry.name} (copy)`, copied.data, expected, 1e-5, 0);
      const first = kit.alloc(x1.shape);
      const second = kit.alloc(x2.shape);
      try {
        first.data.set(a);
        second.data.set(b);
        const zeroCopy = kit.cosineSimilarity(first, second, options);
        sameShape(report, `${entry.name} (WasmTensor)`, zeroCopy.shape, entry.expected.shape);
        compareInto(report, `${entry.name} (WasmTensor)`, zeroCopy.data, expected, 1e-5, 0);
      } finally {
        first.dispose();
        second.dispose();
      }
    } catch (error) {
      report.failures.push(`${entry.name}: threw ${error}`);
    }
    report.cosineCases++;
  }
  for (const entry of normalize.cases) {
    const { x } = entry.inputs;
    const p = entry.params.p === 'inf' ? Number.POSITIVE_INFINITY : entry.params.p;
    try {
      const result = kit.normalize({ data: Float32Array.from(x.data, toNumber), shape: x.shape }, { p, dim: entry.params.dim, eps: entry.params.eps });
      sameShape(report, entry.name, result.shape, entry.expected.shape);
      compareInto(report, entry.name, result.data, Float64Array.from(entry.expected.data, toNumber), 1e-6, 1e-5);
    } catch (error) {
      report.failures.push(`${entry.name}: threw ${error}`);
    }
    report.normalizeCases++;
  }
  report.heapAfter = kit.heapBytesInUse();
  return report;
}

/** The comparator must reject a value 2e-5 off (so the fixture checks above can fail). */
export function comparatorSelfCheck() {
  const report = { comparisons: 0, maxAbsError: 0, failures: [] };
  compareInto(report, 'exact', [0.5, Number.NaN, Infinity], [0.5, Number.NaN, Infinity], 1e-5, 0);
  const exactFailures = report.failures.length;
  compareInto(report, 'off by 2e-5', [0.50002], [0.5], 1e-5, 0);
  compareInto(report, 'NaN for a number', [Number.NaN], [0.5], 1e-5, 0);
  compareInto(report, 'number for NaN', [0.5], [Number.NaN], 1e-5, 0);
  compareInto(report, 'short', [0.5], [0.5, 0.5], 1e-5, 0);
  return { exactFailures, failures: report.failures.length };
}

/** Errors keep their types and messages in the browser, and the instance stays usable. */
export async function checkErrors() {
  await cosinekit.init();
  const caught = [];
  const attempts = [
    () => cosinekit.cosineSimilarity({ data: new Float32Array(12), shape: [3, 4] }, { data: new Float32Array(20), shape: [5, 4] }),
    () => cosinekit.cosineSimilarity({ data: new Float32Array(12), shape: [3, 4] }, { data: new Float32Array(12), shape: [3, 4] }, { dim: 2 }),
    () => cosinekit.normalize({ data: 'not an array', shape: [1] }),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
      caught.push({ name: 'none', message: '' });
    } catch (error) {
      caught.push({ name: error.constructor.name, message: error.message });
    }
  }
  const after = cosinekit.cosineSimilarity({ data: [3, 4], shape: [1, 2] }, { data: [4, 3], shape: [1, 2] });
  return { caught, afterError: Array.from(after.data) };
}

/** Whether a synchronous compile is allowed on this (main) thread, and what it says if not. */
export function tryCreateInstanceSync(variant) {
  try {
    const kit = cosinekit.createInstanceSync({ variant });
    return { ok: true, variant: kit.backendInfo().variant };
  } catch (error) {
    return { ok: false, message: `${error.constructor.name}: ${error.message}` };
  }
}

/** The package in a module worker: `initSync` there, one fixture case per variant. */
export function checkInWorker() {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error('worker did not answer within 20 s'));
    }, 20_000);
    worker.onmessage = (event) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`worker error: ${event.message}`));
    };
  });
}

/** Deterministic inputs in [-1, 1) from a 32-bit LCG (no Math.random: failures must reproduce). */
function seededMatrix(rows, columns, seed) {
  const data = new Float32Array(rows * columns);
  let state = seed >>> 0;
  for (let index = 0; index < data.length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state / 2 ** 31 - 1;
  }
  return data;
}

/** Float64 cosine of row i of a and row j of b (depth columns), eps clamping each norm. */
function cosine64(a, i, b, j, depth, eps = 1e-8) {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < depth; k++) {
    const x = a[i * depth + k];
    const y = b[j * depth + k];
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  return dot / (Math.max(Math.sqrt(aa), eps) * Math.max(Math.sqrt(bb), eps));
}

/**
 * pairwiseCosine ([N,D]×[M,D], a vs itself, batched [B,N,D]×[B,M,D], scale) and topK (with
 * and without excludeSelf) on one variant, against a float64 reference computed here.
 * Odd sizes so that every SIMD tail path runs.
 */
export async function checkPairwiseAndTopK(variant) {
  const kit = variant === 'default' ? (await cosinekit.init(), cosinekit) : await cosinekit.createInstance({ variant });
  const report = { variant: kit.backendInfo().variant, comparisons: 0, maxAbsError: 0, failures: [], heapBefore: kit.heapBytesInUse(), heapAfter: -1 };
  const [n, m, depth] = [37, 53, 70];
  const a = seededMatrix(n, depth, 1);
  const b = seededMatrix(m, depth, 2);
  try {
    const full = kit.pairwiseCosine({ data: a, shape: [n, depth] }, { data: b, shape: [m, depth] });
    sameShape(report, 'pairwise [37,70]x[53,70]', full.shape, [n, m]);
    const expected = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) expected[i * m + j] = cosine64(a, i, b, j, depth);
    compareInto(report, 'pairwise [37,70]x[53,70]', full.data, expected, 1e-5, 0);

    const scaled = kit.pairwiseCosine({ data: a, shape: [n, depth] }, { data: b, shape: [m, depth] }, { scale: 1 / 0.07 });
    compareInto(report, 'pairwise scale 1/0.07', scaled.data, expected.map((value) => value / 0.07), 1e-5 / 0.07, 0);

    const self = kit.pairwiseCosine({ data: a, shape: [n, depth] });
    const selfExpected = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) selfExpected[i * n + j] = cosine64(a, i, a, j, depth);
    compareInto(report, 'pairwise a vs a', self.data, selfExpected, 1e-5, 0);

    const [batch, rowsA, rowsB, depthB] = [2, 5, 7, 33];
    const x = seededMatrix(batch * rowsA, depthB, 3);
    const y = seededMatrix(batch * rowsB, depthB, 4);
    const batched = kit.pairwiseCosine({ data: x, shape: [batch, rowsA, depthB] }, { data: y, shape: [batch, rowsB, depthB] });
    sameShape(report, 'pairwise batched', batched.shape, [batch, rowsA, rowsB]);
    const batchedExpected = new Float64Array(batch * rowsA * rowsB);
    for (let p = 0; p < batch; p++) {
      for (let i = 0; i < rowsA; i++) {
        for (let j = 0; j < rowsB; j++) batchedExpected[(p * rowsA + i) * rowsB + j] = cosine64(x, p * rowsA + i, y, p * rowsB + j, depthB);
      }
    }
    compareInto(report, 'pairwise batched', batched.data, batchedExpected, 1e-5, 0);

    // topK: every row's scores within 1e-5 of the float64 ranking, and the same indices except
    // where float64 scores tie within 1e-5 (float32 may then order either way).
    const checkTopK = (context, result, queries, corpus, rows, corpusRows, k, excludeSelf) => {
      sameShape(report, context, result.shape, [rows, k]);
      for (let i = 0; i < rows; i++) {
        const ranked = [];
        for (let j = 0; j < corpusRows; j++) if (!(excludeSelf && i === j)) ranked.push({ j, score: cosine64(queries, i, corpus, j, depth) });
        ranked.sort((left, right) => right.score - left.score || left.j - right.j);
        const byIndex = new Map(ranked.map((entry) => [entry.j, entry.score]));
        for (let r = 0; r < k; r++) {
          const index = result.indices[i * k + r];
          const want = ranked[r];
          compareInto(report, `${context} row ${i} rank ${r} score`, [result.scores[i * k + r]], [want.score], 1e-5, 0);
          if (index !== want.j && !(Math.abs((byIndex.get(index) ?? -Infinity) - want.score) <= 1e-5)) {
            report.failures.push(`${context} row ${i} rank ${r}: index ${index}, expected ${want.j}`);
          }
        }
      }
    };
    const queries = seededMatrix(7, depth, 5);
    checkTopK('topK k=5', kit.topK({ data: queries, shape: [7, depth] }, { data: b, shape: [m, depth] }, 5), queries, b, 7, m, 5, false);
    checkTopK('topK k=1', kit.topK({ data: queries, shape: [7, depth] }, { data: b, shape: [m, depth] }, 1), queries, b, 7, m, 1, false);
    checkTopK('topK excludeSelf', kit.topK({ data: a, shape: [n, depth] }, { data: a, shape: [n, depth] }, 4, { excludeSelf: true }), a, a, n, n, 4, true);
  } catch (error) {
    report.failures.push(`threw ${error}`);
  }
  report.heapAfter = kit.heapBytesInUse();
  return report;
}

/** The storage formats in the page: codes against references written here, topK and rescoring against float64. */
export async function checkStorageFormats(variant) {
  const kit = variant === 'default' ? (await cosinekit.init(), cosinekit) : await cosinekit.createInstance({ variant });
  const report = { variant: kit.backendInfo().variant, comparisons: 0, maxAbsError: 0, failures: [], heapBefore: kit.heapBytesInUse(), heapAfter: -1 };
  const [rows, depth] = [61, 40];
  const values = seededMatrix(rows, depth, 9);
  const f32 = Math.fround;
  try {
    // int8: per-dim ranges from the rows, float32 steps, truncation toward zero.
    const int8 = kit.quantize({ data: values, shape: [rows, depth] }, { dtype: 'int8' });
    const ranges = int8.ranges;
    for (let index = 0; index < rows * depth; index++) {
      const dim = index % depth;
      const step = f32(f32(ranges[depth + dim] - ranges[dim]) / 255);
      const q = step === 0 ? 0 : f32(f32(values[index] - ranges[dim]) / step);
      const expected = Math.min(127, Math.max(-128, Math.trunc(f32(q - 128))));
      report.comparisons++;
      if (int8.data[index] !== expected && report.failures.length < MAX_REPORTED_FAILURES) report.failures.push(`int8 code ${index}: ${int8.data[index]}, expected ${expected}`);
    }
    // binary: packbits of x > 0 (binary stores byte − 128).
    const binary = kit.quantize({ data: values, shape: [rows, depth] }, { dtype: 'binary' });
    const signs = (row) => Array.from({ length: depth }, (_, dim) => ((binary.data[(row * depth + dim) >> 3] + 128) & (0x80 >> (dim & 7)) ? 1 : -1));
    for (let index = 0; index < rows * depth; index++) {
      report.comparisons++;
      const expected = values[index] > 0 ? 1 : -1;
      if (signs(Math.floor(index / depth))[index % depth] !== expected && report.failures.length < MAX_REPORTED_FAILURES) report.failures.push(`binary bit ${index}`);
    }
    // Quantised scores: exact integer cosines, rounded once to float32.
    const score = (first, second) => {
      let dot = 0;
      let firstSquared = 0;
      let secondSquared = 0;
      for (let dim = 0; dim < first.length; dim++) {
        dot += first[dim] * second[dim];
        firstSquared += first[dim] * first[dim];
        secondSquared += second[dim] * second[dim];
      }
      return firstSquared === 0 || secondSquared === 0 ? 0 : f32(dot / Math.sqrt(firstSquared * secondSquared));
    };
    const codes = (row) => Array.from(int8.data.subarray(row * depth, (row + 1) * depth));
    const matrix = kit.pairwiseCosine(int8);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) {
        report.comparisons++;
        const expected = score(codes(i), codes(j));
        if (matrix.data[i * rows + j] !== expected && report.failures.length < MAX_REPORTED_FAILURES) report.failures.push(`int8 pairwise [${i},${j}]: ${matrix.data[i * rows + j]}, expected ${expected}`);
      }
    }
    const binaryMatrix = kit.pairwiseCosine(binary);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) {
        report.comparisons++;
        const expected = score(signs(i), signs(j));
        if (binaryMatrix.data[i * rows + j] !== expected && report.failures.length < MAX_REPORTED_FAILURES) report.failures.push(`binary pairwise [${i},${j}]`);
      }
    }
    // topK over the binary corpus with excludeSelf, then rescored with the float vectors.
    const k = 4;
    const found = kit.topK(binary, binary, k, { excludeSelf: true });
    const rescored = kit.topK({ data: values, shape: [rows, depth] }, binary, k, { rescore: { multiplier: 3, vectors: { data: values, shape: [rows, depth] } } });
    const candidates = kit.topK({ data: values, shape: [rows, depth] }, binary, 3 * k);
    for (let i = 0; i < rows; i++) {
      const ranked = [];
      for (let j = 0; j < rows; j++) if (j !== i) ranked.push({ j, score: score(signs(i), signs(j)) });
      ranked.sort((left, right) => right.score - left.score || left.j - right.j);
      for (let r = 0; r < k; r++) {
        report.comparisons++;
        if (found.indices[i * k + r] !== ranked[r].j && report.failures.length < MAX_REPORTED_FAILURES) report.failures.push(`binary topK row ${i} rank ${r}: ${found.indices[i * k + r]}, expected ${ranked[r].j}`);
      }
      const pool = Array.from(candidates.indices.subarray(i * 3 * k, (i + 1) * 3 * k)).map((j) => ({ j, score: cosine64(values, i, values, j, depth) }));
      pool.sort((left, right) => right.score - left.score || left.j - right.j);
      compareInto(report, `rescored row ${i}`, rescored.scores.subarray(i * k, (i + 1) * k), pool.slice(0, k).map((entry) => entry.score), 1e-5, 0);
    }
    for (const tensor of [int8, binary]) tensor.dispose();
  } catch (error) {
    report.failures.push(`threw ${error}`);
  }
  report.heapAfter = kit.heapBytesInUse();
  return report;
}

/**
 * createInstance({ wasm }) in the page: a fetched Response served as application/wasm
 * (streaming compile), the same bytes in a Response of another type (the fallback that reads
 * them whole), the bytes, a compiled module and a URL. Each instance computes cos([3,4],[4,3])
 * and cos([1,0],[0,1]); a module of the wrong variant is refused.
 */
export async function checkWasmSources() {
  const url = new URL('../../../packages/cosinekit/dist/cosinekit-simd128.wasm', import.meta.url);
  const fetched = await fetch(url);
  const bytes = await (await fetch(url)).arrayBuffer();
  const sources = {
    streamed: fetched,
    wrongType: new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }),
    bytes: new Uint8Array(bytes),
    module: await WebAssembly.compile(bytes),
    url: url.href,
  };
  const results = {};
  for (const [name, wasm] of Object.entries(sources)) {
    const kit = await cosinekit.createInstance({ wasm });
    const values = kit.cosineSimilarity({ data: [3, 4, 1, 0], shape: [2, 2] }, { data: [4, 3, 0, 1], shape: [2, 2] });
    results[name] = { variant: kit.backendInfo().variant, values: Array.from(values.data) };
  }
  let refused = null;
  try {
    await cosinekit.createInstance({ wasm: bytes, variant: 'scalar' });
  } catch (error) {
    refused = `${error.constructor.name}: ${error.message}`;
  }
  return { type: fetched.headers.get('content-type'), results, refused };
}
