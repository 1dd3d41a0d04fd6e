#!/usr/bin/env bash
# Package hygiene of packages/cosinekit (run after the package is built):
#   1. publint (strict: warnings fail)          — package.json fields, exports, files
#   2. @arethetypeswrong/cli (attw, strict)     — types resolve for import and require, node10/16, bundlers
#   3. npm pack --dry-run --json                — the tarball holds the dist files and nothing
#      unneeded; the three wasm variants are embedded (base64) once in the ESM build and once
#      in the CJS build; packed size within the budget (COSINEKIT_PACKED_BUDGET bytes, default
#      700 KiB: the storage-format kernels doubled each module to ~165 kB, six embedded copies;
#      per-variant .wasm assets, the packaging issue's plan, are what brings it down again).
# publint and attw are pinned devDependencies of test/ (no download at run time).
# Last line: `package checks: N passed, M failed`; exits non-zero if any failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
package="${COSINEKIT_PACKAGE_DIR:-$root/packages/cosinekit}" # override only to test this script on a broken copy
bin="$root/test/node_modules/.bin"
budget="${COSINEKIT_PACKED_BUDGET:-716800}"
passed=0
failed=0

check() { # check NAME COMMAND...: runs it, counts it
  local name="$1"
  shift
  step "$name"
  if "$@"; then
    passed=$((passed + 1))
    printf 'ok: %s\n' "$name"
  else
    failed=$((failed + 1))
    printf 'FAILED: %s\n' "$name"
  fi
}

for file in index.js index.cjs index.d.ts index.d.cts; do
  if [ ! -f "$package/dist/$file" ]; then
    echo "check-package: packages/cosinekit/dist/$file is missing: build the package first" >&2
    echo "  (bash scripts/build-wasm.sh && cd packages/cosinekit && npx --yes pnpm@$PNPM_VERSION run build)" >&2
    exit 1
  fi
done
if [ ! -x "$bin/publint" ] || [ ! -x "$bin/attw" ]; then
  step "installing the pinned devDependencies (publint, attw are in test/package.json)"
  (cd "$root" && pnpm_run install --frozen-lockfile --reporter=append-only >&2) || {
    echo "check-package: could not install test/'s devDependencies; run: npx --yes pnpm@$PNPM_VERSION install" >&2
    exit 1
  }
fi

attw_check() {
  # JSON, so that "this package does not contain types" (exit code 0!) fails too.
  # --no-definitely-typed: never look up @types (the package ships its own types).
  local report
  report="$("$bin/attw" --pack "$package" --no-definitely-typed --profile strict --format json)"
  local status=$?
  ATTW_JSON="$report" node --input-type=module <<'NODE' && [ "$status" -eq 0 ]
const { analysis, problems } = JSON.parse(process.env.ATTW_JSON);
if (!analysis.types) {
  console.error('attw: the package has no types (is dist/index.d.ts missing?)');
  process.exit(1);
}
for (const [entry, info] of Object.entries(analysis.entrypoints)) {
  for (const [kind, resolution] of Object.entries(info.resolutions)) {
    const types = resolution.resolution?.fileName?.replace('/node_modules/cosinekit/', '') ?? 'UNRESOLVED';
    console.log(`  ${JSON.stringify(entry).padEnd(16)} ${kind.padEnd(11)} -> ${types}`);
  }
}
const found = Object.entries(problems ?? {});
for (const [kind, list] of found) console.error(`attw problem ${kind}: ${JSON.stringify(list)}`);
console.log(found.length === 0 ? 'attw: no problems' : `attw: ${found.length} kinds of problem`);
process.exit(found.length === 0 ? 0 : 1);
NODE
}

# publint packs with the package manager it detects; pnpm may not be on PATH, npm always is.
check "publint $("$bin/publint" --version 2>/dev/null | tr -dc '0-9.')" "$bin/publint" run --pack npm --strict "$package"
check "attw $("$bin/attw" --version 2>/dev/null | head -1 | tr -dc '0-9.') (profile strict)" attw_check

pack_contents() {
  local listing
  listing="$(cd "$package" && npm pack --dry-run --json --ignore-scripts 2>/dev/null)" || {
    echo "npm pack --dry-run failed" >&2
    return 1
  }
  PACK_JSON="$listing" PACKAGE_DIR="$package" BUDGET="$budget" node --input-type=module <<'NODE'
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [entry] = JSON.parse(process.env.PACK_JSON);
const packageDir = process.env.PACKAGE_DIR;
const budget = Number(process.env.BUDGET);
const problems = [];
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

console.log(`${entry.filename}: ${entry.entryCount} files`);
for (const file of entry.files) console.log(`  ${String(file.size).padStart(8)}  ${file.path}`);

// Exactly what a user needs: the entry points (`cosinekit`, `cosinekit/pool`) and their types,
// the worker-pool script that createPool() starts in each worker (ESM and CJS), the chunks
// they share (code and declarations), and package.json (README/LICENSE/CHANGELOG allowed).
const required = [
  'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts',
  'dist/pool.js', 'dist/pool.cjs', 'dist/pool.d.ts', 'dist/pool.d.cts',
  'dist/pool-worker.js', 'dist/pool-worker.cjs', 'package.json',
  // `cosinekit/pool` for resolvers without export maps (node10, old bundlers).
  'pool/package.json',
];
const optional = /^((README|LICENSE|LICENCE|COPYING|CHANGELOG|NOTICE)(\.[A-Za-z-]+)?|dist\/chunk-[A-Z0-9]+\.c?js|dist\/[a-z]+-[A-Za-z0-9_-]+\.d\.c?ts)$/i;
const paths = entry.files.map((file) => file.path);
for (const path of required) if (!paths.includes(path)) problems.push(`missing from the tarball: ${path}`);
for (const path of paths) if (!required.includes(path) && !optional.test(path)) problems.push(`not needed in the tarball: ${path}`);
if (!paths.some((path) => /^README/i.test(path))) console.log('note: no README in the tarball (the registry page would be empty)');
if (!paths.some((path) => /^(LICENSE|LICENCE|COPYING)/i.test(path))) console.log('note: no LICENSE file in the tarball');

// The three wasm variants, embedded as base64 in both builds ('AGFzbQ' is "\0asm" in base64).
const built = Object.fromEntries(
  ['scalar', 'simd128', 'relaxed']
    .map((variant) => [variant, join(packageDir, 'wasm', `cosinekit-${variant}.wasm`)])
    .filter(([, path]) => existsSync(path))
    .map(([variant, path]) => [variant, readFileSync(path).toString('base64')]),
);
for (const [file, suffix] of [['the ESM build', '.js'], ['the CJS build', '.cjs']]) {
  const source = paths
    .filter((path) => path.startsWith('dist/') && path.endsWith(suffix) && !path.endsWith(`.d${suffix}`))
    .map((path) => readFileSync(join(packageDir, path), 'utf8'))
    .join('\n');
  const modules = [...source.matchAll(/["'`](AGFzbQ[A-Za-z0-9+/]*={0,2})["'`]/g)].map((match) => match[1]);
  const distinct = [...new Set(modules)];
  const variants = distinct.map((base64) => {
    const bytes = Buffer.from(base64, 'base64');
    const header = bytes.subarray(0, 8).toString('hex');
    if (header !== '0061736d01000000') problems.push(`${file}: an embedded module has header ${header}, not \\0asm version 1`);
    const name = Object.keys(built).find((variant) => built[variant] === base64) ?? 'unknown';
    return `${name} ${bytes.length} B${WebAssembly.validate(bytes) ? '' : ' (does not validate in this Node)'}`;
  });
  console.log(`${file}: ${distinct.length} embedded wasm modules: ${variants.join(', ')}`);
  if (distinct.length !== 3) problems.push(`${file}: expected 3 embedded wasm modules, found ${distinct.length}`);
  if (Object.keys(built).length === 3) {
    for (const variant of Object.keys(built)) {
      if (!distinct.includes(built[variant])) problems.push(`${file}: the embedded modules do not include wasm/cosinekit-${variant}.wasm as built`);
    }
  }
}

console.log(`size: ${entry.size} bytes packed (${kib(entry.size)}), ${entry.unpackedSize} bytes unpacked (${kib(entry.unpackedSize)}); budget ${kib(budget)} packed`);
if (entry.size > budget) problems.push(`packed size ${entry.size} bytes exceeds the budget of ${budget} bytes`);
for (const problem of problems) console.error(`problem: ${problem}`);
process.exit(problems.length === 0 ? 0 : 1);
NODE
}
check "npm pack --dry-run: contents, embedded wasm, size budget" pack_contents

echo
echo "package checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
