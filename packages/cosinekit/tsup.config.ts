import { defineConfig } from 'tsup';

export default defineConfig({
  // pool-worker is the script createPool() starts in every worker thread: it must sit next to
  // index.js / index.cjs in dist (the pool finds it relative to its own file). It carries no
  // wasm (the pool posts it the compiled module). No code splitting: each file stands alone.
  entry: ['src/index.ts', 'src/pool-worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: ['src/index.ts'] },
  splitting: false,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  clean: true,
  treeshake: true,
  minify: false,
});
