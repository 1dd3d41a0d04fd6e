// The built package loads in plain Node, as ESM and as CJS, outside the test runner.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

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

/**
 * Under Deno these tests are skipped: they start processes with Node's CLI flags
 * (`--input-type=module -e`), which Deno's CLI does not take, and Deno's node:fs
 * `promises.readFile` re-enters the patched function through a FileHandle (a second call with a
 * file descriptor), so one read counts twice. runtimes/runtime.test.ts runs the default and
 * inline entries with `deno run` instead.
 */
const underDeno = 'Deno' in globalThis;

/** Node's fs, patched before the package loads, records every file read of a .wasm. */
const recordReads = `import fs from 'node:fs';
const wasmReads = [];
const record = (path) => { if (String(path).endsWith('.wasm')) wasmReads.push(String(path).replace(/^.*[\\\\/]/, '')); };
const readFile = fs.promises.readFile;
fs.promises.readFile = function (path, ...rest) { record(path); return readFile.call(this, path, ...rest); };
const readFileSync = fs.readFileSync;
fs.readFileSync = function (path, ...rest) { record(path); return readFileSync.call(this, path, ...rest); };
`;

describe('the default entry reads only the variant it chose, as a .wasm file next to it', () => {
  test.skipIf(underDeno)('ESM init(): one file read, the chosen variant', () => {
    const result = run([
      '--input-type=module',
      '-e',
      `${recordReads}const { init, createInstance } = await import('cosinekit');
       const info = await init(); await createInstance(); // the same variant again: compiled once, read once
       console.log(JSON.stringify({ variant: info.variant, wasmReads }));`,
    ]) as { variant: string; wasmReads: string[] };
    expect(result.variant).toBe(expectedAuto);
    expect(result.wasmReads).toEqual([`cosinekit-${expectedAuto}.wasm`]);
  });

  test.skipIf(underDeno)('ESM initSync({ variant }): a synchronous read of that variant only', () => {
    const result = run([
      '--input-type=module',
      '-e',
      `${recordReads}const { initSync, cosine } = await import('cosinekit');
       const info = initSync({ variant: 'scalar' });
       console.log(JSON.stringify({ variant: info.variant, wasmReads, cos: cosine([3, 4], [4, 3]) }));`,
    ]) as { variant: string; wasmReads: string[]; cos: number };
    expect(result).toMatchObject({ variant: 'scalar', wasmReads: ['cosinekit-scalar.wasm'] });
    expect(Math.abs(result.cos - 24 / 25)).toBeLessThanOrEqual(1e-6);
  });

  test.skipIf(underDeno)('CJS await init(): the asset next to dist/index.cjs', () => {
    const output = execFileSync(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const reads = []; const readFile = fs.promises.readFile;
         fs.promises.readFile = function (path, ...rest) { reads.push(String(path)); return readFile.call(this, path, ...rest); };
         require('cosinekit').init().then((info) => console.log(JSON.stringify({ variant: info.variant, reads })));`,
      ],
      { cwd: here, encoding: 'utf8' },
    );
    const result = JSON.parse(output) as { variant: string; reads: string[] };
    expect(result.variant).toBe(expectedAuto);
    expect(result.reads).toHaveLength(1);
    expect(result.reads[0]).toMatch(new RegExp(`packages[\\\\/]cosinekit[\\\\/]dist[\\\\/]cosinekit-${expectedAuto}\\.wasm$`));
  });
});

describe('cosinekit/inline: the same API, no asset', () => {
  test.skipIf(underDeno)('ESM init() and initSync() read no .wasm file', () => {
    const result = run([
      '--input-type=module',
      '-e',
      `${recordReads}const inline = await import('cosinekit/inline');
       const main = await import('cosinekit');
       const info = await inline.init();
       const kit = inline.createInstanceSync({ variant: 'scalar' });
       const r = main.cosineSimilarity({ data: [3, 4], shape: [1, 2] }, { data: [4, 3], shape: [1, 2] });
       console.log(JSON.stringify({ variant: info.variant, scalar: kit.backendInfo().variant, wasmReads, shared: main.cosine === inline.cosine && main.WasmTensor === inline.WasmTensor, same: main.initSync() === info, cos: r.data[0],
         names: Object.keys(inline).sort().join() === Object.keys(main).sort().join() }));`,
    ]) as { variant: string; scalar: string; wasmReads: string[]; shared: boolean; same: boolean; cos: number; names: boolean };
    expect(result).toMatchObject({ variant: expectedAuto, scalar: 'scalar', wasmReads: [], shared: true, same: true, names: true });
    expect(Math.abs(result.cos - 24 / 25)).toBeLessThanOrEqual(1e-6);
  });

  test('CJS require: initSync works', () => {
    const output = execFileSync(
      process.execPath,
      ['-e', `const { initSync, normalize } = require('cosinekit/inline'); const info = initSync(); console.log(JSON.stringify({ variant: info.variant, data: Array.from(normalize({ data: [3, 4], shape: [1, 2] }).data) }));`],
      { cwd: here, encoding: 'utf8' },
    );
    const result = JSON.parse(output) as { variant: string; data: number[] };
    expect(result.variant).toBe(expectedAuto);
    expect(Math.abs(result.data[0]! - 0.6)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(result.data[1]! - 0.8)).toBeLessThanOrEqual(1e-6);
  });
});
