#!/usr/bin/env bash
# The JS suite's node project (test/, vitest against the built dist) under another runtime:
#   bash scripts/test-runtime.sh node22|node24|bun|deno [report.json]
# The runtime's binary comes from a devDependency of bench/ (scripts/runtime-bin.mjs finds it),
# and vitest itself runs on that runtime, so do its worker processes (pool: 'forks' starts
# them with the runtime's own executable) and the processes test/runtimes/runtime.test.ts
# starts on the package's ESM and CJS entry points. Relaxed-simd is expected on all four
# (COSINEKIT_EXPECT_VARIANT). Nothing is fetched: Bun runs with --no-install, Deno with
# --cached-only (and no update check). Writes the vitest JSON report to report.json (default
# target/test-logs/vitest-<runtime>.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runtime="${1:?usage: test-runtime.sh node22|node24|bun|deno [report.json]}"
report="${2:-$root/target/test-logs/vitest-$runtime.json}"
binary="$(node "$root/scripts/runtime-bin.mjs" "$runtime")"
mkdir -p "$(dirname "$report")"

case "$runtime" in
  node22 | node24) launcher=("$binary") ;;
  bun) launcher=("$binary" --no-install) ;;
  deno) launcher=("$binary" run --cached-only --allow-all) ;;
esac
case "$runtime" in
  node22 | node24) echo "runtime: Node $("$binary" --version) ($binary)" >&2 ;;
  bun) echo "runtime: Bun $("$binary" --version) ($binary)" >&2 ;;
  deno) echo "runtime: $("$binary" --version | head -1) ($binary)" >&2 ;;
esac

cd "$root/test"
export COSINEKIT_EXPECT_VARIANT=relaxed DENO_NO_UPDATE_CHECK=1 DO_NOT_TRACK=1
if [ "$runtime" = deno ]; then
  # A cache of this run's own: Deno's CommonJS analysis cache is keyed by file path, so a
  # cache kept from an earlier build at the same path (a CI clone in the same directory)
  # makes dist/index.cjs require chunk files of that build, which are gone.
  export DENO_DIR="$root/target/deno-cache"
  rm -rf "$DENO_DIR"
fi
exec "${launcher[@]}" node_modules/vitest/vitest.mjs run --project node --reporter=dot --reporter=json --outputFile="$report"
