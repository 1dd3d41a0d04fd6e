import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // pool-worker is the script createPool() starts in every worker thread: it must sit next to
  // index.js / index.cjs in dist (the pool finds it relative to its own file). It carries no
  // wasm (the pool posts it the compiled module). No code splitting: each file stands alone.
  entry: ['src/index.ts', 'src/pool-worker.ts'],
  format: ['esm', 'cjs'],
  // @internal members (constructors that take the runtime) stay out of the declarations.
  dts: { entry: ['src/index.ts'], compilerOptions: { stripInternal: true } },
  splitting: false,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  clean: true,
  treeshake: true,
  minify: false,
  // The key under which ESM and CJS copies of this version share one instance (src/index.ts).
  define: { __COSINEKIT_VERSION__: JSON.stringify(version) },
});
