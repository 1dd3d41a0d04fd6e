#!/usr/bin/env bash
# Browser tests in real headless Chromium (Debian's chromium driven by playwright-core; no
# browser download): the built package in a page (variant selection, PyTorch fixtures on
# every variant, errors, a module worker), plain <script type="module"> pages with no
# bundler (the default entry fetching one .wasm; cosinekit/inline fetching none), a minimal
# Vite page importing only cosineSimilarity (gzip bytes it downloads, the one .wasm it
# fetches), and examples/semantic-search built with Vite and driven like a user would.
# Installs Chromium with apt-get when it is missing and this runs as root; otherwise says
# what is missing. Builds the package first only if dist/ is missing.
# Writes the vitest JSON report to $COSINEKIT_BROWSER_REPORT (default
# target/test-logs/vitest-browser.json); last line: `browser tests: N passed, M failed`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
chromium="${COSINEKIT_CHROMIUM:-/usr/bin/chromium}"
report="${COSINEKIT_BROWSER_REPORT:-$root/target/test-logs/vitest-browser.json}"

step "Chromium"
ensure_debian_browser test-browser "$chromium" /usr/bin/chromium chromium COSINEKIT_CHROMIUM Chromium/Chrome

if [ ! -d "$root/test/node_modules/playwright-core" ] || [ ! -d "$root/examples/semantic-search/node_modules/vite" ]; then
  step "dependencies (pnpm $PNPM_VERSION, frozen lockfile)"
  (cd "$root" && pnpm_run install --frozen-lockfile --reporter=append-only >&2)
fi
if [ ! -f "$root/packages/cosinekit/dist/index.js" ]; then
  setup_and_build
fi

step "browser tests (vitest, test/browser)"
run_vitest_report test-browser browser/vitest.config.ts "$report" browser "COSINEKIT_CHROMIUM=$chromium"
