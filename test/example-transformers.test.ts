// The transformers.js-shaped example: `{ data, dims }` tensors, as a feature-extraction
// pipeline returns them, through normalize and topK; every query finds sentences of its own
// topic, and the scores agree with a float64 cosine of the same pooled vectors.

import { expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs example without type declarations
import { embed, search } from '../examples/transformers-js/search.mjs';

test('the nearest sentences of each query are on its topic, best first', async () => {
  const results = (await search({ k: 5 })) as { topic: number; neighbours: { index: number; topic: number; score: number }[] }[];
  expect(results.map((entry) => entry.topic)).toEqual([0, 3, 5]);
  for (const { topic, neighbours } of results) {
    expect(neighbours).toHaveLength(5);
    for (const neighbour of neighbours) expect(neighbour.topic).toBe(topic);
    for (let rank = 1; rank < neighbours.length; rank++) expect(neighbours[rank]!.score).toBeLessThanOrEqual(neighbours[rank - 1]!.score);
    expect(neighbours[0]!.score).toBeGreaterThan(0.8);
    expect(neighbours[0]!.score).toBeLessThanOrEqual(1 + 1e-6);
  }
  // Against a float64 cosine of the pooled vectors (computed here, apart from the package).
  const { corpus, queries } = embed() as { corpus: { data: Float32Array; dims: number[] }; queries: { data: Float32Array; dims: number[] } };
  const hidden = corpus.dims[1]!;
  const row = (tensor: { data: Float32Array }, index: number) => tensor.data.subarray(index * hidden, (index + 1) * hidden);
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0;
    let aa = 0;
    let bb = 0;
    for (let k = 0; k < a.length; k++) {
      dot += a[k]! * b[k]!;
      aa += a[k]! ** 2;
      bb += b[k]! ** 2;
    }
    return dot / Math.sqrt(aa * bb);
  };
  results.forEach(({ neighbours }, query) => {
    for (const { index, score } of neighbours) expect(Math.abs(score - cosine(row(queries, query), row(corpus, index)))).toBeLessThan(1e-5);
  });
});
