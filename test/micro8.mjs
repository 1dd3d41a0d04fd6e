import { readFileSync } from 'node:fs';
const bytes = readFileSync('../packages/cosinekit/wasm/cosinekit-simd128.wasm');
const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
const D = Number(process.argv[2] ?? 8);
const p = ex.ck_alloc(65536) >>> 0;
let floats = new Float32Array(ex.memory.buffer);
const TA = Object.getPrototypeOf(Uint8Array.prototype);
const tagG = Object.getOwnPropertyDescriptor(TA, Symbol.toStringTag).get, lenG = Object.getOwnPropertyDescriptor(TA, 'length').get;
const a = Float32Array.from({ length: D }, () => Math.random()), b = Float32Array.from({ length: D }, () => Math.random());
const fn = ex.ck_cosine_pair_f32;
class R { constructor() { this.base = p; this.top = 0; this.size = 65536; this.fl = floats; this.pair = fn; } floats() { if (Reflect.apply(lenG, this.fl, []) === 0) this.fl = new Float32Array(ex.memory.buffer); return this.fl; } topFor(n) { return n <= this.size - this.top ? this.base + this.top : 0; } }
const rt = new R();
function v0(x, y) { const s = p >>> 2; for (let i = 0; i < D; i++) { floats[s + i] = x[i]; floats[s + D + i] = y[i]; } return fn(p, p + D * 4, D, 1e-8); }
function v1(x, y) { const tx = Reflect.apply(tagG, x, []), ty = Reflect.apply(tagG, y, []); if (tx !== 'Float32Array' || ty !== 'Float32Array') throw 0; return v0(x, y); }
function v2(x, y) { const tx = Reflect.apply(tagG, x, []), ty = Reflect.apply(tagG, y, []); if (tx !== 'Float32Array' || ty !== 'Float32Array') throw 0; const n = Reflect.apply(lenG, x, []); if (Reflect.apply(lenG, y, []) !== n) throw 1; const s = p >>> 2; for (let i = 0; i < n; i++) { floats[s + i] = x[i]; floats[s + n + i] = y[i]; } return fn(p, p + n * 4, n, 1e-8); }
function v3(x, y, o) { const eps = o === undefined ? 1e-8 : 1; const tx = Reflect.apply(tagG, x, []), ty = Reflect.apply(tagG, y, []); if (tx !== 'Float32Array' || ty !== 'Float32Array') throw 0; const n = Reflect.apply(lenG, x, []); if (Reflect.apply(lenG, y, []) !== n) throw 1; const sp = rt.topFor(n * 8); const fl = rt.floats(); const s = sp >>> 2; for (let i = 0; i < n; i++) { fl[s + i] = x[i]; fl[s + n + i] = y[i]; } return rt.pair(sp, sp + n * 4, n, eps); }
for (const [name, f] of [['v0 proto', v0], ['v1 +tags', v1], ['v2 +lengths', v2], ['v3 +runtime', v3]]) {
  let s = 0; const ts = [];
  for (let r = 0; r < 9; r++) { const t0 = performance.now(); for (let i = 0; i < 1e6; i++) s += f(a, b); ts.push(performance.now() - t0); }
  ts.sort((x, y) => x - y); console.log(name, D, ts[4].toFixed(1), 'ns');
}
