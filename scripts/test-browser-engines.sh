#!/usr/bin/env bash
# The browser checks in Firefox ESR (Debian's firefox-esr driven by puppeteer-core over
# WebDriver BiDi; no browser download), twice: with its defaults (relaxed SIMD on, `auto`
# picks relaxed-simd) and with SpiderMonkey's javascript.options.wasm_relaxed_simd pref off
# (the run without relaxed SIMD, as Safari users get: `auto` picks simd128). Chromium 156's V8
# has no switch for relaxed SIMD (`--js-flags=--help` lists none), so this run is Firefox's.
# test/browser/engines/: the harness page (PyTorch fixtures, pairwise/topK and storage
# formats on every supported variant, errors, a module worker), the plain module page and
# the worker pool page with and without cross-origin isolation; and examples/semantic-search
# built with Vite (into a temporary directory) and driven in both configurations.
# Installs firefox-esr with apt-get when it is missing and this runs as root; otherwise says
# what is missing. Builds the package first only if dist/ is missing.
# Writes the vitest JSON report to $COSINEKIT_BROWSER_ENGINES_REPORT (default
# target/test-logs/vitest-browser-engines.json); last line: `browser engine tests: N passed, M failed`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
firefox="${COSINEKIT_FIREFOX:-/usr/bin/firefox-esr}"
report="${COSINEKIT_BROWSER_ENGINES_REPORT:-$root/target/test-logs/vitest-browser-engines.json}"

step "Firefox ESR"
ensure_debian_browser test-browser-engines "$firefox" /usr/bin/firefox-esr firefox-esr COSINEKIT_FIREFOX 'Firefox (≥ 120)'

if [ ! -d "$root/test/node_modules/puppeteer-core" ]; then
  step "dependencies (pnpm $PNPM_VERSION, frozen lockfile)"
  (cd "$root" && pnpm_run install --frozen-lockfile --reporter=append-only >&2)
fi
if [ ! -f "$root/packages/cosinekit/dist/index.js" ]; then
  setup_and_build
fi

step "browser checks in Firefox ESR, relaxed SIMD on and off (vitest, test/browser/engines)"
run_vitest_report test-browser-engines browser/engines/vitest.config.ts "$report" "browser engine" "COSINEKIT_FIREFOX=$firefox"
