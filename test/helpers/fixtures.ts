// Golden fixtures produced by real PyTorch (scripts/fixtures/gen_fixtures.py).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type FixtureNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface FixtureTensor {
  shape: number[];
  data: FixtureNumber[];
}

export interface FixtureCase {
  name: string;
  op: 'cosine_similarity' | 'normalize';
  inputs: Record<string, FixtureTensor>;
  params: { dim: number | number[]; eps: number; p?: number | 'inf' };
  expected: FixtureTensor;
  torch_f32?: FixtureTensor;
}

export interface FixtureFile {
  generator: string;
  torch: string;
  cases: FixtureCase[];
}

export function loadFixtures(name: string): FixtureFile {
  const path = fileURLToPath(new URL(`../fixtures/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as FixtureFile;
}

export function toNumber(value: FixtureNumber): number {
  return typeof value === 'number' ? value : Number(value);
}

/** The exact float32 inputs: shortest decimals parsed, then rounded to float32. */
export function toFloat32(tensor: FixtureTensor): Float32Array {
  return Float32Array.from(tensor.data, toNumber);
}

export function toFloat64(tensor: FixtureTensor): Float64Array {
  return Float64Array.from(tensor.data, toNumber);
}
