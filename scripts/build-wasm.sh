#!/usr/bin/env bash
# Builds the three wasm variants of crates/cosinekit-wasm, strips them with wasm-opt (the
# binaryen npm package, a devDependency of packages/cosinekit: a JS/wasm build, offline),
# writes them to packages/cosinekit/wasm/cosinekit-<variant>.wasm (the default entry's
# assets, copied into dist/ by tsup) beside each variant's core module
# cosinekit-<variant>-core.wasm (the crate without its `full` feature: no losses, no storage
# formats; what a page that imports neither loads), and embeds the whole modules for `cosinekit/inline`
# (packages/cosinekit/src/wasm/*.generated.ts, not committed); and the test-only
# crates/cosinekit-checks module of each variant (for the JS tests; never shipped).
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
wasm_opt="$root/packages/cosinekit/node_modules/binaryen/bin/wasm-opt"
if [ ! -f "$wasm_opt" ]; then
  echo "build-wasm: $wasm_opt is missing: run npx --yes pnpm@10.34.8 install --frozen-lockfile" >&2
  exit 1
fi

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
  # Only --strip-debug/--strip-producers (no custom sections in the shipped module), with
  # exactly the features rustc's output uses (sign-ext, bulk memory, saturating
  # float-to-int; +simd128, +relaxed-simd), so that wasm-opt neither refuses an instruction
  # nor introduces a feature the variant's engines may lack. No optimisation passes: -O3
  # saved 6 % of the gzipped bytes but made V8's code for the integer and binary top-k
  # loops 1.5-1.7x slower (bench/modules.mjs, simd128, Node 20; -O1 1.1-1.2x, -Oz 1.5x).
  opt_features=(--mvp-features --enable-sign-ext --enable-bulk-memory --enable-nontrapping-float-to-int)
  case "$variant" in
    simd128) opt_features+=(--enable-simd) ;;
    relaxed) opt_features+=(--enable-simd --enable-relaxed-simd) ;;
  esac
  built="$target_dir/wasm32-unknown-unknown/release/cosinekit_wasm.wasm"
  node "$wasm_opt" "$built" "${opt_features[@]}" --strip-debug --strip-producers -o "$out_dir/cosinekit-$variant.wasm"
  printf 'build-wasm: %s: %s bytes from rustc, %s after wasm-opt\n' "$variant" "$(wc -c <"$built")" "$(wc -c <"$out_dir/cosinekit-$variant.wasm")" >&2
  cp "$target_dir/wasm32-unknown-unknown/release/cosinekit_checks.wasm" "$out_dir/checks-$variant.wasm"
  # The core module: the same crate without `full` (cosinekit-core is compiled once for both).
  (cd "$root" && RUSTC="$WASM_RUSTC" RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
    "$WASM_CARGO" build --quiet --release --target wasm32-unknown-unknown -p cosinekit-wasm --no-default-features "${extra[@]}")
  node "$wasm_opt" "$built" "${opt_features[@]}" --strip-debug --strip-producers -o "$out_dir/cosinekit-$variant-core.wasm"
  printf 'build-wasm: %s core: %s bytes after wasm-opt\n' "$variant" "$(wc -c <"$out_dir/cosinekit-$variant-core.wasm")" >&2
done

node "$root/scripts/embed-wasm.mjs" "$out_dir" "$root/packages/cosinekit/src/wasm"
