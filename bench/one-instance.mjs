// `cosine(a, b)` on short Float32Arrays as a program with one cosinekit instance runs it:
// the shared instance only (`init()`), against the fused JS loop, in interleaved rounds of
// one process. run.mjs measures its contenders on several instances in one process (one per
// variant and a second for the zero-copy views); the package gives each of the first four
// instances that call `cosine` call sites of their own, so vectors of up to 8 elements go by
// value there too, but its driver loops and the package's other call sites see more than one
// instance. This shows a program with exactly one.
//
//   node one-instance.mjs [--d=1,3,8,16,64] [--rounds=15] [--json=PATH]
//   node --experimental-wasm-relaxed-simd one-instance.mjs   (Node 20: the relaxed variant)
//
// Every result is checked against a float64 reference before it is timed.

import { writeFileSync } from 'node:fs';
import * as cosinekit from 'cosinekit';
import { freshCopy, freshPairDriver } from './lib/call-sites.mjs';
import { describeEnvironment, environmentLine } from './lib/environment.mjs';
import { uniformFloats } from './lib/data.mjs';
import { cosinePairOptimised } from './lib/js-kernels.mjs';
import { median } from './lib/measure.mjs';
import { cosineRows64 } from './lib/reference.mjs';

const argument = (name, fallback) => process.argv.find((entry) => entry.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const lengths = argument('d', '1,3,8,16,64').split(',').map(Number);
const rounds = Number(argument('rounds', '15'));
const jsonPath = argument('json', null);
const PAIRS = 256;

const info = await cosinekit.init();

const environment = describeEnvironment(new URL('..', import.meta.url).pathname);
console.log(environmentLine(environment));
console.log(`cosine(a, b), one instance (${info.variant}), ${PAIRS} pairs per run, medians of ${rounds} interleaved rounds`);
const rows = [];
console.log('| D | fused JS loop | cosine | × the JS loop |');
console.log('|---|---|---|---|');
for (const length of lengths) {
  const firsts = Array.from({ length: PAIRS }, (_, pair) => uniformFloats(2 * pair + 1, length));
  const seconds = Array.from({ length: PAIRS }, (_, pair) => uniformFloats(2 * pair + 2, length));
  const loop = freshCopy(cosinePairOptimised, `js-${length}`, [firsts[0], seconds[0]]) ?? cosinePairOptimised;
  const contenders = [
    { name: 'js', pairCosine: loop },
    { name: 'cosine', pairCosine: cosinekit.cosine },
  ].map((contender) => {
    const drive = freshPairDriver(`${contender.name}-${length}`);
    const out = new Float64Array(PAIRS);
    drive(contender.pairCosine, firsts, seconds, out, 1);
    for (let pair = 0; pair < PAIRS; pair++) {
      const error = Math.abs(out[pair] - cosineRows64(firsts[pair], seconds[pair], 1, length, 1e-8)[0]);
      if (!(error <= 1e-5)) throw new Error(`${contender.name}, D = ${length}, pair ${pair}: ${out[pair]} is ${error} from the float64 reference`);
    }
    return { ...contender, drive, out, samples: [] };
  });
  const repeat = Math.max(1, Math.round(400_000 / PAIRS / Math.max(length, 4)));
  for (const contender of contenders) contender.drive(contender.pairCosine, firsts, seconds, contender.out, repeat * 20);
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < contenders.length; offset++) {
      const contender = contenders[(round + offset) % contenders.length];
      const start = performance.now();
      contender.drive(contender.pairCosine, firsts, seconds, contender.out, repeat);
      contender.samples.push(((performance.now() - start) * 1e6) / (repeat * PAIRS));
    }
  }
  const [js, kit] = contenders.map((contender) => median(contender.samples));
  console.log(`| ${length} | ${js.toFixed(1)} ns | ${kit.toFixed(1)} ns | ${(js / kit).toFixed(2)}× |`);
  rows.push({ D: length, jsLoopNs: js, cosineNs: kit, ratio: js / kit });
}
if (jsonPath !== null) writeFileSync(jsonPath, `${JSON.stringify({ environment, variant: info.variant, pairs: PAIRS, rounds, rows }, null, 2)}\n`);
