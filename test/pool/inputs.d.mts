export function values(count: number, seed: number): Float32Array;
export function tensor(shape: number[], seed: number): { data: Float32Array; shape: number[] };
export function tiedCorpus(rows: number, depth: number, seed: number): { data: Float32Array; shape: number[] };
/** Something with the pairwise family's functions: a single-thread instance or a pool. */
export interface PairwiseApi {
  topK(queries: unknown, corpus: unknown, k: number, options?: unknown): unknown;
  pairwiseCosine(a: unknown, b?: unknown, options?: unknown): unknown;
  pairwiseCosineBlocks(a: unknown, b?: unknown, options?: unknown): unknown;
}
export function awkwardCases(): { label: string; run(api: PairwiseApi): Promise<[string, Float32Array | Int32Array][]> }[];
