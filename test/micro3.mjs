import { createInstanceSync } from 'cosinekit';
const kit = createInstanceSync({ variant: 'simd128' });
const mode = process.argv[2];
function jsLoop(a, b) { let d = 0, x = 0, y = 0; for (let i = 0; i < a.length; i++) { const p = a[i], q = b[i]; d += p * q; x += p * p; y += q * q; } return d / (Math.max(Math.sqrt(x), 1e-8) * Math.max(Math.sqrt(y), 1e-8)); }
const D = Number(process.argv[3] ?? 8);
const a = Float32Array.from({ length: D }, () => Math.random()), b = Float32Array.from({ length: D }, () => Math.random());
const ta = kit.alloc([D]); ta.data.set(a); const tb = kit.alloc([D]); tb.data.set(b);
const va = ta.data, vb = tb.data; const an = Array.from(a), bn = Array.from(b);
const t1 = { data: a, shape: [1, D] }, t2 = { data: b, shape: [1, D] };
const fns = { js: () => jsLoop(a, b), f32: () => kit.cosine(a, b), zc: () => kit.cosine(va, vb), num: () => kit.cosine(an, bn), tensor: () => kit.cosineSimilarity(t1, t2).data[0] };
const fn = fns[mode]; let s = 0; const ts = [];
for (let r = 0; r < 9; r++) { const t0 = performance.now(); for (let i = 0; i < 1e6; i++) s += fn(); ts.push((performance.now() - t0)); }
ts.sort((x, y) => x - y); console.log(mode, D, (ts[4]).toFixed(1), 'ns/call');
{
  const fn2 = () => kit.heapBytesInUse(); let s2 = 0; const ts2 = [];
  for (let r = 0; r < 9; r++) { const t0 = performance.now(); for (let i = 0; i < 1e6; i++) s2 += fn2(); ts2.push((performance.now() - t0)); }
  ts2.sort((x, y) => x - y); console.log('heapBytesInUse', (ts2[4]).toFixed(1), 'ns/call');
}
