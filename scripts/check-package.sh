#!/usr/bin/env bash
# Package hygiene of packages/cosinekit (run after the package is built):
#   1. publint (strict: warnings fail)          — package.json fields, exports, files
#   2. @arethetypeswrong/cli (attw, strict)     — types resolve for import and require, node10/16, bundlers
#   3. npm pack --dry-run --json                — the tarball holds the dist files, the README,
#      licences and changelog, and nothing unneeded; the six .wasm assets (each variant's full and
#      core module) are the modules build-wasm.sh wrote; the three variants are inlined (base64) only in cosinekit/inline
#      (once in its ESM build, once in its CJS build), never in the default entry's files;
#      packed size within the budget (COSINEKIT_PACKED_BUDGET bytes, default 1 250 000). The
#      measured ~945 KiB (0.1.0; rustc's code, only stripped) is the three assets (~215 KiB
#      gzipped) plus the two inlined copies (~290 KiB gzipped each) plus ~140 KiB of JS, types
#      and docs; the losses of issue #17 brought it to ~1 035 000 B (supConLoss ~6 kB per
#      module, carried three times: the asset and the two inlined copies), the quantised
#      top-k's kernels to ~1 102 000 B, the core modules (~85 KiB gzipped in all) to ~1 190 000 B.
#      test/package.test.ts packs the real tarball and checks it file by file.
# publint and attw are pinned devDependencies of test/ (no download at run time).
# Last line: `package checks: N passed, M failed`; exits non-zero if any failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
package="${COSINEKIT_PACKAGE_DIR:-$root/packages/cosinekit}" # override only to test this script on a broken copy
bin="$root/test/node_modules/.bin"
budget="${COSINEKIT_PACKED_BUDGET:-1250000}"
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

// Exactly what a user needs: the entry points (`cosinekit`, `cosinekit/inline`,
// `cosinekit/pool`) and their types, the worker-pool script that createPool() starts in each
// worker (ESM and CJS), the chunks they share (code and declarations), the default entry's
// .wasm assets, package.json, the README, the licences and the changelog.
const VARIANTS = ['scalar', 'simd128', 'relaxed'];
// Each variant's full module and its core module (no losses, no storage formats).
const ASSETS = VARIANTS.flatMap((variant) => [`cosinekit-${variant}.wasm`, `cosinekit-${variant}-core.wasm`]);
const required = [
  ...['index', 'inline', 'pool'].flatMap((name) => [`dist/${name}.js`, `dist/${name}.cjs`, `dist/${name}.d.ts`, `dist/${name}.d.cts`]),
  'dist/pool-worker.js', 'dist/pool-worker.cjs',
  ...ASSETS.map((file) => `dist/${file}`),
  'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE-MIT', 'LICENSE-APACHE',
  // `cosinekit/pool` and `cosinekit/inline` for resolvers without export maps (node10, old bundlers).
  'pool/package.json', 'inline/package.json',
];
const optional = /^(dist\/chunk-[A-Z0-9]+\.c?js|dist\/[a-z]+-[A-Za-z0-9_-]+\.d\.c?ts)$/;
const paths = entry.files.map((file) => file.path);
for (const path of required) if (!paths.includes(path)) problems.push(`missing from the tarball: ${path}`);
for (const path of paths) if (!required.includes(path) && !optional.test(path)) problems.push(`not needed in the tarball: ${path}`);

// The assets are the modules as built; the inlined copies are in cosinekit/inline only.
const built = Object.fromEntries(
  ASSETS.map((file) => [file, join(packageDir, 'wasm', file)])
    .filter(([, path]) => existsSync(path))
    .map(([file, path]) => [file, readFileSync(path)]),
);
for (const file of ASSETS) {
  const asset = join(packageDir, 'dist', file);
  if (!existsSync(asset) || !built[file]) continue;
  const bytes = readFileSync(asset);
  if (!bytes.equals(built[file])) problems.push(`dist/${file} is not wasm/${file} as built`);
  console.log(`asset ${file}: ${bytes.length} B${WebAssembly.validate(bytes) ? '' : ' (does not validate in this Node)'}`);
}
const embedded = (path) => {
  const source = readFileSync(join(packageDir, path), 'utf8');
  return [...new Set([...source.matchAll(/["'`](AGFzbQ[A-Za-z0-9+/]*={0,2})["'`]/g)].map((match) => match[1]))];
};
const scripts = paths.filter((path) => /^dist\/.*\.c?js$/.test(path));
for (const [label, entryFile, suffix] of [['the ESM build', 'dist/inline.js', '.js'], ['the CJS build', 'dist/inline.cjs', '.cjs']]) {
  // cosinekit/inline's closure: its entry file and the chunks it imports.
  const closure = new Set([entryFile]);
  for (const file of closure) {
    const source = readFileSync(join(packageDir, file), 'utf8');
    for (const match of source.matchAll(/(?:from |require\()["'](\.\/chunk-[A-Z0-9]+\.c?js)["']/g)) closure.add(`dist/${match[1].slice(2)}`);
  }
  const modules = [...closure].flatMap(embedded);
  const names = modules.map((base64) => VARIANTS.find((variant) => built[`cosinekit-${variant}.wasm`]?.toString('base64') === base64) ?? 'unknown');
  console.log(`cosinekit/inline, ${label}: ${modules.length} inlined modules: ${names.join(', ')}`);
  if (modules.length !== 3 || VARIANTS.some((variant) => built[`cosinekit-${variant}.wasm`] && !names.includes(variant))) {
    problems.push(`cosinekit/inline (${label}) should inline the three modules as built, found ${names.join(', ') || 'none'}`);
  }
  for (const file of scripts.filter((path) => path.endsWith(suffix) && !closure.has(path))) {
    // Chunks cosinekit/inline does not import (the default entry, the pool) inline nothing.
    if (embedded(file).length > 0) problems.push(`${file} inlines a wasm module: only cosinekit/inline may`);
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
