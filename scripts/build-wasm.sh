#!/usr/bin/env bash
# Builds the three wasm variants of crates/cosinekit-wasm and embeds them into the
# TypeScript package (packages/cosinekit/src/wasm/*.generated.ts, not committed), and the
# test-only crates/cosinekit-checks module of each variant (for the JS tests; never shipped).
#   scalar   -C target-feature=-simd128             every engine with wasm
#   simd128  -C target-feature=+simd128             all current engines
#   relaxed  -C target-feature=+simd128,+relaxed-simd   Chrome ≥ 114, Firefox ≥ 120, Node ≥ 22
# Each variant has its own target dir, so the wasm32 `core` is cached per feature set.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -f "$root/target/toolchain.env" ] || bash "$root/scripts/setup-toolchain.sh"
# shellcheck disable=SC1091
source "$root/target/toolchain.env"
out_dir="$root/packages/cosinekit/wasm"
mkdir -p "$out_dir"

for variant in scalar simd128 relaxed; do
  case "$variant" in
    scalar) features="-simd128" ;;
    simd128) features="+simd128" ;;
    relaxed) features="+simd128,+relaxed-simd" ;;
  esac
  target_dir="$root/target/wasm-$variant"
  flags="-C target-feature=$features"
  # SIMD variants: no loop strength reduction, so LLVM keeps the micro-kernel's constant
  # load offsets (V8 folds them into addressing modes; see crates/cosinekit-core/src/gemm/kernel.rs).
  [ "$variant" = scalar ] || flags="$flags -C llvm-args=-disable-lsr"
  extra=()
  if [ "$TOOLCHAIN_MODE" = debian-build-std ]; then
    flags="$flags -C linker=$WASM_LINKER"
    extra=(-Zbuild-std=core --offline
      --config "source.crates-io.replace-with=\"vendored-std\""
      --config "source.vendored-std.directory=\"$WASM_VENDOR_DIR\"")
    export RUSTC_BOOTSTRAP=1
  fi
  printf 'build-wasm: %s (%s)\n' "$variant" "$features" >&2
  (cd "$root" && RUSTC="$WASM_RUSTC" RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
    "$WASM_CARGO" build --quiet --release --target wasm32-unknown-unknown -p cosinekit-wasm -p cosinekit-checks "${extra[@]}")
  cp "$target_dir/wasm32-unknown-unknown/release/cosinekit_wasm.wasm" "$out_dir/cosinekit-$variant.wasm"
  cp "$target_dir/wasm32-unknown-unknown/release/cosinekit_checks.wasm" "$out_dir/checks-$variant.wasm"
done

node "$root/scripts/embed-wasm.mjs" "$out_dir" "$root/packages/cosinekit/src/wasm"
