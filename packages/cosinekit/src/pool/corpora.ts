// Corpora in the workers: installed for one call, or for the lifetime of a handle
// (`setCorpus`), counted by their users and freed in every worker when the last one is done.
// A restarted worker gets every handle's corpus again.

import { disposeKey } from '../disposable.js';
import type { Cosinekit } from '../kit.js';
import { type QuantizedData, type QuantizedSnapshot, type QuantizedTensor, storeQuantized } from '../quantized.js';
import type { Runtime, StorageDtype } from '../runtime.js';
import type { WasmTensor } from '../tensor.js';
import type { Shape } from '../validate.js';
import type { Request, Scheduler, Slot } from './scheduler.js';
import type { CorpusHandle } from './types.js';

/** How a quantised corpus is stored (what its codes mean); null for float32 rows. */
export interface CorpusStorage {
  dtype: StorageDtype;
  ranges: Float32Array | null;
  thresholds: Float32Array | null;
}

/** A corpus's rows as the workers get them: float32, or a quantised corpus's stored elements. */
export type CorpusData = Float32Array | QuantizedData;

/** A corpus installed in the workers: for one call, or for a handle's lifetime. */
export interface CorpusRecord {
  id: number;
  /** `[M, D]` (or `[B, M, D]`), in dimensions for a quantised corpus. */
  shape: readonly number[];
  /** Quantised corpora: their dtype, ranges and thresholds; null for float32. */
  storage: CorpusStorage | null;
  /** What a restarted worker is given (handles only): the shared data, or a private copy. */
  keep: CorpusData | null;
  /** Calls (and block iterations, and a live handle) holding it. */
  users: number;
  /** Free it in the workers when `users` reaches 0 (one-call corpora; released handles). */
  dropWhenUnused: boolean;
  dropped: boolean;
  /** Why a worker could not install it. */
  failure: Error | null;
  /** A copy in the calling thread's instance, made the first time a small call runs there. */
  local: WasmTensor | QuantizedTensor | null;
}

/** A quantised record's rows and metadata, as `readQuantized` gives them (`data`: the kept copy). */
export function snapshotOf(record: CorpusRecord, data: CorpusData): QuantizedSnapshot {
  const storage = record.storage;
  if (storage === null) throw new Error('cosinekit internal error: a float32 corpus was read as a quantised one');
  return { dtype: storage.dtype, shape: [record.shape[0] as number, record.shape[1] as number], data: data as QuantizedData, ranges: storage.ranges, thresholds: storage.thresholds };
}

export class CorpusRegistry {
  readonly #scheduler: Scheduler;
  readonly #sharedMemory: boolean;
  /** The calling thread's instance, for copies that small calls run on. */
  readonly #kit: Cosinekit;
  readonly #runtime: Runtime;
  readonly #records = new Set<CorpusRecord>();
  #destroyed = false;

  constructor(scheduler: Scheduler, sharedMemory: boolean, kit: Cosinekit, runtime: Runtime) {
    this.#scheduler = scheduler;
    this.#sharedMemory = sharedMemory;
    this.#kit = kit;
    this.#runtime = runtime;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Installs `data` (`shape`; quantised rows with their `storage`) in every worker; `keep` it
   * for restarted workers when it belongs to a handle. In transfer mode `transferOwn` lets the
   * last worker take `data` itself (the caller no longer needs it) instead of a copy.
   */
  install(data: CorpusData, shape: readonly number[], keep: boolean, transferOwn: boolean, storage: CorpusStorage | null = null): { record: CorpusRecord; ready: Promise<void> } {
    const record: CorpusRecord = {
      id: this.#scheduler.nextId(),
      shape,
      storage,
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

  #installOn(slot: Slot, record: CorpusRecord, data: CorpusData, transferOwn: boolean, acknowledged: boolean): Promise<void> {
    let payload = data;
    const transfer: ArrayBuffer[] = [];
    if (!this.#sharedMemory) {
      payload = transferOwn ? data : data.slice();
      transfer.push(payload.buffer as ArrayBuffer);
    }
    const request: Request = {
      kind: 'install',
      corpus: record.id,
      buffer: payload.buffer,
      byteOffset: payload.byteOffset,
      length: payload.length,
      shape: [...record.shape],
      storage: record.storage,
      quiet: !acknowledged,
    };
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
  local(record: CorpusRecord): WasmTensor | QuantizedTensor {
    if (record.local === null) {
      const keep = record.keep;
      if (keep === null) throw new Error('cosinekit internal error: a released corpus was used');
      if (record.storage !== null) record.local = storeQuantized(this.#runtime, snapshotOf(record, keep), 'the calling thread\'s copy of a quantised corpus handle');
      else {
        const tensor = this.#kit.alloc(record.shape);
        tensor.data.set(keep as Float32Array);
        record.local = tensor;
      }
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
  readonly dtype: 'float32' | StorageDtype;
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
    this.dtype = record.storage?.dtype ?? 'float32';
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
