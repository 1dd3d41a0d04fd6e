// The built package through its real ESM entry points, outside any test runner: run as
// `<runtime> entry.mjs <inputs.json>` (Node, Bun, or `deno run`) by runtimes/runtime.test.ts,
// which writes the inputs, checks every number printed here against its own float64
// reference and checks that the runtime named here is the one it started.
//
// Resolves `cosinekit`, `cosinekit/inline` and `cosinekit/pool` by package name (the runtime's
// own resolution of the package's export map), loads `cosinekit` a second time through
// `require` (the CJS build), and prints one JSON object: the runtime, the variant `init()` picked, and the
// results of cosine, cosineSimilarity, normalize, pairwiseCosine, topK (over a zero-copy
// WasmTensor corpus), quantize with int8 and binary codes and topK over them, a loss, and
// the worker pool's pairwiseCosine and topK beside the single-thread ones.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import * as cosinekit from 'cosinekit';
import * as inline from 'cosinekit/inline';
import { createPool } from 'cosinekit/pool';

/** The runtime executing this script, named by its own version objects. */
function runtime() {
  if (typeof globalThis.Deno === 'object') return { name: 'deno', version: globalThis.Deno.version.deno };
  if (typeof process.versions.bun === 'string') return { name: 'bun', version: process.versions.bun };
  return { name: 'node', version: process.versions.node };
}

const inputs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { depth, rows, queryRows, k, a, b, x, corpus, queries, targets, margin } = inputs;
const list = (values) => Array.from(values);

const info = await cosinekit.init();
const supported = Object.fromEntries(['relaxed', 'simd128', 'scalar'].map((variant) => [variant, cosinekit.isVariantSupported(variant)]));
const cjs = createRequire(import.meta.url)('cosinekit');
// cosinekit/inline (the modules embedded, no asset read) shares the default entry's instance;
// its own createInstanceSync compiles an embedded variant.
const inlineScalar = inline.createInstanceSync({ variant: 'scalar' });

const heapBefore = cosinekit.heapBytesInUse();
const tensor = cosinekit.alloc([rows, depth]);
tensor.data.set(corpus);
const heapWithTensor = cosinekit.heapBytesInUse();
// Zero-copy: views inside the tensor's own memory go to the kernel by pointer.
const viewCosine = cosinekit.cosine(tensor.data.subarray(0, depth), tensor.data.subarray(depth, 2 * depth));
const top = cosinekit.topK({ data: new Float32Array(queries), shape: [queryRows, depth] }, tensor, k);
const pairwise = cosinekit.pairwiseCosine({ data: new Float32Array(queries), shape: [queryRows, depth] }, tensor);
tensor.dispose();

const int8 = cosinekit.quantize({ data: new Float32Array(corpus), shape: [rows, depth] }, { dtype: 'int8' });
const int8Top = cosinekit.topK({ data: new Float32Array(queries), shape: [queryRows, depth] }, int8, k);
const binary = cosinekit.quantize({ data: new Float32Array(corpus), shape: [rows, depth] }, { dtype: 'binary' });
const binaryTop = cosinekit.topK({ data: new Float32Array(queries), shape: [queryRows, depth] }, binary, k);
const quantized = {
  int8: { dtype: int8.dtype, codes: list(int8.data), ranges: list(int8.ranges), indices: list(int8Top.indices), scores: list(int8Top.scores) },
  binary: { dtype: binary.dtype, codes: list(binary.data), indices: list(binaryTop.indices), scores: list(binaryTop.scores) },
};
int8.dispose();
binary.dispose();

const pool = await createPool({ threads: 2, parallelThreshold: 0 });
const poolPairwise = await pool.pairwiseCosine({ data: new Float32Array(queries), shape: [queryRows, depth] }, { data: new Float32Array(corpus), shape: [rows, depth] });
const poolTop = await pool.topK({ data: new Float32Array(queries), shape: [queryRows, depth] }, { data: new Float32Array(corpus), shape: [rows, depth] }, k);
await pool.destroy();

const similarity = cosinekit.cosineSimilarity({ data: new Float32Array(x), shape: [queryRows, depth] }, { data: new Float32Array(a), shape: [1, depth] });
const unit = cosinekit.normalize({ data: new Float32Array(x), shape: [queryRows, depth] });
const loss = cosinekit.cosineEmbeddingLoss(
  { data: new Float32Array(queries), shape: [queryRows, depth] },
  { data: new Float32Array(x), shape: [queryRows, depth] },
  targets,
  { margin },
);

console.log(
  JSON.stringify({
    entry: 'esm',
    runtime: runtime(),
    info,
    supported,
    cjsSharesInit: cjs.initSync() === info && cjs.backendInfo().variant === info.variant,
    inlineSharesInit: inline.initSync() === info && inline.cosine === cosinekit.cosine,
    inlineScalar: { variant: inlineScalar.backendInfo().variant, cosine: inlineScalar.cosine(new Float32Array(a), new Float32Array(b)) },
    cosine: cosinekit.cosine(new Float32Array(a), new Float32Array(b)),
    cosineNumbers: cosinekit.cosine(a, b),
    similarity: { data: list(similarity.data), shape: similarity.shape },
    normalize: { data: list(unit.data), shape: unit.shape },
    pairwise: { data: list(pairwise.data), shape: pairwise.shape },
    topK: { indices: list(top.indices), scores: list(top.scores), shape: top.shape },
    zeroCopy: { viewCosine, heapBefore, heapWithTensor, heapAfter: cosinekit.heapBytesInUse() },
    quantized,
    loss,
    pool: { pairwise: list(poolPairwise.data), indices: list(poolTop.indices), scores: list(poolTop.scores) },
  }),
);
