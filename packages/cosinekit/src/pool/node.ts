// Node built-ins for the pool, reached through `process.getBuiltinModule` (Node ≥ 20.16) or
// an import with a computed specifier, so that no bundler ever tries to resolve a `node:`
// module for a browser build. Shared by the pool (platform.ts) and its workers
// (port.ts).

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): NodeProcess | null {
  const candidate = (globalThis as { process?: NodeProcess }).process;
  return typeof candidate?.versions?.node === 'string' ? candidate : null;
}

/** A Node built-in module, or null outside Node. */
export async function nodeBuiltin<T>(id: string): Promise<T | null> {
  const node = nodeProcess();
  if (node === null) return null;
  if (typeof node.getBuiltinModule === 'function') return (node.getBuiltinModule(id) as T | undefined) ?? null;
  const specifier = id;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}
