// The two families of functions a program may leave out: the losses (losses.ts) and the
// storage formats (quantized.ts). `Cosinekit` declares every member, but reaches these
// families only through the objects registered here, never by importing their modules, so
// a bundle whose program imports no loss and no storage-format function holds neither
// module's code. The entries register a family when one of its functions is imported (a
// call a bundler drops with the import, api.ts); `init` then loads the variant's core
// module, a third of the full one's bytes, unless a family is registered. In Node, Bun and
// Deno the entry is imported whole, so every family is registered and the full module loads.

import type { ModuleKind } from './loader.js';
import type {
  runClipLoss,
  runCosineEmbeddingLoss,
  runInfoNCE,
  runMocoLoss,
  runMultipleNegativesRankingLoss,
  runSigLipLoss,
  runSupConLoss,
  runTripletLoss,
} from './losses.js';
import type { QuantizedTensor, runPairwiseQuantized, runQuantize, runTopKQuantized } from './quantized.js';

/** The functions the loss members run. */
export interface LossFamily {
  runInfoNCE: typeof runInfoNCE;
  runClipLoss: typeof runClipLoss;
  runSigLipLoss: typeof runSigLipLoss;
  runMultipleNegativesRankingLoss: typeof runMultipleNegativesRankingLoss;
  runTripletLoss: typeof runTripletLoss;
  runMocoLoss: typeof runMocoLoss;
  runSupConLoss: typeof runSupConLoss;
  runCosineEmbeddingLoss: typeof runCosineEmbeddingLoss;
}

/** The class and functions of the storage formats (quantize, and the quantised paths of pairwiseCosine and topK). */
export interface StorageFamily {
  QuantizedTensor: typeof QuantizedTensor;
  runQuantize: typeof runQuantize;
  runPairwiseQuantized: typeof runPairwiseQuantized;
  runTopKQuantized: typeof runTopKQuantized;
}

/** The families registered so far (one object for every copy of this version in the realm). */
export interface Families {
  losses: LossFamily | null;
  storage: StorageFamily | null;
}

/** The module the shared instance needs for the families registered: the core one while none is. */
export function moduleKindFor(families: Families): ModuleKind {
  return families.losses === null && families.storage === null ? 'core' : 'full';
}
