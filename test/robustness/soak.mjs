#!/usr/bin/env node
// Soak: 1,000,000 mixed calls (see mix.mjs) in one process, sampling WASM memory, the WASM
// heap in use, process RSS and the JS heap every 50,000 calls, and printing a table.
// Verdict: WASM memory and heapBytesInUse must be exactly flat after the warm-up (the first
// sample); the exit code is 1 if either grew. RSS is reported, not judged (V8's own
// heuristics move it), but its growth after warm-up is printed.
//
//   node test/robustness/soak.mjs [--calls 1000000] [--every 50000] [--variant auto|relaxed|simd128|scalar]
//   node --expose-gc test/robustness/soak.mjs   # collect garbage before each sample: steadier RSS

import { createInstanceSync } from 'cosinekit';
import { createMix } from './mix.mjs';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const calls = Number(option('calls', 1_000_000));
const every = Number(option('every', 50_000));
const variant = option('variant', 'auto');
const collect = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const mebibytes = (bytes) => (bytes / 2 ** 20).toFixed(1);

const api = createInstanceSync({ variant });
const mix = createMix(api);
const rows = [];
const started = performance.now();
let checksum = 0;

function sample(done) {
  collect();
  const { rss, heapUsed } = process.memoryUsage();
  rows.push({
    calls: done,
    wasmBytes: api.backendInfo().memoryBytes,
    heapInUse: api.heapBytesInUse(),
    rss,
    jsHeap: heapUsed,
    seconds: (performance.now() - started) / 1000,
  });
}

sample(0);
for (let index = 0; index < calls; index++) {
  checksum = mix.step(index);
  if ((index + 1) % every === 0) sample(index + 1);
}
mix.dispose();

console.log(`cosinekit soak: ${calls} mixed calls, variant ${api.backendInfo().variant}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`(checksum ${checksum.toFixed(3)}; gc before samples: ${typeof globalThis.gc === 'function' ? 'yes' : 'no, run with --expose-gc for steadier RSS'})\n`);
console.log('| calls | WASM memory (MiB) | WASM heap in use (B) | RSS (MiB) | JS heap (MiB) | elapsed (s) |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.calls} | ${mebibytes(row.wasmBytes)} | ${row.heapInUse} | ${mebibytes(row.rss)} | ${mebibytes(row.jsHeap)} | ${row.seconds.toFixed(1)} |`);
}

// Warm-up: up to the first sample after the start (scratch grows to its working size there).
const settled = rows.slice(1);
const wasmFlat = settled.every((row) => row.wasmBytes === settled[0].wasmBytes);
const heapFlat = settled.every((row) => row.heapInUse === settled[0].heapInUse);
const rssValues = settled.map((row) => row.rss);
const rssGrowth = rssValues[rssValues.length - 1] - rssValues[0];
const rssSpread = Math.max(...rssValues) - Math.min(...rssValues);
console.log('');
console.log(`WASM memory after warm-up: ${wasmFlat ? 'flat' : 'GREW'} (${mebibytes(settled[0].wasmBytes)} MiB)`);
console.log(`WASM heap in use after warm-up: ${heapFlat ? 'flat' : 'GREW'} (${settled[0].heapInUse} bytes)`);
console.log(`RSS after warm-up: first→last ${rssGrowth >= 0 ? '+' : ''}${mebibytes(rssGrowth)} MiB, spread ${mebibytes(rssSpread)} MiB`);
process.exitCode = wasmFlat && heapFlat ? 0 : 1;
