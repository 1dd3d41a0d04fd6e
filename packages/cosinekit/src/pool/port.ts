// The worker's side of the channel between a pool and its workers: the worker scope itself
// in browsers, Node's `parentPort` in worker_threads.

import { nodeBuiltin } from './node.js';
import type { PoolReply, PoolRequest } from './protocol.js';

/** The part of Node's `MessagePort` (a worker's `parentPort`) the worker uses. */
interface NodePort {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: string, listener: (value: unknown) => void): unknown;
}

/** Whether this code runs in a browser-style worker (WorkerGlobalScope). */
function isWebWorkerScope(): boolean {
  const scope = globalThis as { WorkerGlobalScope?: abstract new () => unknown };
  return typeof scope.WorkerGlobalScope === 'function' && globalThis instanceof scope.WorkerGlobalScope;
}

/** The worker's side of the channel: where requests come from and replies go. */
export interface WorkerPort {
  listen(handler: (request: PoolRequest) => void): void;
  post(reply: PoolReply, transfer: readonly ArrayBuffer[]): void;
}

/**
 * The port of a browser-style worker this code runs in, or null elsewhere. Synchronous, so
 * the listener is in place before the first message is dispatched.
 */
export function webWorkerPort(): WorkerPort | null {
  if (!isWebWorkerScope()) return null;
  const scope = globalThis as unknown as {
    addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
    postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  };
  return {
    listen: (handler) => scope.addEventListener('message', (event) => handler(event.data as PoolRequest)),
    post: (reply, transfer) => scope.postMessage(reply, [...transfer]),
  };
}

/** The `parentPort` of the Node worker this code runs in (it holds messages until a listener is attached). */
export async function nodeWorkerPort(): Promise<WorkerPort> {
  const threads = await nodeBuiltin<{ parentPort: NodePort | null }>('node:worker_threads');
  const port = threads?.parentPort ?? null;
  if (port === null) throw new Error('cosinekit: pool-worker.js must run in a worker started by createPool()');
  return {
    listen: (handler) => port.on('message', (value) => handler(value as PoolRequest)),
    post: (reply, transfer) => port.postMessage(reply, transfer),
  };
}
