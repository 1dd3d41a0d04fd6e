// Corpora in the workers: installed for one call, or for the lifetime of a handle
// (`setCorpus`), counted by their users and freed in every worker when the last one is done.
// A restarted worker gets every handle's corpus again.

import { disposeKey } from '../disposable.js';
import type { Cosinekit } from '../kit.js';
import type { WasmTensor } from '../tensor.js';
import type { Shape } from '../validate.js';
import type { Request, Scheduler, Slot } from './scheduler.js';
import type { CorpusHandle } from './types.js';

/** A corpus installed in the workers: for one call, or for a handle's lifetime. */
export interface CorpusRecord {
  id: number;
  shape: readonly number[];
  /** What a restarted worker is given (handles only): the shared data, or a private copy. */
  keep: Float32Array | null;
  /** Calls (and block iterations, and a live handle) holding it. */
  users: number;
  /** Free it in the workers when `users` reaches 0 (one-call corpora; released handles). */
  dropWhenUnused: boolean;
  dropped: boolean;
  /** Why a worker could not install it. */
  failure: Error | null;
  /** A copy in the calling thread's instance, made the first time a small call runs there. */
  local: WasmTensor | null;
}

export class CorpusRegistry {
  readonly #scheduler: Scheduler;
  readonly #sharedMemory: boolean;
  /** The calling thread's instance, for copies that small calls run on. */
  readonly #kit: Cosinekit;
  readonly #records = new Set<CorpusRecord>();
  #destroyed = false;

  constructor(scheduler: Scheduler, sharedMemory: boolean, kit: Cosinekit) {
    this.#scheduler = scheduler;
    this.#sharedMemory = sharedMemory;
    this.#kit = kit;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Installs `data` (`shape`) in every worker; `keep` it for restarted workers when it belongs
   * to a handle. In transfer mode `transferOwn` lets the last worker take `data` itself (the
   * caller no longer needs it) instead of a copy.
   */
  install(data: Float32Array, shape: readonly number[], keep: boolean, transferOwn: boolean): { record: CorpusRecord; ready: Promise<void> } {
    const record: CorpusRecord = {
      id: this.#scheduler.nextId(),
      shape,
      keep: keep ? data : null,
      users: 0,
      dropWhenUnused: !keep,
      dropped: false,
      failure: null,
      local: null,
    };
    this.#records.add(record);
    const alive = this.#scheduler.alive();
    // A handle's copies are acknowledged (its `ready`); a one-call corpus's are not: its tasks
    // follow at once and report a failed copy themselves.
    const installs = alive.map((slot, position) => {
      const own = transferOwn && !keep && position === alive.length - 1;
      return this.#installOn(slot, record, data, own, keep);
    });
    const ready = Promise.all(installs).then(() => undefined);
    ready.catch(() => {});
    return { record, ready };
  }

  /** Queues every handle's corpus on a (re)started worker. */
  reinstallOn(slot: Slot): void {
    for (const record of this.#records) {
      if (record.keep !== null && !record.dropped) void this.#installOn(slot, record, record.keep, false, true);
    }
  }

  #installOn(slot: Slot, record: CorpusRecord, data: Float32Array, transferOwn: boolean, acknowledged: boolean): Promise<void> {
    let payload = data;
    const transfer: ArrayBuffer[] = [];
    if (!this.#sharedMemory) {
      payload = transferOwn ? data : data.slice();
      transfer.push(payload.buffer as ArrayBuffer);
    }
    const request: Request = { kind: 'install', corpus: record.id, data: payload, shape: [...record.shape], quiet: !acknowledged };
    if (!acknowledged) {
      this.#scheduler.post(slot, request, transfer);
      return Promise.resolve();
    }
    const installed = this.#scheduler.send(slot, request, transfer).then(
      () => undefined,
      (error: Error) => {
        record.failure ??= error;
        throw error;
      },
    );
    installed.catch(() => {});
    return installed;
  }

  /** Drops one user of `record` (`handleReleased`: the handle's own hold); frees it when unused. */
  unuse(record: CorpusRecord, handleReleased: boolean): void {
    if (handleReleased) record.dropWhenUnused = true;
    record.users--;
    if (record.users > 0 || !record.dropWhenUnused || record.dropped) return;
    record.dropped = true;
    record.keep = null;
    this.#records.delete(record);
    record.local?.dispose();
    record.local = null;
    for (const slot of this.#scheduler.alive()) {
      try {
        this.#scheduler.post(slot, { kind: 'release', corpus: record.id }, []);
      } catch {
        // A worker that cannot take messages any more has nothing to free.
      }
    }
  }

  /** A handle's corpus in the calling thread's instance (copied there once, for small calls). */
  local(record: CorpusRecord): WasmTensor {
    if (record.local === null) {
      if (record.keep === null) throw new Error('cosinekit internal error: a released corpus was used');
      const tensor = this.#kit.alloc(record.shape);
      tensor.data.set(record.keep);
      record.local = tensor;
    }
    return record.local;
  }

  /** Forgets every corpus (the pool is being destroyed; its workers go with them). */
  clear(): void {
    this.#destroyed = true;
    for (const record of this.#records) {
      record.dropped = true;
      record.keep = null;
      record.local?.dispose();
      record.local = null;
    }
    this.#records.clear();
  }
}

let recordOf: (handle: CorpusHandleImpl) => { registry: CorpusRegistry; record: CorpusRecord };
let isHandle: (value: unknown) => value is CorpusHandleImpl;

/** The handle `setCorpus` returns. */
export class CorpusHandleImpl implements CorpusHandle {
  readonly shape: Shape;
  readonly ready: Promise<void>;
  readonly #registry: CorpusRegistry;
  readonly #record: CorpusRecord;
  #released = false;

  static {
    recordOf = (handle) => ({ registry: handle.#registry, record: handle.#record });
    isHandle = (value): value is CorpusHandleImpl => typeof value === 'object' && value !== null && #record in value;
  }

  /** @internal Use `pool.setCorpus(corpus)`. */
  constructor(registry: CorpusRegistry, record: CorpusRecord, ready: Promise<void>) {
    this.#registry = registry;
    this.#record = record;
    this.shape = Object.freeze([...record.shape]);
    this.ready = ready;
    Object.freeze(this);
  }

  get released(): boolean {
    return this.#released || this.#record.dropped || this.#registry.destroyed;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#registry.unuse(this.#record, true);
  }

  [disposeKey](): void {
    this.release();
  }
}

export { isHandle, recordOf };
