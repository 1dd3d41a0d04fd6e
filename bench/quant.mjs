// Storage formats against float32, in one process per variant: topK rate of float16, int8,
// uint8, binary and ubinary corpora vs a float32 corpus on the same Q, N, D and variant
// (float queries, encoded by the call), bytes per vector, the WASM memory a quantised topK
// adds, recall@10 against exact float32 search without and with rescoring (multiplier 1, 2,
// 4, 10; from decoded rows and from the float vectors) on clustered synthetic embeddings,
// and a 1 000 000 × 384 binary and int8 corpus (time per query, memory). Every quantised
// result is checked against a float64 reference of its own scores before it is timed.
//
//   node quant.mjs [--quick] [--only=single,batch,float32,memory,recall,million] [--variant=simd128] [--no-relaxed-child] [--json=PATH]
//
//   --quick              smoke run: small sizes, few rounds (every result still checked)
//   --only=…             run only these parts (default: all): the Q = 1 and Q = 256 rates,
//                        float32 Q = 1 corpus read rate vs row-wise cosine, memory, recall,
//                        the 1 000 000-row corpus
//   --variant=…          wasm build (default simd128; the relaxed variant runs in a child
//                        process with --experimental-wasm-relaxed-simd unless this engine has it)
//   --no-relaxed-child   only the variant of this process
//   --json=PATH          where to write the JSON (default results/quant.json, with .md and .svg)
//
// Units: rate = queries per second; ratio = float32 seconds per call ÷ dtype seconds per call
// (medians of interleaved rounds, so a slow spell of a shared machine hits both alike);
// corpus GB/s = stored corpus bytes ÷ seconds per call; recall@10 = |found ∩ exact| / 10,
// averaged over the queries, exact = float32 topK over the float32 corpus.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInstanceSync, isVariantSupported } from 'cosinekit';
import { seedFromLabel, uniformFloats, uniformGenerator } from './lib/data.mjs';
import { describeEnvironment, environmentLine } from './lib/environment.mjs';
import { measureInterleaved, probeSeconds } from './lib/measure.mjs';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const PARTS = ['single', 'batch', 'float32', 'memory', 'recall', 'million'];
const options = { quick: false, only: PARTS, variant: 'simd128', relaxedChild: true, json: path.join(benchDirectory, 'results', 'quant.json'), child: false };
for (const argument of process.argv.slice(2)) {
  const [name, value = ''] = argument.split('=');
  if (name === '--quick') options.quick = true;
  else if (name === '--variant') options.variant = value;
  else if (name === '--only') options.only = value.split(',');
  else if (name === '--no-relaxed-child') options.relaxedChild = false;
  else if (name === '--json') options.json = value;
  else if (name === '--child') options.child = true;
  else {
    console.error(`quant.mjs: unknown option ${argument}`);
    process.exit(2);
  }
}
const unknownParts = options.only.filter((part) => !PARTS.includes(part));
if (unknownParts.length > 0) {
  console.error(`quant.mjs: unknown part ${unknownParts.join(', ')} (parts: ${PARTS.join(', ')})`);
  process.exit(2);
}

const DTYPES = ['float16', 'int8', 'uint8', 'binary', 'ubinary'];
const D = 384;
const sizes = options.quick
  ? { single: 20_000, batch: 5_000, batchQueries: 64, recallCorpus: 5_000, recallQueries: 20, million: 0 }
  : { single: 250_000, batch: 100_000, batchQueries: 256, recallCorpus: 100_000, recallQueries: 200, million: 1_000_000 };
const timing = options.quick
  ? { rounds: 3, slowRounds: 2, roundSeconds: 0.05, warmSeconds: 0.05, warmCalls: 2 }
  : { rounds: 9, slowRounds: 5, roundSeconds: 0.4, warmSeconds: 0.3, warmCalls: 3 };
const TARGETS = {
  single: { int8: 3, binary: 12, float16: 1 },
  batch: { int8: 1, binary: 6 },
};

// ───────────────────────────── data ─────────────────────────────

/**
 * Clustered, anisotropic embeddings (what sentence encoders produce): a shared mean
 * direction, `clusters` centroids around it, each row a centroid plus Gaussian noise.
 */
function embeddings(label, rows, depth, { clusters = 400, spread = 0.55, offset = 0.8 } = {}) {
  const next = uniformGenerator(seedFromLabel(label));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const centroidNext = uniformGenerator(seedFromLabel('centroids'));
  const centroidGaussian = () => Math.sqrt(-2 * Math.log(1 - centroidNext())) * Math.cos(2 * Math.PI * centroidNext());
  const mean = Float64Array.from({ length: depth }, (_, dim) => offset * Math.sin(dim * 0.7));
  const centroids = Float64Array.from({ length: clusters * depth }, (_, index) => mean[index % depth] + centroidGaussian());
  const values = new Float32Array(rows * depth);
  for (let row = 0; row < rows; row++) {
    const centroid = Math.floor(next() * clusters) * depth;
    for (let dim = 0; dim < depth; dim++) values[row * depth + dim] = centroids[centroid + dim] + spread * gaussian();
  }
  return values;
}

const storedBytes = (dtype, depth) => (dtype === 'float32' ? 4 * depth : dtype === 'float16' ? 2 * depth : dtype === 'binary' || dtype === 'ubinary' ? depth / 8 : depth);

// ───────────────────────────── checks ─────────────────────────────

function halfValue(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** The vector a stored row stands for (float64), for the reference check. */
function decoded(dtype, data, row, depth) {
  const vector = new Float64Array(depth);
  for (let dim = 0; dim < depth; dim++) {
    if (dtype === 'binary' || dtype === 'ubinary') {
      const byte = (data[(row * depth + dim) >> 3] + (dtype === 'binary' ? 128 : 0)) & 0xff;
      vector[dim] = byte & (0x80 >> (dim & 7)) ? 1 : -1;
    } else {
      const stored = data[row * depth + dim];
      vector[dim] = dtype === 'float16' ? halfValue(stored) : dtype === 'uint8' ? stored - 128 : stored;
    }
  }
  return vector;
}

function cosine64(first, second) {
  let dot = 0;
  let firstSquared = 0;
  let secondSquared = 0;
  for (let index = 0; index < first.length; index++) {
    dot += first[index] * second[index];
    firstSquared += first[index] * first[index];
    secondSquared += second[index] * second[index];
  }
  return firstSquared === 0 || secondSquared === 0 ? 0 : dot / Math.sqrt(firstSquared * secondSquared);
}

/** Checks query 0's reported scores against the float64 cosine of its stored rows (and of the encoded query). */
function checkScores(kit, dtype, queries, corpus, result, k) {
  const query = queries.data.subarray(0, D);
  const encodedQuery =
    dtype === 'float16' ? Float64Array.from(query) : decoded(dtype, kit.quantize({ data: query, shape: [1, D] }, { dtype, ranges: corpus.ranges ?? undefined }).data, 0, D);
  for (let slot = 0; slot < k; slot++) {
    const row = result.indices[slot];
    const expected = cosine64(encodedQuery, decoded(dtype, corpus.data, row, D));
    if (Math.abs(result.scores[slot] - expected) > 1e-5) throw new Error(`${dtype}: score of row ${row} is ${result.scores[slot]}, the float64 reference ${expected}`);
  }
}

// ───────────────────────────── parts ─────────────────────────────

function rateSection(kit, label, corpusRows, queryRows) {
  const corpusValues = embeddings(`${label} corpus`, corpusRows, D);
  const queryValues = embeddings(`${label} queries`, queryRows, D);
  const queries = { data: queryValues, shape: [queryRows, D] };
  const float32 = kit.alloc([corpusRows, D]);
  float32.data.set(corpusValues);
  const corpora = { float32 };
  for (const dtype of DTYPES) corpora[dtype] = kit.quantize(float32, { dtype });
  const entries = [];
  for (const dtype of ['float32', ...DTYPES]) {
    const corpus = corpora[dtype];
    const call = () => kit.topK(queries, corpus, 10);
    if (dtype !== 'float32') checkScores(kit, dtype, queries, corpus, call(), 10);
    entries.push({ dtype, call, firstCallSeconds: probeSeconds(call, 1), budgetSeconds: timing.roundSeconds });
  }
  const measured = measureInterleaved(entries, timing);
  const base = measured[0].seconds;
  const rows = entries.map((entry, index) => ({
    dtype: entry.dtype,
    bytesPerVector: storedBytes(entry.dtype, D),
    secondsPerCall: measured[index].seconds,
    spread: measured[index].spread,
    queriesPerSecond: queryRows / measured[index].seconds,
    corpusGBs: (corpusRows * storedBytes(entry.dtype, D)) / measured[index].seconds / 1e9,
    ratioVsFloat32: base / measured[index].seconds,
  }));
  for (const corpus of Object.values(corpora)) corpus.dispose();
  return { label, corpusRows, queryRows, depth: D, k: 10, rows };
}

/**
 * The float32 few-query path against the memory-bound anchor: topK Q = 1 over a zero-copy
 * `[single, D]` corpus vs row-wise cosineSimilarity of two zero-copy `[N, D]` operands (out
 * in WASM memory too), in the same interleaved rounds. Bytes: topK reads 4·N·D of corpus;
 * row-wise reads 8·N·D and writes 4·N. Two row-wise sizes: the one that reads as many bytes
 * as the topK corpus (N = single / 2, beyond every cache) and PERF.md's anchor (10 000 × 768).
 */
function float32Section(kit) {
  const corpusRows = sizes.single;
  const corpus = kit.alloc([corpusRows, D]);
  corpus.data.set(embeddings('single corpus', corpusRows, D));
  const query = { data: embeddings('single queries', 1, D), shape: [1, D] };
  const topK = () => kit.topK(query, corpus, 10);
  const found = topK();
  const queryVector = Float64Array.from(query.data);
  for (let slot = 0; slot < 10; slot++) {
    const row = found.indices[slot];
    const expected = cosine64(queryVector, Float64Array.from(corpus.data.subarray(row * D, (row + 1) * D)));
    if (Math.abs(found.scores[slot] - expected) > 1e-5) throw new Error(`float32 topK: score of row ${row} is ${found.scores[slot]}, the float64 reference ${expected}`);
  }
  const rowwiseShapes = [
    { rows: corpusRows / 2, depth: D },
    { rows: options.quick ? 2_000 : 10_000, depth: 768 },
  ];
  const operands = rowwiseShapes.map(({ rows, depth }, index) => {
    const first = kit.alloc([rows, depth]);
    const second = kit.alloc([rows, depth]);
    first.data.set(uniformFloats(seedFromLabel(`rowwise ${index} first`), rows * depth));
    second.data.set(uniformFloats(seedFromLabel(`rowwise ${index} second`), rows * depth));
    const out = kit.alloc([rows]);
    const call = () => kit.cosineSimilarity(first, second, { dim: 1, out });
    call();
    for (const row of [0, rows >> 1, rows - 1]) {
      const expected = cosine64(Float64Array.from(first.data.subarray(row * depth, (row + 1) * depth)), Float64Array.from(second.data.subarray(row * depth, (row + 1) * depth)));
      if (Math.abs(out.data[row] - expected) > 1e-5) throw new Error(`row-wise ${rows} × ${depth}: row ${row} is ${out.data[row]}, the float64 reference ${expected}`);
    }
    return { rows, depth, call, tensors: [first, second, out] };
  });
  const entries = [
    { call: topK, firstCallSeconds: probeSeconds(topK, 1), budgetSeconds: timing.roundSeconds },
    ...operands.map(({ call }) => ({ call, firstCallSeconds: probeSeconds(call, 1), budgetSeconds: timing.roundSeconds })),
  ];
  const measured = measureInterleaved(entries, timing);
  const topKGBs = (4 * corpusRows * D) / measured[0].seconds / 1e9;
  const rowwise = operands.map(({ rows, depth }, index) => {
    const gbs = (8 * rows * depth + 4 * rows) / measured[index + 1].seconds / 1e9;
    return { rows, depth, secondsPerCall: measured[index + 1].seconds, gbs, topKReadVsRowwise: topKGBs / gbs };
  });
  for (const tensor of [corpus, ...operands.flatMap(({ tensors }) => tensors)]) tensor.dispose();
  return { corpusRows, depth: D, k: 10, topKSecondsPerCall: measured[0].seconds, topKGBs, rowwise };
}

/**
 * What a quantised topK adds to WASM memory, measured on a fresh instance per dtype (the
 * corpus already quantised, nothing else run): memory size after the first call minus before.
 */
function memorySection(variant) {
  const corpusRows = sizes.batch;
  const corpusValues = embeddings('memory corpus', corpusRows, D);
  const queries = { data: embeddings('memory queries', sizes.batchQueries, D), shape: [sizes.batchQueries, D] };
  const results = [];
  for (const dtype of DTYPES) {
    const kit = createInstanceSync({ variant });
    const corpus = kit.quantize({ data: corpusValues, shape: [corpusRows, D] }, { dtype });
    const before = kit.backendInfo().memoryBytes;
    const heapBefore = kit.heapBytesInUse();
    kit.topK(queries, corpus, 10, { rescore: { multiplier: 10 } });
    const grown = kit.backendInfo().memoryBytes - before;
    results.push({ dtype, memoryGrowthBytes: grown, heapAfterMinusBefore: kit.heapBytesInUse() - heapBefore, corpusBytes: corpusRows * storedBytes(dtype, D) });
    corpus.dispose();
  }
  return { corpusRows, queryRows: sizes.batchQueries, rescoreMultiplier: 10, results };
}

function recallSection(kit) {
  const corpusRows = sizes.recallCorpus;
  const queryRows = sizes.recallQueries;
  const corpusValues = embeddings('recall corpus', corpusRows, D);
  const calibration = { data: embeddings('recall calibration', 2000, D), shape: [2000, D] };
  const queries = { data: embeddings('recall queries', queryRows, D), shape: [queryRows, D] };
  const corpus = kit.alloc([corpusRows, D]);
  corpus.data.set(corpusValues);
  const exact = kit.topK(queries, corpus, 10);
  const recall = (found) => {
    let hits = 0;
    for (let query = 0; query < queryRows; query++) {
      const truth = new Set(exact.indices.subarray(query * 10, query * 10 + 10));
      for (let slot = 0; slot < 10; slot++) if (truth.has(found.indices[query * 10 + slot])) hits++;
    }
    return hits / (10 * queryRows);
  };
  const variants = [...DTYPES.map((dtype) => ({ name: dtype, dtype, options: {} })), { name: 'binary, calibrated thresholds', dtype: 'binary', options: { calibration } }];
  const rows = [];
  for (const { name, dtype, options: quantizeOptions } of variants) {
    const stored = kit.quantize(corpus, { dtype, ...quantizeOptions });
    const row = { name, dtype, raw: recall(kit.topK(queries, stored, 10)), decoded: {}, vectors: {} };
    for (const multiplier of [1, 2, 4, 10]) {
      row.decoded[multiplier] = recall(kit.topK(queries, stored, 10, { rescore: { multiplier } }));
      row.vectors[multiplier] = recall(kit.topK(queries, stored, 10, { rescore: { multiplier, vectors: corpus } }));
    }
    rows.push(row);
    stored.dispose();
  }
  corpus.dispose();
  return { corpusRows, queryRows, depth: D, k: 10, rows };
}

function millionSection(kit) {
  if (sizes.million === 0) return null;
  const corpusRows = sizes.million;
  const chunk = 50_000;
  const floats = kit.alloc([corpusRows, D]);
  for (let start = 0; start < corpusRows; start += chunk) floats.data.set(embeddings(`million ${start}`, Math.min(chunk, corpusRows - start), D), start * D);
  const stored = { int8: kit.quantize(floats, { dtype: 'int8' }), binary: kit.quantize(floats, { dtype: 'binary' }) };
  floats.dispose();
  const query = { data: embeddings('million query', 1, D), shape: [1, D] };
  const entries = [];
  for (const dtype of ['int8', 'binary']) {
    for (const rescore of [undefined, { multiplier: 4 }]) {
      const call = () => kit.topK(query, stored[dtype], 10, rescore === undefined ? undefined : { rescore });
      entries.push({ dtype, rescore: rescore !== undefined, call, firstCallSeconds: probeSeconds(call, 1), budgetSeconds: timing.roundSeconds });
    }
  }
  const measured = measureInterleaved(entries, { ...timing, rounds: Math.min(timing.rounds, 7) });
  const rows = entries.map((entry, index) => ({
    dtype: entry.dtype,
    rescore: entry.rescore ? 'decoded ×4' : 'none',
    millisecondsPerQuery: measured[index].seconds * 1000,
    corpusMiB: (corpusRows * storedBytes(entry.dtype, D)) / 2 ** 20,
  }));
  const memoryMiB = kit.backendInfo().memoryBytes / 2 ** 20;
  for (const tensor of Object.values(stored)) tensor.dispose();
  return { corpusRows, depth: D, k: 10, rows, wasmMemoryMiBAtPeak: memoryMiB };
}

function runVariant(variant) {
  const kit = createInstanceSync({ variant });
  const report = { variant, node: process.version, single: null, batch: null, float32: null, memory: null, recall: null, million: null };
  const run = (part, title, body) => {
    if (!options.only.includes(part)) return;
    console.error(`quant.mjs: ${variant}: ${title}`);
    report[part] = body();
  };
  run('single', `rates (Q = 1 over ${sizes.single})`, () => rateSection(kit, 'single', sizes.single, 1));
  run('batch', `rates (Q = ${sizes.batchQueries} over ${sizes.batch})`, () => rateSection(kit, 'batch', sizes.batch, sizes.batchQueries));
  run('float32', 'float32 Q = 1 vs row-wise cosine', () => float32Section(createInstanceSync({ variant })));
  run('memory', 'memory', () => memorySection(variant));
  run('recall', 'recall', () => recallSection(kit));
  run('million', '1 000 000 rows', () => millionSection(createInstanceSync({ variant })));
  return report;
}

// ───────────────────────────── report ─────────────────────────────

const fixed = (value, digits = 2) => value.toFixed(digits);

function markdown(environment, reports) {
  const lines = [`# Storage formats vs float32`, '', environmentLine(environment), ''];
  for (const report of reports) {
    lines.push(`## ${report.variant} (Node ${report.node})`, '');
    for (const section of [report.single, report.batch].filter((part) => part !== null)) {
      lines.push(`topK, Q = ${section.queryRows} over ${section.corpusRows} × ${section.depth}, k = 10:`, '');
      lines.push('| dtype | bytes/vector | ms per call | queries/s | corpus GB/s | vs float32 | target |', '|---|---|---|---|---|---|---|');
      const targets = section === report.single ? TARGETS.single : TARGETS.batch;
      for (const row of section.rows) {
        const target = targets[row.dtype];
        const verdict = target === undefined ? '' : `≥ ${target}× ${row.ratioVsFloat32 >= target ? 'met' : '**not met**'}`;
        lines.push(`| ${row.dtype} | ${row.bytesPerVector} | ${fixed(row.secondsPerCall * 1000, 3)} | ${fixed(row.queriesPerSecond, 0)} | ${fixed(row.corpusGBs)} | ${fixed(row.ratioVsFloat32)}× | ${verdict} |`);
      }
      lines.push('');
    }
    if (report.float32 !== null) {
      const part = report.float32;
      lines.push(`float32 topK, Q = 1 over ${part.corpusRows} × ${part.depth} (zero-copy), k = 10: ${fixed(part.topKSecondsPerCall * 1000, 3)} ms, corpus read ${fixed(part.topKGBs)} GB/s; target ≥ 0.75× row-wise:`, '');
      lines.push('| row-wise cosine (zero-copy) | ms per call | GB/s (8·N·D + 4·N bytes) | topK read ÷ row-wise |', '|---|---|---|---|');
      for (const row of part.rowwise) lines.push(`| ${row.rows} × ${row.depth} | ${fixed(row.secondsPerCall * 1000, 3)} | ${fixed(row.gbs)} | ${fixed(row.topKReadVsRowwise)}× |`);
      lines.push('');
    }
    const memory = report.memory;
    if (memory !== null) {
      lines.push(`WASM memory a topK adds (Q = ${memory.queryRows} over ${memory.corpusRows} × ${D}, rescore ×${memory.rescoreMultiplier}; target ≤ 64 MiB):`, '');
      lines.push('| dtype | corpus MiB | memory growth MiB | heap after − before |', '|---|---|---|---|');
      for (const row of memory.results) lines.push(`| ${row.dtype} | ${fixed(row.corpusBytes / 2 ** 20, 1)} | ${fixed(row.memoryGrowthBytes / 2 ** 20, 1)} | ${row.heapAfterMinusBefore} |`);
      lines.push('');
    }
    const recall = report.recall;
    if (recall !== null) {
      lines.push(`recall@10 vs exact float32 (${recall.queryRows} queries over ${recall.corpusRows} × ${D}, clustered synthetic embeddings):`, '');
      lines.push('| dtype | raw | rescored ×1 / ×2 / ×4 / ×10 (decoded rows) | rescored ×1 / ×2 / ×4 / ×10 (float vectors) |', '|---|---|---|---|');
      for (const row of recall.rows) {
        const list = (values) => [1, 2, 4, 10].map((multiplier) => fixed(values[multiplier], 3)).join(' / ');
        lines.push(`| ${row.name} | ${fixed(row.raw, 3)} | ${list(row.decoded)} | ${list(row.vectors)} |`);
    }
    lines.push('');
    }
    if (report.million !== null) {
      lines.push(`${report.million.corpusRows} × ${D} corpus, Q = 1, k = 10 (WASM memory at the end: ${fixed(report.million.wasmMemoryMiBAtPeak, 0)} MiB):`, '');
      lines.push('| dtype | rescore | ms per query | corpus MiB |', '|---|---|---|---|');
      for (const row of report.million.rows) lines.push(`| ${row.dtype} | ${row.rescore} | ${fixed(row.millisecondsPerQuery, 2)} | ${fixed(row.corpusMiB, 0)} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** Bars of the topK rate vs float32 (log scale), one group per dtype, one bar per variant and shape. */
function chart(reports) {
  const series = reports.flatMap((report) =>
    [report.single, report.batch].filter((part) => part !== null).map((part) => ({ name: `${report.variant}, Q = ${part.queryRows}`, rows: part.rows })),
  );
  const colours = ['#4c78a8', '#9ecae9', '#f58518', '#ffbf79'];
  const width = 760;
  const height = 340;
  const left = 60;
  const bottom = 290;
  const top = 40;
  const maximum = Math.max(2, ...series.flatMap((entry) => entry.rows.map((row) => row.ratioVsFloat32)));
  const logMax = Math.log10(maximum * 1.2);
  const logMin = Math.log10(0.25);
  const y = (value) => bottom - ((Math.log10(Math.max(value, 0.25)) - logMin) / (logMax - logMin)) * (bottom - top);
  const groups = ['float32', ...DTYPES];
  const groupWidth = (width - left - 20) / groups.length;
  const barWidth = (groupWidth - 16) / series.length;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="13">cosinekit topK rate vs a float32 corpus (same Q, N, D and variant; log scale)</text>`,
  ];
  for (const tick of [0.25, 0.5, 1, 2, 4, 8, 16, 32].filter((value) => value <= maximum * 1.2)) {
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y(tick)}" y2="${y(tick)}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`, `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick}×</text>`);
  }
  groups.forEach((dtype, groupIndex) => {
    const groupLeft = left + groupIndex * groupWidth + 8;
    series.forEach((entry, seriesIndex) => {
      const row = entry.rows.find((candidate) => candidate.dtype === dtype);
      const barTop = y(row.ratioVsFloat32);
      const x = groupLeft + seriesIndex * barWidth;
      parts.push(`<rect x="${x}" y="${Math.min(barTop, y(1))}" width="${barWidth - 2}" height="${Math.abs(y(1) - barTop)}" fill="${colours[seriesIndex % colours.length]}"><title>${entry.name} ${dtype}: ${fixed(row.ratioVsFloat32)}×</title></rect>`);
    });
    parts.push(`<text x="${groupLeft + (series.length * barWidth) / 2}" y="${bottom + 16}" text-anchor="middle">${dtype}</text>`);
  });
  series.forEach((entry, index) => {
    parts.push(`<rect x="${left + index * 170}" y="${bottom + 30}" width="10" height="10" fill="${colours[index % colours.length]}"/>`, `<text x="${left + index * 170 + 14}" y="${bottom + 39}">${entry.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

// ───────────────────────────── main ─────────────────────────────

if (options.child) {
  writeFileSync(options.json, JSON.stringify(runVariant('relaxed')));
  process.exit(0);
}
const environment = describeEnvironment(path.join(benchDirectory, '..'));
const reports = [runVariant(options.variant)];
if (options.relaxedChild && options.variant !== 'relaxed') {
  if (isVariantSupported('relaxed')) reports.push(runVariant('relaxed'));
  else {
    const childOut = `${options.json}.relaxed.tmp`;
    const argv = ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), '--child', `--json=${childOut}`, `--only=${options.only.join(',')}`, ...(options.quick ? ['--quick'] : [])];
    const child = spawnSync(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) throw new Error(`quant.mjs: the relaxed child process failed (status ${child.status})`);
    reports.push(JSON.parse(readFileSync(childOut, 'utf8')));
  }
}
mkdirSync(path.dirname(options.json), { recursive: true });
const base = options.json.replace(/\.json$/, '');
writeFileSync(options.json, JSON.stringify({ environment, sizes, reports }, null, 2));
writeFileSync(`${base}.md`, markdown(environment, reports));
writeFileSync(`${base}.svg`, chart(reports));
console.log(markdown(environment, reports));
console.error(`quant.mjs: wrote ${base}.{json,md,svg}`);
