// Loading the npm peers. Each loader returns { module, version } or { reason } — a peer that
// cannot load here is reported with the reason, never silently dropped.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The installed version of a package (its package.json), or null. */
export function installedVersion(name) {
  try {
    const entry = require.resolve(name);
    let directory = path.dirname(entry);
    while (directory !== path.dirname(directory)) {
      const manifestPath = path.join(directory, 'package.json');
      try {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
        if (manifest.name === name) return manifest.version;
      } catch {
        // not here; go up
      }
      directory = path.dirname(directory);
    }
  } catch {
    // not installed
  }
  return null;
}

function reasonOf(error) {
  return String(error?.message ?? error).split('\n')[0];
}

export function loadComputeCosineSimilarity() {
  try {
    return { module: require('compute-cosine-similarity'), version: installedVersion('compute-cosine-similarity') };
  } catch (error) {
    return { reason: `compute-cosine-similarity did not load: ${reasonOf(error)}` };
  }
}

export async function loadMlDistance() {
  try {
    const module = await import('ml-distance');
    if (typeof module.similarity?.cosine !== 'function') return { reason: 'ml-distance has no similarity.cosine' };
    return { module, version: installedVersion('ml-distance') };
  } catch (error) {
    return { reason: `ml-distance did not load: ${reasonOf(error)}` };
  }
}

/**
 * simsimd is a native N-API addon (Node only): it loads a prebuilt binary shipped in the
 * npm package (prebuilds/<platform>-<arch>/) or one compiled at install time. When neither
 * loads, the package swaps in a pure-JS fallback with nothing but a console warning; that
 * fallback is not the native contender, so it is reported as unavailable. The CommonJS
 * entry is used: in this repository simsimd 6.5.5's ES-module entry takes the fallback even
 * where the prebuilt binary loads through the CommonJS one (1.19 µs vs 0.20 µs per call at
 * D = 768 on Node 20 here).
 */
export async function loadSimsimd() {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...parts) => warnings.push(parts.join(' '));
  let module;
  try {
    module = require('simsimd');
  } catch (error) {
    return { reason: `simsimd did not load: ${reasonOf(error)}` };
  } finally {
    console.warn = warn;
  }
  const fallback = warnings.find((warning) => /fallback/i.test(warning));
  if (fallback !== undefined) {
    return {
      reason:
        `simsimd's native N-API addon did not load on ${process.platform}-${process.arch}, Node ${process.version} (the package fell back to pure JS: "${fallback.trim()}"); ` +
        'it needs a prebuilt binary for this platform in the package, or a C compiler and Node headers at install time',
    };
  }
  for (const warning of warnings) warn(warning);
  const probe = 1 - module.cosine(new Float32Array([1, 0, 0, 0]), new Float32Array([1, 1, 0, 0]));
  if (!(Math.abs(probe - Math.SQRT1_2) < 1e-3)) return { reason: `simsimd.cosine returned an unexpected value (${probe})` };
  return { module, version: installedVersion('simsimd') };
}

/**
 * tfjs-core with the WASM backend, single-threaded, its .wasm files read from
 * node_modules (setWasmPaths to local paths: nothing is fetched).
 */
export async function loadTfjsWasm() {
  try {
    const tf = require('@tensorflow/tfjs-core');
    const backend = require('@tensorflow/tfjs-backend-wasm');
    const wasmDirectory = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    backend.setWasmPaths({
      'tfjs-backend-wasm.wasm': path.join(wasmDirectory, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': path.join(wasmDirectory, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': path.join(wasmDirectory, 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
    backend.setThreadsCount(1);
    const ready = await tf.setBackend('wasm');
    if (!ready || tf.getBackend() !== 'wasm') return { reason: 'tfjs-backend-wasm failed to initialise' };
    await tf.ready();
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    return {
      module: tf,
      version: installedVersion('@tensorflow/tfjs-backend-wasm'),
      detail: `${simd ? 'SIMD' : 'no SIMD'}, ${backend.getThreadsCount()} thread`,
    };
  } catch (error) {
    return { reason: `@tensorflow/tfjs-backend-wasm did not initialise: ${reasonOf(error)}` };
  }
}
