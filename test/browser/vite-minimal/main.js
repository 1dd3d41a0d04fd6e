// The smallest real use: one function from the default entry, bundled by Vite. The browser
// test counts what this page downloads (gzip bytes of every response) and which .wasm it fetched.
import { cosineSimilarity, init } from 'cosinekit';

try {
  const info = await init();
  const result = cosineSimilarity({ data: [3, 4, 1, 0], shape: [2, 2] }, { data: [4, 3, 0, 1], shape: [2, 2] });
  document.getElementById('result').textContent = Array.from(result.data, (value) => value.toFixed(6)).join(', ');
  document.body.dataset.variant = info.variant;
  document.body.dataset.status = 'ok';
} catch (error) {
  document.body.dataset.status = `error: ${error}`;
}
