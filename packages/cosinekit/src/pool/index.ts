// cosinekit/pool: `createPool`, worker threads for pairwiseCosine, pairwiseCosineBlocks and
// topK. Its own entry point, so that a page that never imports it gets no worker chunk.
// Results are bitwise equal to the single-thread functions (pool.ts).

import { ASSET_SOURCE } from '../assets.js';
import { loadModule } from '../loader.js';
import { booleanOption, checkOptions, describe, nonNegativeOption } from '../validate.js';
import { hardwareThreads, sharedMemoryAvailable, workerFactory } from './platform.js';
import { PoolImpl } from './pool.js';
import type { Pool, PoolOptions } from './types.js';

export type { CorpusHandle, Pool, PoolOptions, PoolPairwiseOptions } from './types.js';

/**
 * Multiply-adds below which a call runs on the calling thread: 2^26, about 6 ms of one
 * thread. Measured with bench/pool.mjs (2-vCPU EPYC, Node 20, simd128, two workers, size
 * sweeps in quiet spells): the pool overtakes one thread from about 2^24 multiply-adds for
 * pairwise and from 2^25–2^26 for top-k with few queries (its corpus must be copied into the
 * workers on every call without a handle). A message round trip costs about 0.3 ms here.
 */
const DEFAULT_PARALLEL_THRESHOLD = 2 ** 26;
/** Most threads `threads` may ask for, and most the default picks. */
const MAX_THREADS = 64;
const MAX_DEFAULT_THREADS = 8;
const POOL_OPTIONS = ['threads', 'variant', 'wasm', 'sharedMemory', 'parallelThreshold', 'workerUrl'] as const;

/**
 * Starts a pool of worker threads (Node `worker_threads`; module `Worker`s in browsers), each
 * with its own instance of the chosen variant, and resolves once every worker is ready.
 * `pool.destroy()` ends them; in Node, idle workers do not keep the process alive.
 *
 * ```ts
 * const pool = await createPool({ threads: 4 });
 * const corpus = pool.setCorpus({ data: embeddings, shape: [100_000, 384] });
 * const { indices, scores } = await pool.topK(queries, corpus, 10);
 * await pool.destroy();
 * ```
 */
export async function createPool(options?: PoolOptions): Promise<Pool> {
  const settings = checkOptions(options, POOL_OPTIONS, 'createPool');
  let threads: number;
  if (settings.threads === undefined) {
    threads = Math.min(await hardwareThreads(), MAX_DEFAULT_THREADS);
  } else {
    const requested: unknown = settings.threads;
    if (typeof requested !== 'number') throw new TypeError(`threads must be an integer, got ${describe(requested)}`);
    if (!Number.isInteger(requested) || requested < 1 || requested > MAX_THREADS) {
      throw new RangeError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${describe(requested)}`);
    }
    threads = requested;
  }
  const available = sharedMemoryAvailable();
  const sharedMemory = booleanOption(settings.sharedMemory, available, 'sharedMemory');
  if (sharedMemory && !available) {
    throw new Error('cosinekit: sharedMemory: true needs SharedArrayBuffer (Node, or a cross-origin-isolated page: COOP same-origin + COEP require-corp)');
  }
  const parallelThreshold = nonNegativeOption(settings.parallelThreshold, DEFAULT_PARALLEL_THRESHOLD, 'parallelThreshold');
  const location: unknown = settings.workerUrl;
  if (location !== undefined && typeof location !== 'string' && !(location instanceof URL)) {
    throw new TypeError(`workerUrl must be a string or a URL, got ${describe(location)}`);
  }
  // Compiled once (the full module, which `init` also loads when the program imports a loss or
  // storage-format function, so a page downloads it once): the calling thread's instance and
  // every worker's come from this module, posted to them.
  const { module, runtime } = await loadModule(ASSET_SOURCE, { variant: settings.variant, wasm: settings.wasm }, 'createPool', 'full');
  const variant = runtime.variant;
  const spawn = await workerFactory(location);
  const pool = new PoolImpl({ threads, variant, sharedMemory, parallelThreshold, module, runtime, spawn });
  await pool.start();
  return pool;
}
