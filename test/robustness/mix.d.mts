// Types of mix.mjs (plain JavaScript so that `node soak.mjs` can run it).
import type { Cosinekit } from 'cosinekit';

export interface Mix {
  /** Performs call number `index` of the mix; returns a running checksum. */
  step(index: number): number;
  /** Frees the mix's WasmTensors. */
  dispose(): void;
}

export function createMix(api: Cosinekit): Mix;
