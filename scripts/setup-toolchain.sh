#!/usr/bin/env bash
# Makes this machine able to build cosinekit's wasm variants and run the Rust tests, then
# writes the chosen toolchain to target/toolchain.env (sourced by build-wasm.sh and test.sh).
#
# Paths, tried in order:
#   1. a rustc that already has the wasm32-unknown-unknown target (rustup elsewhere):
#      plain `cargo build --target wasm32-unknown-unknown`;
#   2. Debian's rustc-web (/usr/bin/rustc) with its library sources (rust-web-src) and
#      wasm-ld (lld): `core` is built for wasm32 from those sources (-Zbuild-std=core);
#   3. neither, but apt-get works as root: install path 2's packages, then use it;
#   4. otherwise: stop and say exactly what is missing.
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
env_file="$root/target/toolchain.env"
mkdir -p "$root/target"
debian_packages="rustc-web cargo-web rust-web-src lld-19"

log() { printf 'setup-toolchain: %s\n' "$*" >&2; }

has_wasm_sysroot() { # $1 = rustc
  local sysroot
  sysroot="$("$1" --print sysroot 2>/dev/null)" || return 1
  [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}

find_wasm_linker() {
  local candidate
  for candidate in wasm-ld wasm-ld-19 wasm-ld-20 wasm-ld-18 wasm-ld-17 wasm-ld-16; do
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
  done
  return 1
}

debian_vendor_dir() { # the vendored std dependencies of Debian's rust-web-src
  local dir
  for dir in /usr/lib/rustlib/src/rust/library/vendor /usr/src/rustc-*/library/vendor; do
    if [ -d "$dir" ]; then (cd "$dir" && pwd -P); return 0; fi
  done
  return 1
}

debian_ready() {
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && debian_vendor_dir >/dev/null && find_wasm_linker >/dev/null
}

write_env() { # mode rustc cargo linker vendor
  cat > "$env_file" <<ENV
# Written by scripts/setup-toolchain.sh; not committed.
TOOLCHAIN_MODE=$1
WASM_RUSTC=$2
WASM_CARGO=$3
WASM_LINKER=$4
WASM_VENDOR_DIR=$5
NATIVE_CARGO=$6
ENV
  log "using $1 toolchain: $("$2" --version)"
}

native_cargo() {
  if command -v cargo >/dev/null 2>&1 && cargo --version >/dev/null 2>&1; then command -v cargo; else echo /usr/bin/cargo; fi
}

active_rustc="$(command -v rustc || true)"
if [ -n "$active_rustc" ] && has_wasm_sysroot "$active_rustc"; then
  write_env rustup "$active_rustc" "$(command -v cargo)" "" "" "$(native_cargo)"
  exit 0
fi

if ! debian_ready; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "no rustc with a wasm32 target; installing Debian's: $debian_packages"
    # shellcheck disable=SC2086
    debian_install $debian_packages
  fi
fi

if debian_ready; then
  write_env debian-build-std /usr/bin/rustc /usr/bin/cargo "$(find_wasm_linker)" "$(debian_vendor_dir)" "$(native_cargo)"
  exit 0
fi

cat >&2 <<MSG
setup-toolchain: cannot build WebAssembly here. Any one of these fixes it:
  - rustup:  rustup target add wasm32-unknown-unknown
  - Debian:  apt-get install $debian_packages   (as root; gives /usr/bin/rustc,
             its library sources under /usr/lib/rustlib/src and wasm-ld-19)
Found: rustc on PATH: ${active_rustc:-none}; /usr/bin/rustc: $([ -x /usr/bin/rustc ] && echo yes || echo no);
       std sources: $(debian_vendor_dir 2>/dev/null || echo none); wasm-ld: $(find_wasm_linker 2>/dev/null || echo none)
MSG
exit 1
