export function values(count: number, seed: number): Float32Array;
export function tensor(shape: number[], seed: number): { data: Float32Array; shape: number[] };
export function tiedCorpus(rows: number, depth: number, seed: number): { data: Float32Array; shape: number[] };
