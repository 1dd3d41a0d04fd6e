import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: dist/ works from any path (the browser test serves it on localhost).
  base: './',
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
});
