// A pool worker with injected faults, for test/pool.test.ts (passed as createPool's
// `workerUrl`). It runs the real dist/pool-worker.js, but first wraps the wasm instance the
// worker creates so that:
//   - the allocator refuses every request over ALLOCATION_LIMIT bytes (returns 0, exactly as
//     ck_alloc does when memory cannot grow): an allocation failure inside the worker;
//   - a pairwise kernel call with eps = CRASH_EPS ends the thread (process.exit in a worker
//     stops that worker only): a worker that dies in the middle of a call.
// Everything else is the real worker and the real kernels.

export const ALLOCATION_LIMIT = 1 << 20;
export const CRASH_EPS = 0.015625; // exactly representable in float32

const instantiate = WebAssembly.instantiate;

function wrapInstance(instance) {
  const exports = { ...instance.exports };
  const allocate = exports.ck_alloc;
  exports.ck_alloc = (byteCount) => ((byteCount >>> 0) > ALLOCATION_LIMIT ? 0 : allocate(byteCount));
  const pairwise = exports.ck_pairwise_cosine_f32;
  exports.ck_pairwise_cosine_f32 = (...args) => {
    if (args[6] === CRASH_EPS) process.exit(7);
    return pairwise(...args);
  };
  return { exports };
}

WebAssembly.instantiate = async function instantiateWithFaults(source, imports) {
  const result = await instantiate.call(WebAssembly, source, imports);
  if (result instanceof WebAssembly.Instance) return wrapInstance(result);
  return { module: result.module, instance: wrapInstance(result.instance) };
};

await import(new URL('../../packages/cosinekit/dist/pool-worker.js', import.meta.url).href);
