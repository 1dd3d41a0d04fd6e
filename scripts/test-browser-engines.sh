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
if [ ! -x "$firefox" ]; then
  if [ "$firefox" = /usr/bin/firefox-esr ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-browser-engines: $firefox is missing: installing Debian's firefox-esr" >&2
    debian_install firefox-esr
  else
    echo "test-browser-engines: missing: Firefox at $firefox." >&2
    echo "  On Debian/Ubuntu, as root: apt-get update && apt-get install -y firefox-esr" >&2
    echo "  Or point COSINEKIT_FIREFOX at an installed Firefox (≥ 120) binary." >&2
    exit 1
  fi
fi
"$firefox" --version 2>/dev/null | head -1 >&2 || true

if [ ! -d "$root/test/node_modules/puppeteer-core" ]; then
  step "dependencies (pnpm $PNPM_VERSION, frozen lockfile)"
  (cd "$root" && pnpm_run install --frozen-lockfile --reporter=append-only >&2)
fi
if [ ! -f "$root/packages/cosinekit/dist/index.js" ]; then
  setup_and_build
fi

step "browser checks in Firefox ESR, relaxed SIMD on and off (vitest, test/browser/engines)"
mkdir -p "$(dirname "$report")"
rm -f "$report"
start=$(date +%s.%N)
status=0
(cd "$root/test" && COSINEKIT_FIREFOX="$firefox" pnpm_run exec vitest run --config browser/engines/vitest.config.ts \
  --reporter=default --reporter=json --outputFile="$report") || status=$?
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [ ! -f "$report" ]; then
  echo "test-browser-engines: vitest wrote no report (exit $status)" >&2
  echo "browser engine tests: 0 passed, 1 failed"
  exit 1
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`browser engine suite: ${process.argv[2]} s wall clock`);
  console.log(`browser engine tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  process.exit(r.numFailedTests > 0 || r.numPassedTests === 0 ? 1 : 0);
' "$report" "$elapsed" || status=1
exit "$status"
