// The pool's partition plans (packages/cosinekit/src/pool/plans.ts): pure functions of the
// sizes, thread count and the kernel's tiling, checked directly.

import { describe, expect, test } from 'vitest';
import {
  MIN_CHUNK_WORK,
  MIN_QUERY_CHUNK,
  pairwiseChunkRows,
  pairwiseColumnSlice,
  pieces,
  topKQueryChunkRows,
  topKSliceRows,
  topKSplit,
} from '../../packages/cosinekit/src/pool/plans.js';

const tiling = { tileRows: 4, tileColumns: 8, queryBlock: 512, corpusTile: 256 };

describe('partition plans', () => {
  test('pieces cover 0..total in order, each `size` long but the last', () => {
    expect(pieces(10, 4)).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    expect(pieces(0, 4)).toEqual([]);
    for (const [total, size] of [[1027, 512], [7, 3], [5, 5]] as const) {
      const cut = pieces(total, size);
      expect(cut.reduce((sum, [, count]) => sum + count, 0)).toBe(total);
      cut.forEach(([start], index) => expect(start).toBe(index * size));
    }
  });

  test('pairwise row chunks: whole micro-tiles, about two per thread, none below the least work', () => {
    expect(pairwiseChunkRows(2048, 2048 * 768, 2, tiling)).toBe(512);
    expect(pairwiseChunkRows(2050, 2048 * 768, 2, tiling) % 4).toBe(0);
    expect(pairwiseChunkRows(2048, 2048 * 768, 1, tiling)).toBe(2048);
    // Little work per row: chunks grow until each holds MIN_CHUNK_WORK.
    const rows = pairwiseChunkRows(100_000, 64, 2, tiling);
    expect(rows * 64).toBeGreaterThanOrEqual(MIN_CHUNK_WORK);
    expect(pairwiseChunkRows(10_000, 64, 2, tiling)).toBe(10_000); // all of it is less than that
    expect(pairwiseChunkRows(3, 1e9, 4, tiling)).toBe(3);
  });

  test('few rows are split by corpus columns (whole panels); enough rows never are', () => {
    const columns = pairwiseColumnSlice(3, 100_000, 48, 2, tiling);
    expect(columns).not.toBeNull();
    expect((columns as number) % 8).toBe(0);
    expect((columns as number) * 3 * 48).toBeGreaterThanOrEqual(MIN_CHUNK_WORK);
    expect(pieces(100_000, columns as number).length).toBeGreaterThanOrEqual(2);
    expect(pairwiseColumnSlice(2048, 2048, 768, 2, tiling)).toBeNull();
    expect(pairwiseColumnSlice(3, 100_000, 48, 1, tiling)).toBeNull();
    // Too little work to be worth splitting at all.
    expect(pairwiseColumnSlice(3, 5000, 48, 2, tiling)).toBeNull();
  });

  test('top-k splits by queries when every thread gets enough of them, else by corpus slices', () => {
    expect(topKSplit(2000, 2)).toBe('queries');
    expect(topKSplit(2 * MIN_QUERY_CHUNK - 1, 2)).toBe('slices');
    expect(topKSplit(1, 1)).toBe('queries');
    // Chunks longer than a kernel query block are whole blocks (or all the queries).
    expect(topKQueryChunkRows(2000, 100_000 * 384, 2, tiling)).toBe(500);
    const long = topKQueryChunkRows(5000, 100_000 * 384, 2, tiling);
    expect(long > 512 && (long % 512 === 0 || long === 5000)).toBe(true);
    expect(topKQueryChunkRows(300, 1000, 2, tiling)).toBeGreaterThanOrEqual(MIN_QUERY_CHUNK);
    const slice = topKSliceRows(200_000, 4, 384, 11, 2, tiling);
    expect(slice % 256 === 0 || slice === 200_000).toBe(true);
    expect(slice).toBeGreaterThanOrEqual(11);
    expect(Math.ceil(200_000 / slice)).toBeGreaterThanOrEqual(2);
  });
});
