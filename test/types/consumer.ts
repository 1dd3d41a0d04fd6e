// A strict TypeScript consumer of the built declarations (compiled by types.test.ts with the
// ES2022 lib, no @types/node, skipLibCheck off). Each line states what the types promise.

import { type SupConLabels, type Tensor, type TopKResult, alloc, clipLoss, cosine, cosineEmbeddingLoss, infoNCE, init, mocoLoss, normalize, supConLoss, topK, tripletLoss } from 'cosinekit';

export async function main(): Promise<number> {
  await init();
  const features = { data: new Float32Array(8), shape: [4, 2] };

  // grad: true makes every gradient field present.
  const withGradient = infoNCE(features, { grad: true });
  const gradient: Tensor = withGradient.grad;
  const loss: number = withGradient.loss;
  const clip = clipLoss(features, features, { grad: true });
  const images: Tensor = clip.gradImage;
  const texts: Tensor = clip.gradText;
  const logScale: number = clip.gradLogitScale;

  const triplet = tripletLoss(features, features, features, { reduction: 'none', grad: true });
  const tripletRows: Float32Array = triplet.loss;
  const anchors: Tensor = triplet.gradAnchor;
  const moco = mocoLoss(features, features, features, { grad: true });
  const queries: Tensor = moco.gradQuery;
  // @ts-expect-error the queue gets no gradient
  const queueGradient: Tensor = moco.gradQueue;
  const labels: SupConLabels = new Int32Array([0, 1, 0, 1]);
  const supervised = supConLoss(features, labels, { temperature: 0.1, baseTemperature: 0.07, grad: true });
  const supervisedGradient: Tensor = supervised.grad;
  const supervisedPlain = supConLoss(features, [3, 3, -1, 2]);
  // @ts-expect-error no gradient was asked for
  const supervisedMissing: Tensor = supervisedPlain.grad;
  // @ts-expect-error labels are integers, not floats in a Float32Array
  supConLoss(features, new Float32Array(4));

  // Without it, they are absent.
  const plain = infoNCE(features);
  // @ts-expect-error no gradient was asked for
  const missing: Tensor = plain.grad;

  // A boolean known only at run time: the field may or may not be there.
  const flag = Math.random() > 0.5;
  const either = infoNCE(features, { grad: flag });
  const maybe: Tensor | undefined = either.grad;

  // reduction 'none' gives one loss per row.
  const rows: Float32Array = infoNCE(features, { reduction: 'none' }).loss;
  const perPair: Float32Array = cosineEmbeddingLoss(features, features, [1, -1, 1, 1], { reduction: 'none' });

  // Single vectors, dims tensors, 1-D queries.
  const similarity: number = cosine(new Float32Array([1, 2]), [3, 4]);
  const unit = normalize({ data: new Float32Array(6), dims: [2, 3] });
  const found: TopKResult = topK({ data: new Float32Array(2), shape: [2] }, features, 1);

  // Tensors are disposable under the ES2022 lib too.
  const tensor = alloc([3]);
  tensor[Symbol.dispose]();
  tensor.dispose();

  return gradient.data.length + loss + images.data.length + texts.data.length + logScale + (missing?.data.length ?? 0) +
    (maybe?.data.length ?? 0) + rows.length + perPair.length + tripletRows.length + anchors.data.length + queries.data.length + moco.loss +
    (queueGradient?.data.length ?? 0) + supervised.loss + supervisedGradient.data.length + supervisedPlain.loss + (supervisedMissing?.data.length ?? 0) +
    similarity + unit.data.length + found.indices.length;
}
