import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
// @ts-expect-error: a plain .mjs script of the repository, without declarations
import { writePackageFiles } from '../../scripts/package-files.mjs';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

const VARIANTS = ['scalar', 'simd128', 'relaxed'] as const;
// Each variant's full module and its core module (no losses, no storage formats).
const ASSETS = VARIANTS.flatMap((variant) => [`cosinekit-${variant}.wasm`, `cosinekit-${variant}-core.wasm`]);
const wasmFile = (file: string) => new URL(`./wasm/${file}`, import.meta.url);
const missing = ASSETS.filter((file) => !existsSync(wasmFile(file)));
if (missing.length > 0) {
  throw new Error(`tsup: packages/cosinekit/wasm/{${missing.join(',')}} missing: run bash scripts/build-wasm.sh first`);
}

export default defineConfig({
  // Entry points: the single-thread API (`cosinekit`, which loads the chosen variant's .wasm
  // asset next to it), `cosinekit/inline` (the same API with the variants inlined),
  // `cosinekit/pool` (createPool), and the script every pool worker runs (it must sit next
  // to pool.js / pool.cjs in dist: the pool finds it relative to its own file; it carries no
  // wasm, the pool posts it the compiled module).
  // Code they share goes into shared chunks, so that one process has one copy of each class
  // (a WasmTensor made through `cosinekit` is a WasmTensor to `cosinekit/pool`), and a page
  // importing only `cosinekit` loads nothing of the pool.
  entry: { index: 'src/index.ts', inline: 'src/inline.ts', pool: 'src/pool/index.ts', 'pool-worker': 'src/pool/worker.ts' },
  format: ['esm', 'cjs'],
  // @internal members (constructors that take the runtime) stay out of the declarations.
  dts: { entry: { index: 'src/index.ts', inline: 'src/inline.ts', pool: 'src/pool/index.ts' }, compilerOptions: { stripInternal: true } },
  splitting: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  clean: true,
  treeshake: true,
  minify: false,
  // The key under which ESM and CJS copies of this version share one instance (src/index.ts).
  define: { __COSINEKIT_VERSION__: JSON.stringify(version) },
  // The assets the default entry loads, next to the chunks that reference them
  // (`new URL('./cosinekit-<variant>[-core].wasm', import.meta.url)`, or __dirname in CJS); and the
  // README and licences the tarball carries, copied from the repository root.
  onSuccess: async () => {
    for (const file of ASSETS) copyFileSync(wasmFile(file), new URL(`./dist/${file}`, import.meta.url));
    (writePackageFiles as () => void)();
  },
});
