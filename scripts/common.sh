# Shared by the scripts (test.sh, bench.sh, the browser tests, setup-toolchain.sh): set up
# what is missing, then build everything.
# shellcheck shell=bash
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION=10.34.8

pnpm_run() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" = 10 ]; then
    pnpm "$@"
  else
    npx --yes "pnpm@$PNPM_VERSION" "$@"
  fi
}

step() { printf '\n== %s\n' "$*" >&2; }

# Debian packages, as root, when another apt/dpkg run may hold the locks (a fresh machine may
# still be installing something): `install` waits up to 15 minutes for the dpkg lock
# (DPkg::Lock::Timeout); `update` takes the package lists' lock, which that option does not
# cover, so it is retried every 10 s for up to 15 minutes.
debian_install() {
  export DEBIAN_FRONTEND=noninteractive
  local attempt
  for attempt in $(seq 90); do
    if apt-get -o DPkg::Lock::Timeout=900 update -qq >&2; then break; fi
    if [ "$attempt" = 90 ]; then return 1; fi
    echo "apt-get update failed (another apt run holding its lock?); again in 10 s" >&2
    sleep 10
  done
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq "$@" >&2
}

# A browser from Debian's packages: installed with apt when it is missing at its default path
# and this runs as root; otherwise says what is missing and how to point at another binary.
#   ensure_debian_browser SCRIPT BINARY DEFAULT PACKAGE VARIABLE NOTE
ensure_debian_browser() {
  local script=$1 binary=$2 default=$3 package=$4 variable=$5 note=$6
  if [ ! -x "$binary" ]; then
    if [ "$binary" = "$default" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "$script: $binary is missing: installing Debian's $package" >&2
      debian_install "$package"
    else
      echo "$script: missing: $note at $binary." >&2
      echo "  On Debian/Ubuntu, as root: apt-get update && apt-get install -y $package" >&2
      echo "  Or point $variable at an installed $note binary." >&2
      exit 1
    fi
  fi
  "$binary" --version 2>/dev/null | head -1 >&2 || true
}

# One vitest suite with a JSON report, then its two summary lines ("LABEL suite: S s wall
# clock", "LABEL tests: N passed, M failed"); fails when a test failed or none ran.
#   run_vitest_report SCRIPT CONFIG REPORT LABEL [VARIABLE=VALUE ...]
run_vitest_report() {
  local script=$1 config=$2 report=$3 label=$4
  shift 4
  mkdir -p "$(dirname "$report")"
  rm -f "$report"
  local start status=0 elapsed
  start=$(date +%s.%N)
  (
    cd "$root/test" || exit 1
    for assignment in "$@"; do export "${assignment?}"; done
    pnpm_run exec vitest run --config "$config" --reporter=default --reporter=json --outputFile="$report"
  ) || status=$?
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  if [ ! -f "$report" ]; then
    echo "$script: vitest wrote no report (exit $status)" >&2
    echo "$label tests: 0 passed, 1 failed"
    return 1
  fi
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${process.argv[3]} suite: ${process.argv[2]} s wall clock`);
    console.log(`${process.argv[3]} tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    process.exit(r.numFailedTests > 0 || r.numPassedTests === 0 ? 1 : 0);
  ' "$report" "$elapsed" "$label" || status=1
  return "$status"
}

setup_and_build() {
  cd "$root"
  step "toolchain"
  bash scripts/setup-toolchain.sh
  # shellcheck disable=SC1091
  source target/toolchain.env
  step "dependencies (pnpm $PNPM_VERSION, frozen lockfile)"
  pnpm_run install --frozen-lockfile --reporter=append-only >&2
  step "wasm variants"
  bash scripts/build-wasm.sh
  step "package"
  pnpm_run --filter cosinekit run build >&2
}
