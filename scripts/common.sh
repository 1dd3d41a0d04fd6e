# Shared by test.sh and bench.sh: set up what is missing, then build everything.
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

# Debian packages, as root: waits up to 15 minutes for another apt/dpkg run to let go of
# the package lock (a fresh machine may still be installing something) instead of failing.
debian_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq "$@" >&2
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
