// Two builds of the same variant side by side in one process: e.g. the module as rustc wrote
// it against the module after wasm-opt (scripts/build-wasm.sh), loaded with
// createInstance({ wasm }) and timed in interleaved rounds (lib/measure.mjs) on a few
// representative calls. Prints the median time of each and the ratio; every result of the
// second build is checked against the first (within 1e-5: wasm-opt must not change numerics
// beyond float reassociation, which -O3 does not do). No assertion on time.
//   node bench/modules.mjs <first.wasm> <second.wasm> [--quick]
import { readFileSync } from 'node:fs';
import { createInstance } from 'cosinekit';
import { uniformFloats } from './lib/data.mjs';
import { describeEnvironment, environmentLine } from './lib/environment.mjs';
import { measureInterleaved, probeSeconds } from './lib/measure.mjs';

const [firstPath, secondPath] = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
if (!firstPath || !secondPath) {
  console.error('usage: node bench/modules.mjs <first.wasm> <second.wasm> [--quick]');
  process.exit(2);
}
const quick = process.argv.includes('--quick');
const timing = quick
  ? { warmSeconds: 0.05, warmCalls: 5, rounds: 5, slowRounds: 3, roundSeconds: 0.02 }
  : { warmSeconds: 0.3, warmCalls: 20, rounds: 31, slowRounds: 9, roundSeconds: 0.15 };
const first = await createInstance({ wasm: readFileSync(firstPath) });
const second = await createInstance({ wasm: readFileSync(secondPath) });
if (first.backendInfo().variant !== second.backendInfo().variant) {
  console.error(`modules: ${firstPath} holds ${first.backendInfo().variant}, ${secondPath} holds ${second.backendInfo().variant}`);
  process.exit(2);
}

const tensor = (seed, rows, depth) => ({ data: uniformFloats(seed, rows * depth), shape: [rows, depth] });
const queries = tensor(1, 64, 384);
const corpus = tensor(2, 4096, 384);
const pairA = uniformFloats(3, 768);
const pairB = uniformFloats(4, 768);
const batch = tensor(5, 256, 128);
const workloads = [
  { name: 'cosine, one pair, D = 768', run: (kit) => kit.cosine(pairA, pairB) },
  { name: 'cosineSimilarity, 4096 rows × 384', run: (kit) => kit.cosineSimilarity(corpus, corpus).data },
  { name: 'pairwiseCosine 64 × 4096 × 384', run: (kit) => kit.pairwiseCosine(queries, corpus).data },
  { name: 'topK k = 10, 64 queries over 4096 × 384', run: (kit) => kit.topK(queries, corpus, 10).scores },
  { name: 'infoNCE with gradient, 256 × 128', run: (kit) => kit.infoNCE(batch, { grad: true }).grad.data },
];

console.log(environmentLine(describeEnvironment(new URL('.', import.meta.url).pathname)));
console.log(`variant ${first.backendInfo().variant}: A = ${firstPath}, B = ${secondPath}${quick ? ' (quick)' : ''}`);
let failures = 0;
for (const workload of workloads) {
  const expected = workload.run(first);
  const actual = workload.run(second);
  const values = typeof expected === 'number' ? [[expected, actual]] : Array.from(expected, (value, index) => [value, actual[index]]);
  const worst = values.reduce((most, [left, right]) => Math.max(most, Math.abs(left - right)), 0);
  if (!(worst <= 1e-5)) {
    failures++;
    console.error(`  ${workload.name}: B differs from A by ${worst}`);
  }
  const entries = [first, second].map((kit) => {
    const call = () => workload.run(kit);
    return { call, firstCallSeconds: probeSeconds(call), budgetSeconds: timing.roundSeconds };
  });
  const [a, b] = measureInterleaved(entries, timing);
  console.log(
    `  ${workload.name.padEnd(42)} A ${(a.seconds * 1e6).toFixed(1).padStart(9)} µs  B ${(b.seconds * 1e6).toFixed(1).padStart(9)} µs  B/A ${(b.seconds / a.seconds).toFixed(3)}  (max |B − A| ${worst.toExponential(1)})`,
  );
}
process.exit(failures === 0 ? 0 : 1);
