// The built declarations compile in strict consumer projects: the ES2022 lib with no
// @types/node and skipLibCheck off, under moduleResolution bundler and node16; and `using`
// works where the lib has explicit resource management. The projects are types/tsconfig.*.json.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const here = fileURLToPath(new URL('./types/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** tsc's diagnostics for one project ('' when it compiles). */
function compile(project: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { cwd: here, encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

test.each(['tsconfig.bundler.json', 'tsconfig.node16.json'])('ES2022 lib, no @types/node, skipLibCheck false (%s): no errors', (project) => {
  expect(compile(project)).toBe('');
});

test('with the DOM lib, WebAssembly.Module, URL and Response are module sources (tsconfig.dom.json)', () => {
  expect(compile('tsconfig.dom.json')).toBe('');
});

test('`using` with the ESNext lib (tsconfig.using.json)', () => {
  expect(compile('tsconfig.using.json')).toBe('');
});
