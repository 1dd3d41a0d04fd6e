// The worker pool against the calling thread, in one process: cosinekit's single-thread
// pairwiseCosine / topK (createInstanceSync) and the same calls on createPool({ threads })
// for several thread counts, timed in interleaved rounds; then a size sweep that finds where
// the pool stops being slower than one thread (the fallback threshold, `parallelThreshold`).
// Every pool result is checked bitwise against the single-thread result before it is timed.
//
//   node pool.mjs [--quick] [--only=pairwise,topk,sweep] [--rounds=N] [--threads=1,2,3,4] [--variant=simd128] [--no-sweep] [--json=PATH]
//
//   --quick       smoke run: small sizes, 2 rounds, short sweep (every result still checked)
//   --only=…      run only these parts: pairwise, topk, sweep (default: all three)
//   --rounds=N    timed rounds per contender (default 5; topK default 3)
//   --threads=…   pool sizes to time (default 1,2,3,4)
//   --variant=…   wasm build for every contender (default: what `auto` picks)
//   --no-sweep    skip the size sweep
//   --json=PATH   also write every number as JSON
//
// Sweep: per size, the fastest of 7 interleaved batches of each contender (µs per call).
// Units: GFLOP/s = 2·N·M·D (pairwise) or 2·Q·N·D (topK) flops / seconds per call / 1e9.
// Speedup = single-thread median seconds / pool median seconds, both from this run; paired
// speedup = the median over rounds of (that round's single-thread time / pool time).

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createInstanceSync } from 'cosinekit';
import { createPool } from 'cosinekit/pool';

// ───────────────────────────── options ─────────────────────────────

const options = { quick: false, rounds: null, threads: [1, 2, 3, 4], variant: 'auto', sweep: true, json: null, only: ['pairwise', 'topk', 'sweep'] };
for (const argument of process.argv.slice(2)) {
  const [name, value = ''] = argument.split('=');
  if (name === '--quick') options.quick = true;
  else if (name === '--rounds') options.rounds = Number(value);
  else if (name === '--threads') options.threads = value.split(',').map(Number);
  else if (name === '--variant') options.variant = value;
  else if (name === '--no-sweep') options.sweep = false;
  else if (name === '--only') options.only = value.split(',');
  else if (name === '--json') options.json = value;
  else {
    console.error(`pool.mjs: unknown argument ${argument}`);
    process.exit(2);
  }
}
if (options.threads.some((count) => !Number.isInteger(count) || count < 1)) {
  console.error('pool.mjs: --threads takes positive integers, e.g. --threads=1,2,4');
  process.exit(2);
}

// ───────────────────────────── helpers ─────────────────────────────

/** Deterministic uniform values in [-1, 1) (xorshift32). */
function values(count, seed) {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < count; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[index] = state / 2 ** 31 - 1;
  }
  return out;
}

const median = (list) => {
  const sorted = [...list].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function sameBits(left, right) {
  if (left.length !== right.length) return false;
  const a = new Uint32Array(left.buffer, left.byteOffset, left.length);
  const b = new Uint32Array(right.buffer, right.byteOffset, right.length);
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function checkSame(label, got, want) {
  const same = want.indices === undefined ? sameBits(got.data, want.data) : sameBits(got.indices, want.indices) && sameBits(got.scores, want.scores);
  if (!same) {
    console.error(`MISMATCH: ${label} differs from the single-thread result`);
    process.exitCode = 1;
  }
}

const seconds = async (call) => {
  const start = performance.now();
  await call();
  return (performance.now() - start) / 1000;
};

const format = (value, digits = 1) => value.toFixed(digits);
const loadLine = () => os.loadavg().map((load) => load.toFixed(2)).join(' ');

function table(headers, rows) {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells) => `| ${cells.map((cell, column) => String(cell).padEnd(widths[column])).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * How many cores this process can really use right now: a pure-JS loop timed on one worker
 * thread, then on two at once (2 = both cores free; about 1 = another process holds one).
 * Printed next to every result, since other processes on a shared machine change it.
 */
async function coreScaling() {
  const code = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (count) => { let x = 0; for (let i = 0; i < count; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x); });`;
  const threads = [new Worker(code, { eval: true }), new Worker(code, { eval: true })];
  const run = (thread, count) => new Promise((resolve) => {
    thread.once('message', resolve);
    thread.postMessage(count);
  });
  const count = 2e7;
  await Promise.all(threads.map((thread) => run(thread, count)));
  let best = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const one = await seconds(() => run(threads[0], count));
    const two = await seconds(() => Promise.all(threads.map((thread) => run(thread, count))));
    best = Math.max(best, (2 * one) / two);
  }
  await Promise.all(threads.map((thread) => thread.terminate()));
  return best;
}

/**
 * The machine's own limit for this kernel: pairwiseCosine on data already in each thread's
 * wasm memory (no pool, no copies, no messages), all rows on one worker thread versus half
 * the rows on each of two at once. Returns the per-round ratios (one thread / two threads).
 */
async function bareKernelScaling(n, m, d, rounds, variant) {
  const packageUrl = import.meta.resolve('cosinekit');
  const code = `
    const { parentPort } = require('node:worker_threads');
    let kit, a, b, out;
    parentPort.on('message', async (message) => {
      if (message.rows !== undefined) {
        const { createInstanceSync } = await import(${JSON.stringify(packageUrl)});
        kit = createInstanceSync({ variant: ${JSON.stringify(variant)} });
        a = kit.alloc([message.rows, ${d}]);
        b = kit.alloc([${m}, ${d}]);
        out = kit.alloc([message.rows, ${m}]);
        a.data.fill(0.5); b.data.fill(0.25);
        for (let index = 0; index < a.data.length; index += 7) a.data[index] = -1;
        parentPort.postMessage('ready');
        return;
      }
      const start = performance.now();
      kit.pairwiseCosine(a, b, { out });
      parentPort.postMessage(performance.now() - start);
    });`;
  const start = (rows) =>
    new Promise((resolve) => {
      const thread = new Worker(code, { eval: true });
      thread.once('message', () => resolve(thread));
      thread.postMessage({ rows });
    });
  const run = (thread) => new Promise((resolve) => {
    thread.once('message', resolve);
    thread.postMessage({});
  });
  const whole = await start(n);
  const halves = [await start(Math.ceil(n / 2)), await start(Math.floor(n / 2))];
  await run(whole);
  await Promise.all(halves.map(run));
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const one = await seconds(() => run(whole));
    const two = await seconds(() => Promise.all(halves.map(run)));
    ratios.push(one / two);
  }
  await Promise.all([whole, ...halves].map((thread) => thread.terminate()));
  return ratios;
}

// ───────────────────────────── set-up ─────────────────────────────

const cpus = os.cpus();
const environment = {
  date: new Date().toISOString(),
  cpu: cpus[0]?.model?.trim() ?? 'unknown CPU',
  logicalCores: cpus.length,
  availableParallelism: os.availableParallelism?.() ?? cpus.length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  v8: process.versions.v8,
  loadAverageAtStart: loadLine(),
};
const single = createInstanceSync({ variant: options.variant });
const variant = single.backendInfo().variant;
console.log(`cosinekit pool benchmark (${options.quick ? 'quick' : 'full'}), variant ${variant}`);
console.log(`${environment.cpu}, ${environment.logicalCores} logical cores, ${environment.memoryGiB} GiB, Node ${environment.node} (V8 ${environment.v8}), ${environment.date}`);
console.log(`load average (1, 5, 15 min) at start: ${environment.loadAverageAtStart}${os.loadavg()[0] > 0.5 ? '  ← other processes are using the CPUs: ratios are less reliable' : ''}`);
environment.coreScalingAtStart = await coreScaling();
console.log(`core check: two pure-JS threads run ${environment.coreScalingAtStart.toFixed(2)}× as fast as one (2.00 = both cores free)`);

const pools = new Map();
for (const threads of options.threads) pools.set(threads, await createPool({ threads, variant, parallelThreshold: 0 }));

// ───────────────────────────── the two headline workloads ─────────────────────────────

/**
 * Times `single` and every pool's call in interleaved rounds (each round starts with a
 * different contender), after one checked warm-up call each. Returns rows of results.
 */
async function compare(name, flops, rounds, singleCall, poolCalls) {
  console.log(`\n${name}: warming up and checking results…`);
  const scalingBefore = await coreScaling();
  const expected = singleCall();
  const contenders = [{ label: 'single thread', threads: 1, call: async () => singleCall() }];
  for (const [label, threads, call] of poolCalls) {
    checkSame(label, await call(), expected);
    contenders.push({ label, threads, call });
  }
  const times = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < contenders.length; step++) {
      const index = (round + step) % contenders.length;
      times[index].push(await seconds(contenders[index].call));
    }
    process.stdout.write(`  round ${round + 1}/${rounds} done (load ${loadLine()})\n`);
  }
  const scalingAfter = await coreScaling();
  console.log(`core check before / after: ${scalingBefore.toFixed(2)}× / ${scalingAfter.toFixed(2)}× (2.00 = both cores free)`);
  const base = median(times[0]);
  const rows = contenders.map((contender, index) => {
    const typical = median(times[index]);
    // Each round's single-thread time over this contender's, from the same round: a slow
    // spell of a shared machine then affects both sides of a ratio alike.
    const paired = median(times[index].map((time, round) => times[0][round] / time));
    return {
      contender: contender.label,
      threads: contender.threads,
      medianMs: typical * 1000,
      minMs: Math.min(...times[index]) * 1000,
      maxMs: Math.max(...times[index]) * 1000,
      gflops: flops / typical / 1e9,
      speedup: base / typical,
      pairedSpeedup: paired,
      efficiency: base / typical / contender.threads,
    };
  });
  console.log(
    table(
      ['contender', 'median ms', 'min ms', 'max ms', 'GFLOP/s', 'speedup', 'paired speedup', 'per thread'],
      rows.map((row) => [
        row.contender,
        format(row.medianMs),
        format(row.minMs),
        format(row.maxMs),
        format(row.gflops),
        `${format(row.speedup, 2)}×`,
        `${format(row.pairedSpeedup, 2)}×`,
        format(row.efficiency, 2),
      ]),
    ),
  );
  return { name, flops, rounds, coreScaling: [scalingBefore, scalingAfter], rows };
}

const results = { environment, variant, workloads: [], sweeps: [] };

if (options.only.includes('pairwise')) {
  const [n, m, d] = options.quick ? [512, 512, 256] : [2048, 2048, 768];
  const a = { data: values(n * d, 1), shape: [n, d] };
  const b = { data: values(m * d, 2), shape: [m, d] };
  const poolCalls = [...pools].map(([threads, pool]) => [`pool, ${threads} thread${threads > 1 ? 's' : ''}`, threads, () => pool.pairwiseCosine(a, b)]);
  const rounds = options.rounds ?? (options.quick ? 2 : 9);
  const workload = await compare(`pairwise ${n}×${m}, D = ${d}`, 2 * n * m * d, rounds, () => single.pairwiseCosine(a, b), poolCalls);
  // What this machine allows at all: the bare kernel on two threads, nothing else.
  const bare = await bareKernelScaling(n, m, d, rounds, variant);
  workload.bareKernelScaling = bare;
  console.log(
    `machine limit: the bare kernel (data already in wasm memory, no pool) on 2 threads runs ${format(median(bare), 2)}× as fast as on 1 ` +
      `(median of ${bare.length} rounds; min ${format(Math.min(...bare), 2)}×, max ${format(Math.max(...bare), 2)}×)`,
  );
  results.workloads.push(workload);
}

if (options.only.includes('topk')) {
  const [q, n, d, k] = options.quick ? [200, 10_000, 128, 10] : [2000, 100_000, 384, 10];
  const queries = { data: values(q * d, 3), shape: [q, d] };
  const corpus = { data: values(n * d, 4), shape: [n, d] };
  const poolCalls = [...pools].map(([threads, pool]) => [`pool, ${threads} thread${threads > 1 ? 's' : ''}`, threads, () => pool.topK(queries, corpus, k)]);
  // The corpus sent once (setCorpus) and reused: the copies into the workers leave the timing.
  const handles = [];
  for (const [threads, pool] of pools) {
    if (threads !== 2) continue;
    const handle = pool.setCorpus(corpus);
    await handle.ready;
    handles.push(handle);
    poolCalls.push([`pool, ${threads} threads, corpus handle`, threads, () => pool.topK(queries, handle, k)]);
  }
  results.workloads.push(
    await compare(`topK Q = ${q} over N = ${n}, D = ${d}, k = ${k}`, 2 * q * n * d, options.rounds ?? (options.quick ? 2 : 3), () => single.topK(queries, corpus, k), poolCalls),
  );
  for (const handle of handles) handle.release();
}

// ───────────────────────────── the fallback threshold ─────────────────────────────

/**
 * Seconds per call of each contender at one size: calls repeated for at least `batchSeconds`
 * per batch, batches interleaved; the fastest batch of each (on a shared machine the slow
 * batches measure the other processes, and they hit one contender or the other at random).
 */
async function perCall(calls, batches, batchSeconds) {
  const times = calls.map(() => []);
  for (const call of calls) for (let warm = 0; warm < 3; warm++) await call();
  for (let batch = 0; batch < batches; batch++) {
    for (let step = 0; step < calls.length; step++) {
      const index = (batch + step) % calls.length;
      let count = 0;
      const start = performance.now();
      do {
        await calls[index]();
        count++;
      } while (performance.now() - start < batchSeconds * 1000);
      times[index].push((performance.now() - start) / 1000 / count);
    }
  }
  return times.map((list) => Math.min(...list));
}

async function sweep(name, sizes, makeCalls) {
  const threads = 2;
  const workers = await createPool({ threads, variant, parallelThreshold: 0 });
  const defaults = await createPool({ threads, variant });
  const defaultThreshold = defaults.parallelThreshold;
  results.defaultThreshold = defaultThreshold;
  const rows = [];
  for (const size of sizes) {
    const { work, label, singleCall, poolCall, defaultCall } = makeCalls(size, workers, defaults);
    const [singleSeconds, poolSeconds, defaultSeconds] = await perCall([singleCall, poolCall, defaultCall], options.quick ? 3 : 7, options.quick ? 0.02 : 0.05);
    rows.push({ label, work, singleUs: singleSeconds * 1e6, poolUs: poolSeconds * 1e6, defaultUs: defaultSeconds * 1e6 });
  }
  await workers.destroy();
  await defaults.destroy();
  // The crossover: the smallest work from which on the pool is never slower than one thread.
  let crossover = null;
  for (let index = rows.length - 1; index >= 0 && rows[index].poolUs <= rows[index].singleUs; index--) crossover = rows[index].work;
  console.log(`\nsweep: ${name} (single thread vs ${threads} workers; "default" = a pool with the default parallelThreshold, ${defaultThreshold})`);
  console.log(
    table(
      ['size', 'multiply-adds', 'single µs', `pool(${threads}) µs`, 'pool / single', 'default µs', 'default / single'],
      rows.map((row) => [row.label, row.work, format(row.singleUs), format(row.poolUs), format(row.poolUs / row.singleUs, 2), format(row.defaultUs), format(row.defaultUs / row.singleUs, 2)]),
    ),
  );
  console.log(`crossover: pool(${threads}) is faster from ${crossover === null ? 'no size in this sweep' : `${crossover} multiply-adds (≈ 2^${Math.log2(crossover).toFixed(1)})`}`);
  return { name, threads, rows, crossover };
}

if (options.sweep && options.only.includes('sweep')) {
  const depth = 128;
  const pairwiseSizes = options.quick ? [16, 64, 128, 256] : [8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 320, 384, 512];
  results.sweeps.push(
    await sweep(`pairwise n×n, D = ${depth}`, pairwiseSizes, (n, workers, defaults) => {
      const a = { data: values(n * depth, 5 + n), shape: [n, depth] };
      const b = { data: values(n * depth, 6 + n), shape: [n, depth] };
      return {
        work: n * n * depth,
        label: `${n}×${n}`,
        singleCall: async () => single.pairwiseCosine(a, b),
        poolCall: () => workers.pairwiseCosine(a, b),
        defaultCall: () => defaults.pairwiseCosine(a, b),
      };
    }),
  );
  const topKSizes = options.quick ? [256, 1024, 4096] : [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
  results.sweeps.push(
    await sweep(`topK Q = 64 over N, D = ${depth}, k = 10`, topKSizes, (n, workers, defaults) => {
      const queries = { data: values(64 * depth, 7 + n), shape: [64, depth] };
      const corpus = { data: values(n * depth, 8 + n), shape: [n, depth] };
      return {
        work: 64 * n * depth,
        label: `64 × ${n}`,
        singleCall: async () => single.topK(queries, corpus, 10),
        poolCall: () => workers.topK(queries, corpus, 10),
        defaultCall: () => defaults.topK(queries, corpus, 10),
      };
    }),
  );
  const found = results.sweeps.map((entry) => entry.crossover).filter((value) => value !== null);
  if (found.length > 0) {
    const suggested = 2 ** Math.ceil(Math.log2(Math.max(...found)));
    console.log(`\nsuggested parallelThreshold (largest crossover, next power of 2): ${suggested} = 2^${Math.log2(suggested)}; the package default is ${results.defaultThreshold} = 2^${Math.log2(results.defaultThreshold)}`);
    results.suggestedThreshold = suggested;
  }
}

for (const pool of pools.values()) await pool.destroy();
results.environment.loadAverageAtEnd = loadLine();
console.log(`\nload average at end: ${results.environment.loadAverageAtEnd}`);
if (options.json) {
  writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${options.json}`);
}
