// The built package through its CJS entry points (`require('cosinekit')`,
// `require('cosinekit/inline')`, `require('cosinekit/pool')`, which starts workers from
// dist/pool-worker.cjs), outside any
// test runner: `<runtime> entry.cjs <inputs.json>`, checked by runtimes/runtime.test.ts like
// entry.mjs. Synchronous init (`initSync`), then normalize, cosineSimilarity, topK and the
// pool's pairwiseCosine; prints one JSON object.

const { readFileSync } = require('node:fs');
const process = require('node:process');
const cosinekit = require('cosinekit');
const { createPool } = require('cosinekit/pool');

function runtime() {
  if (typeof globalThis.Deno === 'object') return { name: 'deno', version: globalThis.Deno.version.deno };
  if (typeof process.versions.bun === 'string') return { name: 'bun', version: process.versions.bun };
  return { name: 'node', version: process.versions.node };
}

async function main() {
  const { depth, rows, queryRows, k, a, x, corpus, queries } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const info = cosinekit.initSync();
  const unit = cosinekit.normalize({ data: new Float32Array(x), shape: [queryRows, depth] });
  const similarity = cosinekit.cosineSimilarity({ data: x, shape: [queryRows, depth] }, { data: a, shape: [1, depth] });
  const top = cosinekit.topK({ data: new Float32Array(queries), shape: [queryRows, depth] }, { data: new Float32Array(corpus), shape: [rows, depth] }, k);
  const pool = await createPool({ threads: 2, parallelThreshold: 0 });
  const poolPairwise = await pool.pairwiseCosine({ data: new Float32Array(queries), shape: [queryRows, depth] }, { data: new Float32Array(corpus), shape: [rows, depth] });
  await pool.destroy();
  console.log(
    JSON.stringify({
      entry: 'cjs',
      runtime: runtime(),
      info,
      inlineSharesInit: require('cosinekit/inline').initSync() === info,
      normalize: { data: Array.from(unit.data), shape: unit.shape },
      similarity: { data: Array.from(similarity.data), shape: similarity.shape },
      topK: { indices: Array.from(top.indices), scores: Array.from(top.scores), shape: top.shape },
      pool: { pairwise: Array.from(poolPairwise.data), shape: poolPairwise.shape },
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
