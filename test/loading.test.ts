// The built package loads in plain Node, as ESM and as CJS, outside the test runner.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const nodeMajor = Number(process.versions.node.split('.')[0]);
const expectedAuto = nodeMajor >= 22 ? 'relaxed' : 'simd128';

function run(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: here, encoding: 'utf8' }));
}

const program = `const info = await init(); const again = await init({ variant: 'scalar' });
const r = cosineSimilarity({ data: [3, 4, 4, 3], shape: [2, 2] }, { data: [3, 4, 3, 4], shape: [2, 2] });
const same = again === info && initSync() === info && Object.isFrozen(info);
console.log(JSON.stringify({ info, again, same, shape: r.shape, data: Array.from(r.data) }));`;

// Node's CLI flags (`--input-type=module -e`); under Deno, runtimes/runtime.test.ts imports
// the package by name from a file run with `deno run` instead.
test.skipIf('Deno' in globalThis)('ESM import of dist/index.js', () => {
  const result = run(['--input-type=module', '-e', `import { init, initSync, cosineSimilarity } from 'cosinekit';\n${program}`]) as {
    info: { variant: string };
    again: { variant: string };
    same: boolean;
    shape: number[];
    data: number[];
  };
  expect(result.info.variant).toBe(expectedAuto);
  expect(result.again.variant).toBe(expectedAuto);
  expect(result.same).toBe(true); // a second init returns the first result itself
  expect(result.shape).toEqual([2]);
  expect(result.data[0]).toBeCloseTo(1, 6);
  expect(result.data[1]).toBeCloseTo(24 / 25, 6);
});

test('CJS require of dist/index.cjs, initSync', () => {
  const result = run([
    '-e',
    `const { initSync, normalize, backendInfo } = require('cosinekit');
     const info = initSync({ variant: 'scalar' });
     const n = normalize({ data: [3, 4], shape: [1, 2] });
     const same = initSync() === info;
     console.log(JSON.stringify({ info, after: backendInfo(), same, data: Array.from(n.data) }));`,
  ]) as { info: { variant: string }; after: { variant: string }; same: boolean; data: number[] };
  expect(result.info.variant).toBe('scalar');
  expect(result.same).toBe(true);
  expect(result.after.variant).toBe('scalar');
  expect(result.data[0]).toBeCloseTo(0.6, 6);
});

// Node 22 and later run relaxed-simd without the flag, and refuse it as an unknown option.
test.skipIf(nodeMajor >= 22)('relaxed-simd under --experimental-wasm-relaxed-simd (Node 20)', () => {
  const result = run(['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', `import { init } from 'cosinekit'; console.log(JSON.stringify(await init()));`]) as {
    variant: string;
  };
  expect(result.variant).toBe('relaxed');
});

test('calling before init says to call init()', () => {
  const output = execFileSync(
    process.execPath,
    ['-e', `try { require('cosinekit').cosineSimilarity({ data: [1], shape: [1] }, { data: [1], shape: [1] }) } catch (e) { console.log(e.message) }`],
    { cwd: here, encoding: 'utf8' },
  );
  expect(output).toMatch(/call `await init\(\)`.*before cosineSimilarity\(\)/);
});
