// Starting worker threads on each platform, behind one small interface: Node's
// `worker_threads` (see node.ts), or the browser's module `Worker`. Also: how many cores
// there are, and whether SharedArrayBuffers can be posted to workers here. The worker's own
// side of the channel is port.ts (kept apart, so the worker bundle never contains the
// `new Worker(...)` pattern bundlers look for).

import { nodeBuiltin } from './node.js';
import type { PoolReply, PoolRequest } from './protocol.js';

/** The part of a Node `Worker` (worker_threads) the pool uses. */
interface NodeWorker {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: string, listener: (value: unknown) => void): unknown;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

interface NodeWorkerThreads {
  Worker: new (filename: string | URL, options?: { name?: string }) => NodeWorker;
}

interface NodeOs {
  availableParallelism?: () => number;
  cpus(): readonly unknown[];
}

declare const __filename: string | undefined;

/** Threads to use by default: the number of cores the engine reports (at least 1). */
export async function hardwareThreads(): Promise<number> {
  const navigatorValue = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator;
  const reported = navigatorValue?.hardwareConcurrency;
  if (typeof reported === 'number' && Number.isInteger(reported) && reported >= 1) return reported;
  const os = await nodeBuiltin<NodeOs>('node:os');
  if (os !== null) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return 1;
}

/** Whether SharedArrayBuffers exist and can be posted to workers (Node; cross-origin-isolated pages). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return (globalThis as { crossOriginIsolated?: unknown }).crossOriginIsolated !== false;
}

/** What a started worker reports to the pool. */
export interface WorkerEvents {
  reply(reply: PoolReply): void;
  /** The worker failed to load, threw outside a request, or exited without being asked to. */
  failure(error: Error): void;
}

/** One worker thread, whatever the platform. */
export interface WorkerThread {
  post(request: PoolRequest, transfer: readonly ArrayBuffer[]): void;
  /** Ends the thread (resolves once it has stopped, where the platform says when). */
  terminate(): Promise<void>;
  /** Node: let the process exit while this worker is idle (`unref`) or not (`ref`). No-op in browsers. */
  keepAlive(busy: boolean): void;
}

/** Starts workers running pool-worker.js (or the script at `location`). */
export type WorkerFactory = (events: WorkerEvents) => WorkerThread;

function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}

/** Where the CJS build's worker is: pool-worker.cjs next to this file. */
function cjsWorkerPath(): string | null {
  if (typeof __filename !== 'string') return null;
  const cut = Math.max(__filename.lastIndexOf('/'), __filename.lastIndexOf('\\'));
  return `${__filename.slice(0, cut + 1)}pool-worker.cjs`;
}

function nodeFactory(threads: NodeWorkerThreads, location: string | URL | undefined): WorkerFactory {
  // The worker script of the same format sits next to this file: pool-worker.js next to the
  // ESM build, pool-worker.cjs next to the CJS build (where tsup derives import.meta.url from
  // __filename; other CJS bundles may leave it empty, hence the __filename fallback).
  const moduleUrl: string | undefined = import.meta.url;
  // Node takes a path, or a URL object (a 'file:' URL given as a string is not a path).
  let target: string | URL | null = typeof location === 'string' && /^(file|data):/i.test(location) ? new URL(location) : (location ?? null);
  if (target === null && typeof moduleUrl === 'string') target = new URL(moduleUrl.endsWith('.cjs') ? './pool-worker.cjs' : './pool-worker.js', moduleUrl);
  target ??= cjsWorkerPath();
  if (target === null) throw new Error('cosinekit: cannot locate pool-worker.js; pass createPool({ workerUrl })');
  const script = target;
  return (events) => {
    const worker = new threads.Worker(script, { name: 'cosinekit-pool' });
    let finished = false;
    let terminating = false;
    const fail = (error: Error) => {
      if (finished) return;
      finished = true;
      events.failure(error);
    };
    worker.on('message', (value) => {
      if (!finished) events.reply(value as PoolReply);
    });
    worker.on('error', (error) => fail(new Error(`cosinekit pool worker failed: ${describeThrown(error)}`, { cause: error })));
    worker.on('messageerror', (error) => fail(new Error(`cosinekit pool worker sent a message that could not be read: ${describeThrown(error)}`)));
    worker.on('exit', (code) => {
      if (!terminating) fail(new Error(`cosinekit pool worker exited unexpectedly (exit code ${String(code)})`));
      finished = true;
    });
    return {
      post: (request, transfer) => worker.postMessage(request, transfer),
      terminate: async () => {
        terminating = true;
        finished = true;
        await worker.terminate();
      },
      keepAlive: (busy) => (busy ? worker.ref() : worker.unref()),
    };
  };
}

function browserFactory(location: string | URL | undefined): WorkerFactory {
  return (events) => {
    // The literal `new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module' })`
    // is the pattern bundlers (Vite, webpack 5, Parcel) recognise to emit the worker.
    const worker =
      location === undefined
        ? new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module', name: 'cosinekit-pool' })
        : new Worker(location, { type: 'module', name: 'cosinekit-pool' });
    let finished = false;
    const fail = (error: Error) => {
      if (finished) return;
      finished = true;
      events.failure(error);
    };
    worker.addEventListener('message', (event) => {
      if (!finished) events.reply(event.data as PoolReply);
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      const detail = event.message ? `: ${event.message}` : ' (the script could not be loaded, or it threw while loading)';
      fail(new Error(`cosinekit pool worker failed${detail}`));
    });
    worker.addEventListener('messageerror', () => fail(new Error('cosinekit pool worker sent a message that could not be read')));
    return {
      post: (request, transfer) => worker.postMessage(request, transfer as ArrayBuffer[]),
      terminate: async () => {
        finished = true;
        worker.terminate();
      },
      keepAlive: () => {},
    };
  };
}

/** The way to start workers here: worker_threads in Node, module Workers elsewhere. */
export async function workerFactory(location: string | URL | undefined): Promise<WorkerFactory> {
  const threads = await nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
  if (threads !== null && typeof threads.Worker === 'function') return nodeFactory(threads, location);
  if (typeof Worker !== 'function') throw new Error('cosinekit: this engine has neither worker_threads nor Worker; a pool needs threads');
  return browserFactory(location);
}

