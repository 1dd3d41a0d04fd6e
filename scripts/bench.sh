#!/usr/bin/env bash
# `npm run bench`: sets up what is missing, builds, and runs the benchmark report.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup_and_build
step "benchmark"
cd "$root/bench"
node run.mjs "$@"
step "storage formats (float16, int8, binary vs float32)"
node quant.mjs
