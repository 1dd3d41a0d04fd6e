// The browser run without relaxed SIMD, as Safari users get: Firefox ESR with SpiderMonkey's
// `javascript.options.wasm_relaxed_simd` pref off, so WebAssembly.validate refuses relaxed
// opcodes and `auto` must pick simd128 (Chromium 156 has no switch for this; see firefox.ts).
import { defineBrowserChecks } from './browser-checks.js';
import { launchFirefox } from './firefox.js';

defineBrowserChecks({ name: 'Firefox ESR', launch: () => launchFirefox({ relaxedSimd: false }), expectedVariant: 'simd128' });
