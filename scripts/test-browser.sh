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
if [ ! -x "$chromium" ]; then
  if [ "$chromium" = /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-browser: $chromium is missing: installing Debian's chromium" >&2
    debian_install chromium
  else
    echo "test-browser: missing: Chromium at $chromium." >&2
    echo "  On Debian/Ubuntu, as root: apt-get update && apt-get install -y chromium" >&2
    echo "  Or point COSINEKIT_CHROMIUM at an installed Chromium/Chrome binary." >&2
    exit 1
  fi
fi
"$chromium" --version 2>/dev/null | head -1 >&2 || true

if [ ! -d "$root/test/node_modules/playwright-core" ] || [ ! -d "$root/examples/semantic-search/node_modules/vite" ]; then
  step "dependencies (pnpm $PNPM_VERSION, frozen lockfile)"
  (cd "$root" && pnpm_run install --frozen-lockfile --reporter=append-only >&2)
fi
if [ ! -f "$root/packages/cosinekit/dist/index.js" ]; then
  setup_and_build
fi

step "browser tests (vitest, test/browser)"
mkdir -p "$(dirname "$report")"
rm -f "$report"
start=$(date +%s.%N)
status=0
(cd "$root/test" && COSINEKIT_CHROMIUM="$chromium" pnpm_run exec vitest run --config browser/vitest.config.ts \
  --reporter=default --reporter=json --outputFile="$report") || status=$?
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [ ! -f "$report" ]; then
  echo "test-browser: vitest wrote no report (exit $status)" >&2
  echo "browser tests: 0 passed, 1 failed"
  exit 1
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`browser suite: ${process.argv[2]} s wall clock`);
  console.log(`browser tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  process.exit(r.numFailedTests > 0 || r.numPassedTests === 0 ? 1 : 0);
' "$report" "$elapsed" || status=1
exit "$status"
