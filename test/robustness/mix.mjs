// A mixed workload over one cosinekit instance, shared by soak.mjs (1,000,000 calls, a
// memory table) and soak.test.ts (100,000 calls, an assertion): every input form, `out` in
// every form, in-place normalize, alloc/dispose, occasional large calls that make scratch
// grow, and calls that fail validation. Plain JavaScript so that `node soak.mjs` runs it.

/**
 * Returns `step(index)`, which performs call number `index` of the mix and returns a number
 * derived from the result (so nothing is optimised away), and `dispose()`.
 * @param {import('cosinekit').Cosinekit} api
 */
export function createMix(api) {
  const rows = 8;
  const depth = 16;
  const first = Float32Array.from({ length: rows * depth }, (_, index) => Math.sin(index) + 0.1);
  const second = Float32Array.from({ length: rows * depth }, (_, index) => Math.cos(index * 0.7));
  const asNumbers = Array.from(first);
  const asDoubles = Float64Array.from(second);
  const left = api.alloc([rows, depth]);
  const right = api.alloc([rows, depth]);
  const target = api.alloc([rows]);
  const scratchTarget = api.alloc([rows * depth + 5]);
  left.data.set(first);
  right.data.set(second);
  const jsOut = new Float32Array(rows);
  const big = Float32Array.from({ length: 256 * 1024 }, (_, index) => (index % 13) - 6);
  const hasPairwise = typeof api.pairwiseCosine === 'function';
  let checksum = 0;
  const expectError = (call, type) => {
    try {
      call();
    } catch (error) {
      if (error instanceof type) return 1;
      throw error;
    }
    throw new Error(`expected a ${type.name}`);
  };

  const calls = [
    () => api.cosineSimilarity({ data: first, shape: [rows, depth] }, { data: second, shape: [rows, depth] }).data[0],
    () => api.cosineSimilarity({ data: asNumbers, shape: [rows, depth] }, { data: asDoubles, shape: [rows, depth] }, { out: jsOut }).data[1],
    () => api.cosineDistance(left, right, { out: target }).data[2],
    () => api.cosineSimilarity({ data: first, shape: [rows, 1, depth] }, { data: second, shape: [1, rows, depth] }, { dim: -1, clamp: true }).data[5],
    () => api.cosineSimilarity(left, right, { dim: 0, out: scratchTarget.data.subarray(1, 1 + depth) }).data[3],
    () => {
      right.data.set(second);
      return api.normalize(right, { out: right }).data[4];
    },
    () => api.normalize({ data: asDoubles, shape: [rows, depth] }, { p: 1, dim: 0 }).data[6],
    () => {
      const tensor = api.alloc([rows, depth]);
      tensor.data.set(first);
      const value = api.normalize(tensor, { p: Number.POSITIVE_INFINITY }).data[7];
      tensor.dispose();
      return value;
    },
    () => expectError(() => api.cosineSimilarity({ data: first, shape: [rows, depth + 1] }, left), RangeError),
    () => expectError(() => api.normalize(left, { out: new Float32Array(3) }), RangeError),
    () => {
      const tensor = api.alloc([2]);
      tensor.dispose();
      return expectError(() => api.normalize(tensor), TypeError);
    },
    () => expectError(() => api.cosineSimilarity(left, right, { dim: 'x' }), TypeError),
    () => (hasPairwise ? api.pairwiseCosine(left, right, { scale: 2 }).data[9] : 0),
    () => (hasPairwise ? api.topK(left, right, 3).scores[0] : 0),
    () => (hasPairwise ? api.meanCosine(left) : 0),
  ];

  return {
    /** @param {number} index */
    step(index) {
      let value;
      if (index % 997 === 0) {
        // A large call now and then: scratch must grow once and then be reused.
        value = api.normalize({ data: big, shape: [512, 512] }).data[index % 512];
      } else {
        value = calls[index % calls.length]();
      }
      checksum += Number.isFinite(value) ? value : 0;
      return checksum;
    },
    dispose() {
      left.dispose();
      right.dispose();
      target.dispose();
      scratchTarget.dispose();
    },
  };
}
