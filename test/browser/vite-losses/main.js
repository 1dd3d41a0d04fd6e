// A page that imports a loss (so init must load the full module) and topK, but nothing of the
// storage formats: a quantised corpus must then be refused with an Error that says what to
// import. The browser test reads the loss, the top-k row and that message.
import { clipLoss, init, topK } from 'cosinekit';

try {
  const info = await init();
  // Image and text rows both the 2 × 2 identity, logit scale 1: logits = I, so every row and
  // column has cross-entropy log(1 + e^-1).
  const identity = { data: [1, 0, 0, 1], shape: [2, 2] };
  const { loss } = clipLoss(identity, identity, { logitScale: 1 });
  const best = topK({ data: [1, 0], shape: [2] }, { data: [0, 1, 1, 1, 1, 0], shape: [3, 2] }, 2);
  let refusal = 'none';
  try {
    topK({ data: [1, 0], shape: [2] }, { dtype: 'int8', data: new Int8Array([1, 2]), shape: [1, 2] }, 1);
  } catch (error) {
    refusal = `${error.name}: ${error.message}`;
  }
  document.getElementById('result').textContent = JSON.stringify({ loss, indices: Array.from(best.indices), refusal });
  document.body.dataset.variant = info.variant;
  document.body.dataset.status = 'ok';
} catch (error) {
  document.body.dataset.status = `error: ${error}`;
}
