// The published tarball, as `npm pack` makes it from the built package: exactly the files a
// user needs (no sources, tests or benchmarks), the README with no relative links, the
// licences and changelog, the .wasm assets as built, sizes within budgets derived from the
// measured ones. Then the tarball installed into a fresh project (from the file: nothing is
// fetched, the package has no dependencies): it runs in Node from both entries, and the
// README's TypeScript snippets compile against it under strict settings, moduleResolution
// bundler and node16, the ES2022 lib only, skipLibCheck off.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const packageDirectory = fileURLToPath(new URL('../packages/cosinekit/', import.meta.url));
const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const VARIANTS = ['scalar', 'simd128', 'relaxed'] as const;

/**
 * Budgets, from the sizes measured for 0.1.0 (rustc's code, stripped by wasm-opt; see
 * scripts/build-wasm.sh and check-package.sh): each asset 184–197 kB raw, 71–78 kB gzipped
 * (the blocked losses, SigLIP and MNRL added ~19 kB; tripletLoss and mocoLoss ~7 kB to 192–204 kB;
 * the quantised top-k's cached norms, streamed one-query passes and eight-query binary groups
 * ~13–18 kB to 210–217 kB raw, 79–85 kB gzipped; with supConLoss too 216–224 kB raw, 81–88 kB
 * gzipped); the tarball ~950 kB, ~1 005 kB with tripletLoss and mocoLoss, ~1 102 kB with
 * supConLoss and the quantised top-k's kernels. About 4–5 % headroom. The core modules
 * (no losses, no storage formats) 66.5–76.0 kB raw, 27.6–30.6 kB gzipped; with them the
 * tarball ~1 193 kB.
 */
const ASSET_RAW_BUDGET = 235_000;
const ASSET_GZIP_BUDGET = 92_000;
const CORE_RAW_BUDGET = 80_000;
const CORE_GZIP_BUDGET = 32_000;
const PACKED_BUDGET = 1_250_000;
/** Every asset of the default entry: each variant's full module and its core module. */
const ASSETS = VARIANTS.flatMap((variant) => [`cosinekit-${variant}.wasm`, `cosinekit-${variant}-core.wasm`]);

let work: string;
let tarball: string;
let entries: Map<string, Buffer>;

/** The files of a .tgz: a ustar archive, gzipped (names up to 100 bytes plus the prefix field). */
function untar(archive: Buffer): Map<string, Buffer> {
  const data = gunzipSync(archive);
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= data.length; ) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) => header.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '');
    const name = [text(345, 155), text(0, 100)].filter(Boolean).join('/');
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1);
    if (type === '0' || type === '') files.set(name, data.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cosinekit-pack-'));
  const output = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: packageDirectory, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(output) as [{ filename: string }];
  tarball = join(work, filename);
  entries = new Map([...untar(readFileSync(tarball))].map(([name, bytes]) => [name.replace(/^package\//, ''), bytes]));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack: what the tarball holds', () => {
  test('exactly the entry points, their chunks and types, the assets, and the package documents', () => {
    const required = [
      ...['index', 'inline', 'pool'].flatMap((name) => [`dist/${name}.js`, `dist/${name}.cjs`, `dist/${name}.d.ts`, `dist/${name}.d.cts`]),
      'dist/pool-worker.js',
      'dist/pool-worker.cjs',
      ...ASSETS.map((file) => `dist/${file}`),
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE-MIT',
      'LICENSE-APACHE',
      'pool/package.json',
      'inline/package.json',
    ];
    const names = [...entries.keys()].sort();
    expect(names.filter((name) => !required.includes(name) && !/^dist\/(chunk-[A-Z0-9]+\.c?js|[a-z]+-[A-Za-z0-9_-]+\.d\.c?ts)$/.test(name))).toEqual([]);
    expect(required.filter((name) => !entries.has(name))).toEqual([]);
    expect(names.filter((name) => /(^|\/)(src|test|bench|node_modules|wasm)\/|\.ts$|tsconfig|tsup|\.map$/.test(name) && !/\.d\.c?ts$/.test(name))).toEqual([]);
  });

  test('the .wasm assets are the modules build-wasm.sh wrote, within their size budgets', () => {
    for (const file of ASSETS) {
      const packed = entries.get(`dist/${file}`)!;
      expect(packed.equals(readFileSync(join(packageDirectory, 'wasm', file))), file).toBe(true);
      expect(packed.subarray(0, 8).toString('hex')).toBe('0061736d01000000');
      const core = file.endsWith('-core.wasm');
      expect(packed.length, `${file} raw bytes`).toBeLessThanOrEqual(core ? CORE_RAW_BUDGET : ASSET_RAW_BUDGET);
      const gzipped = execFileSync('gzip', ['-9c'], { input: packed }).length;
      console.info(`dist/${file}: ${packed.length} B raw, ${gzipped} B gzip -9`);
      expect(gzipped, `${file} gzip bytes`).toBeLessThanOrEqual(core ? CORE_GZIP_BUDGET : ASSET_GZIP_BUDGET);
    }
    const packedSize = readFileSync(tarball).length;
    console.info(`tarball: ${packedSize} B`);
    expect(packedSize).toBeLessThanOrEqual(PACKED_BUDGET);
  });

  test('README: the repository README with every relative link made absolute', () => {
    const packed = entries.get('README.md')!.toString('utf8');
    const source = readFileSync(readmePath, 'utf8');
    const links = [...packed.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((target) => !/^(https?:|mailto:|#)/.test(target))).toEqual([]);
    // Same text otherwise: stripping the repository prefix gives the source back.
    expect(packed.replace(/https:\/\/github\.com\/cosinekit\/cosinekit\/(blob|raw)\/main\//g, '')).toBe(source);
  });

  test('licences, changelog and metadata', () => {
    const mit = entries.get('LICENSE-MIT')!.toString('utf8');
    expect(mit).toMatch(/^MIT License\n\nCopyright \(c\) 2026 The cosinekit authors\n/);
    expect(mit).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
    const apache = entries.get('LICENSE-APACHE')!.toString('utf8');
    expect(apache).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(apache).toContain('END OF TERMS AND CONDITIONS');
    const manifest = JSON.parse(entries.get('package.json')!.toString('utf8')) as Record<string, unknown>;
    expect(manifest.license).toBe('MIT OR Apache-2.0');
    expect(manifest.repository).toEqual({ type: 'git', url: 'git+https://github.com/cosinekit/cosinekit.git', directory: 'packages/cosinekit' });
    expect(manifest.homepage).toMatch(/^https:\/\/github\.com\/cosinekit\/cosinekit/);
    expect(manifest.bugs).toEqual({ url: 'https://github.com/cosinekit/cosinekit/issues' });
    expect(manifest.dependencies).toBeUndefined();
    const changelog = entries.get('CHANGELOG.md')!.toString('utf8');
    expect(changelog).toMatch(new RegExp(`^## \\[${String(manifest.version).replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
    expect(changelog).toContain('Keep a Changelog');
  });
});

/** The README's ```ts fences, in order. */
function readmeSnippets(): string[] {
  const readme = readFileSync(readmePath, 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/**
 * The README's placeholders (the user's data and callbacks), declared with the types a user
 * would have. A new placeholder in the README fails the compile until it is declared here.
 */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  embeddingA: 'Float32Array',
  embeddingB: 'Float32Array',
  embeddings: 'Float32Array',
  queries: 'Float32Array',
  corpus: 'Float32Array',
  queryEmbeddings: 'Float32Array',
  keys: 'Float32Array',
  query: '{ data: Float32Array; shape: number[] }',
  n: 'number',
  m: 'number',
  q: 'number',
  a: '{ data: Float32Array; shape: number[] }',
  b: '{ data: Float32Array; shape: number[] }',
  save: '(rowStart: number, rows: number, data: Float32Array) => void',
  saveToDisk: '(value: object) => void',
  wasmBytes: 'ArrayBuffer',
};

/** A snippet as a module: its placeholders declared; the package's exports it uses imported when it imports nothing itself. */
function snippetModule(snippet: string, exportNames: readonly string[]): string {
  const used = (name: string) => new RegExp(`(?<![.\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(snippet);
  // Names the snippet binds itself: `const x`, `const { x, y }`, `const [x]`, `function x`, `import { x }`.
  const bound = new Set<string>();
  for (const match of snippet.matchAll(/\b(?:const|let|var|import)\s+(\{[^}]*\}|\[[^\]]*\]|[\w$]+)|\bfunction\s+([\w$]+)/g)) {
    for (const name of (match[1] ?? match[2] ?? '').matchAll(/[\w$]+/g)) bound.add(name[0]);
  }
  const declaredHere = (name: string) => bound.has(name);
  const lines = Object.entries(PLACEHOLDERS)
    .filter(([name]) => used(name) && !declaredHere(name))
    .map(([name, type]) => `declare const ${name}: ${type};`);
  if (!/^\s*import\s/m.test(snippet)) {
    const names = exportNames.filter((name) => used(name) && !declaredHere(name));
    if (names.length > 0) lines.unshift(`import { ${names.join(', ')} } from 'cosinekit';`);
  }
  return `${lines.join('\n')}\n${snippet}\nexport {};\n`;
}

describe('the tarball installed into a fresh project', () => {
  let project: string;

  beforeAll(() => {
    project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', tarball], { cwd: project, stdio: 'pipe' });
  }, 120_000);

  // Node's CLI flags (`--input-type=module -e`), which Deno's CLI does not take; under Deno,
  // runtimes/runtime.test.ts loads both entries with `deno run`.
  test.skipIf('Deno' in globalThis)('runs in Node: the default entry (ESM, CJS) and cosinekit/inline', () => {
    const esm = `import { init, cosine } from 'cosinekit'; import * as inline from 'cosinekit/inline';
const info = await init(); console.log(JSON.stringify({ variant: info.variant, cos: cosine([3, 4], [4, 3]), inline: inline.cosine === cosine }));`;
    const fromEsm = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd: project, encoding: 'utf8' })) as { cos: number; inline: boolean; variant: string };
    expect(Math.abs(fromEsm.cos - 24 / 25)).toBeLessThanOrEqual(1e-6);
    expect(fromEsm.inline).toBe(true);
    const cjs = `const { initSync, cosine } = require('cosinekit'); const info = initSync({ variant: 'scalar' }); console.log(JSON.stringify({ variant: info.variant, cos: cosine([1, 0], [1, 1]) }));`;
    const fromCjs = JSON.parse(execFileSync(process.execPath, ['-e', cjs], { cwd: project, encoding: 'utf8' })) as { cos: number; variant: string };
    expect(fromCjs.variant).toBe('scalar');
    expect(Math.abs(fromCjs.cos - Math.SQRT1_2)).toBeLessThanOrEqual(1e-6);
  });

  test.each(['bundler', 'node16'] as const)("the README's ts snippets compile against it (strict, ES2022 lib, skipLibCheck false, %s)", async (resolution) => {
    const snippets = readmeSnippets();
    expect(snippets.length).toBeGreaterThanOrEqual(4);
    const exportNames = Object.keys(await import('cosinekit'));
    const directory = join(project, `snippets-${resolution}`);
    mkdirSync(directory);
    const files = snippets.map((snippet, index) => {
      const file = `snippet-${index + 1}.ts`;
      writeFileSync(join(directory, file), snippetModule(snippet, exportNames));
      return file;
    });
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022'],
        module: resolution === 'bundler' ? 'esnext' : 'node16',
        moduleResolution: resolution,
        types: [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files,
    };
    writeFileSync(join(directory, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    let diagnostics = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: directory, encoding: 'utf8' });
    } catch (error) {
      diagnostics = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(diagnostics).toBe('');
    // The compile used the installed tarball's declarations, not the workspace's.
    const resolved = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--traceResolution'], { cwd: directory, encoding: 'utf8' });
    expect(resolved).toMatch(/Module name 'cosinekit' was successfully resolved to '[^']*consumer\/node_modules\/cosinekit\/dist\/index\.d\.ts'/);
  });
});
