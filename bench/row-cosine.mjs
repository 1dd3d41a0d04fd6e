// Row-wise cosine similarity, N pairs of D-dim rows: cosinekit (zero-copy WasmTensors and
// copy-in from JS arrays) against a fused pure-JS loop, in one process. Every contender's
// result is checked against a float64 reference before it is timed. Reports medians of
// several rounds as GFLOP/s (6·N·D flops per call) and as ratios to pure JS.
//   node row-cosine.mjs [--quick]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { alloc, backendInfo, cosineSimilarity, init } from 'cosinekit';

const quick = process.argv.includes('--quick');
const rows = quick ? 2000 : 10_000;
const length = 768;
const rounds = quick ? 3 : 9;

function randomRows(seed, count) {
  let state = seed >>> 0;
  const data = new Float32Array(count);
  for (let index = 0; index < count; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state / 2 ** 31 - 1;
  }
  return data;
}

/** The pure-JS contender: one fused pass per row, three accumulators. */
function cosineRowsJs(first, second, rowCount, rowLength, out) {
  for (let row = 0; row < rowCount; row++) {
    const base = row * rowLength;
    let dot = 0;
    let firstSquared = 0;
    let secondSquared = 0;
    for (let index = base; index < base + rowLength; index++) {
      const left = first[index];
      const right = second[index];
      dot += left * right;
      firstSquared += left * left;
      secondSquared += right * right;
    }
    out[row] = dot / (Math.max(Math.sqrt(firstSquared), 1e-8) * Math.max(Math.sqrt(secondSquared), 1e-8));
  }
  return out;
}

function referenceRows(first, second, rowCount, rowLength) {
  return cosineRowsJs(Float64Array.from(first), Float64Array.from(second), rowCount, rowLength, new Float64Array(rowCount));
}

function check(name, actual, expected) {
  let worst = 0;
  for (let index = 0; index < expected.length; index++) worst = Math.max(worst, Math.abs(actual[index] - expected[index]));
  if (!(worst <= 1e-5)) throw new Error(`${name}: max |error| ${worst} vs the float64 reference`);
  return worst;
}

function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median seconds per call: warm up (V8 tier-up), then `rounds` rounds of ≥ 50 ms each. */
function measure(call) {
  const warmUntil = performance.now() + (quick ? 100 : 400);
  let calls = 0;
  while (performance.now() < warmUntil || calls < 3) {
    call();
    calls++;
  }
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    let repetitions = 0;
    const start = performance.now();
    do {
      call();
      repetitions++;
    } while (performance.now() - start < 50);
    samples.push((performance.now() - start) / 1000 / repetitions);
  }
  return { seconds: median(samples), spread: (Math.max(...samples) - Math.min(...samples)) / median(samples) };
}

await init();
const first = randomRows(1, rows * length);
const second = randomRows(2, rows * length);
const reference = referenceRows(first, second, rows, length);
const flops = 6 * rows * length;

const jsOut = new Float32Array(rows);
const firstTensor = alloc([rows, length]);
const secondTensor = alloc([rows, length]);
const outTensor = alloc([rows]);
firstTensor.data.set(first);
secondTensor.data.set(second);
const copyInFirst = { data: first, shape: [rows, length] };
const copyInSecond = { data: second, shape: [rows, length] };

const contenders = [
  ['pure JS fused loop', () => cosineRowsJs(first, second, rows, length, jsOut)],
  ['cosinekit, zero-copy', () => cosineSimilarity(firstTensor, secondTensor, { out: outTensor }).data],
  ['cosinekit, copy-in', () => cosineSimilarity(copyInFirst, copyInSecond).data],
];

console.log(`row-wise cosine, N = ${rows}, D = ${length}${quick ? ' (quick)' : ''}; flops per call = 6·N·D = ${flops}`);
console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, Node ${process.version}, V8 ${process.versions.v8}, cosinekit ${backendInfo().variant}, ${new Date().toISOString()}`);
const results = [];
for (const [name, call] of contenders) {
  const error = check(name, call(), reference);
  const { seconds, spread } = measure(call);
  results.push({ name, seconds, spread, error });
}
const baseline = results[0].seconds;
for (const { name, seconds, spread, error } of results) {
  console.log(
    `${name.padEnd(24)} ${(seconds * 1e3).toFixed(3).padStart(9)} ms  ${(flops / seconds / 1e9).toFixed(2).padStart(6)} GFLOP/s  ` +
      `×${(baseline / seconds).toFixed(2).padStart(6)} vs pure JS  (spread ${(spread * 100).toFixed(0)}%, max error ${error.toExponential(1)})`,
  );
}
firstTensor.dispose();
secondTensor.dispose();
outTensor.dispose();
