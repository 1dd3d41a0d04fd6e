// A module worker importing the built package by relative URL: synchronous init is allowed
// off the main thread. Computes cos([3,4],[4,3]) = 24/25 and F.normalize([3,4]) = [0.6,0.8]
// on every variant and posts the results back.
import { backendInfo, createInstanceSync, initSync, isVariantSupported } from '../../../packages/cosinekit/dist/index.js';

try {
  const info = initSync();
  const variants = {};
  for (const variant of ['scalar', 'simd128', 'relaxed']) {
    if (!isVariantSupported(variant)) continue;
    const kit = createInstanceSync({ variant });
    const cosine = kit.cosineSimilarity({ data: [3, 4], shape: [1, 2] }, { data: [4, 3], shape: [1, 2] });
    const unit = kit.normalize({ data: [3, 4], shape: [1, 2] });
    variants[variant] = { cosine: Array.from(cosine.data), normalize: Array.from(unit.data) };
  }
  postMessage({ ok: true, init: info, backendInfo: backendInfo(), variants });
} catch (error) {
  postMessage({ ok: false, message: `${error.constructor.name}: ${error.message}` });
}
