import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // Three entry points: the single-thread API, `cosinekit/pool` (createPool), and the script
  // every pool worker runs (it must sit next to pool.js / pool.cjs in dist: the pool finds it
  // relative to its own file; it carries no wasm, the pool posts it the compiled module).
  // Code they share goes into shared chunks, so that one process has one copy of each class
  // (a WasmTensor made through `cosinekit` is a WasmTensor to `cosinekit/pool`), and a page
  // importing only `cosinekit` loads nothing of the pool.
  entry: { index: 'src/index.ts', pool: 'src/pool/index.ts', 'pool-worker': 'src/pool/worker.ts' },
  format: ['esm', 'cjs'],
  // @internal members (constructors that take the runtime) stay out of the declarations.
  dts: { entry: { index: 'src/index.ts', pool: 'src/pool/index.ts' }, compilerOptions: { stripInternal: true } },
  splitting: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  clean: true,
  treeshake: true,
  minify: false,
  // The key under which ESM and CJS copies of this version share one instance (src/index.ts).
  define: { __COSINEKIT_VERSION__: JSON.stringify(version) },
});
