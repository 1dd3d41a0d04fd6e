// Firefox ESR (Debian's, driven by puppeteer-core over WebDriver BiDi) with its default
// settings: relaxed SIMD is on (Firefox ≥ 120), so `auto` picks relaxed-simd.
import { defineBrowserChecks } from './browser-checks.js';
import { launchFirefox } from './firefox.js';

defineBrowserChecks({ name: 'Firefox ESR', launch: () => launchFirefox({ relaxedSimd: true }), expectedVariant: 'relaxed' });
