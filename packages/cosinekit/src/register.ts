// Registration of the families (families.ts) with the shared state, by the calls that export
// their functions (api.ts, the entries, the pool). Every call site is marked pure, so that a
// bundler drops it, and the family's code, when the program does not use what it exports.

import type { LossFamily, StorageFamily } from './families.js';
import type { Cosinekit } from './kit.js';
import { LOSS_FAMILY } from './losses.js';
import { STORAGE_FAMILY, type QuantizedTensor } from './quantized.js';
import { shared } from './shared.js';

/** Registers the losses (the first copy's family stays) and returns the shared state's. */
function lossFamily(): LossFamily {
  return (shared.families.losses ??= LOSS_FAMILY);
}

/** Registers the storage formats (the first copy's family stays) and returns the shared state's. */
function storageFamily(): StorageFamily {
  return (shared.families.storage ??= STORAGE_FAMILY);
}

/** Registers the storage formats and returns their QuantizedTensor class (every copy's). */
export function quantizedTensorClass(): typeof QuantizedTensor {
  return storageFamily().QuantizedTensor;
}

/** Registers the losses and returns the shared instance's member `name`. */
export function lossMember<K extends LossMember>(name: K): Cosinekit[K] {
  lossFamily();
  return shared.kit[name];
}

/** Registers the storage formats and returns the shared instance's member `name`. */
export function storageMember<K extends 'quantize'>(name: K): Cosinekit[K] {
  storageFamily();
  return shared.kit[name];
}

/** Registers every family (what an instance with the whole API, or a pool, needs) and returns `value`. */
export function withEveryFamily<T>(value: T): T {
  lossFamily();
  storageFamily();
  return value;
}

type LossMember =
  | 'infoNCE'
  | 'clipLoss'
  | 'sigLipLoss'
  | 'multipleNegativesRankingLoss'
  | 'tripletLoss'
  | 'mocoLoss'
  | 'supConLoss'
  | 'cosineEmbeddingLoss';
