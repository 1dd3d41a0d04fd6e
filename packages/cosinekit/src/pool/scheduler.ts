// Workers and the chunks of work they run: starting (and restarting) worker threads, request
// and reply bookkeeping, and a queue of chunks handed to whichever worker is free. It knows
// nothing of wasm or of the functions the chunks compute: a chunk builds its request and
// accepts its reply. Testable with a fake `WorkerFactory` (test/pool/scheduler.test.ts).

import type { WorkerFactory, WorkerThread } from './platform.js';
import type { ErrorData, PoolReply, PoolRequest, SuccessReply } from './protocol.js';

/** A request before the scheduler gives it its id. */
export type Request = DistributiveOmit<PoolRequest, 'id'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Chunks a worker holds at once: the one it computes and the next. */
const MAX_IN_FLIGHT = 2;
/**
 * A worker gets its next chunk ahead of time only while its current one is smaller than this
 * many multiply-adds (a few milliseconds): then a message's latency matters; beyond it,
 * holding chunks back keeps the split even when a thread is slowed down.
 */
const PIPELINE_WORK = 2 ** 25;

/** One piece of a call, run by whichever worker is free next. */
export interface Chunk {
  job: Job;
  /** Multiply-adds, roughly. */
  work: number;
  build(): { request: Request; transfer: ArrayBuffer[] };
  accept(reply: SuccessReply): void;
}

/** One call on the workers: settles when its last chunk has, or at its first failure. */
export class Job {
  remaining = 0;
  settled = false;
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  readonly #onSettled: (job: Job) => void;

  constructor(onSettled: (job: Job) => void) {
    this.#onSettled = onSettled;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  chunkDone(): void {
    if (this.settled) return;
    this.remaining--;
    if (this.remaining === 0) {
      this.settled = true;
      this.#onSettled(this);
      this.#resolve();
    }
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.#onSettled(this);
    this.#reject(error);
  }
}

/** A worker thread and the requests it has not answered yet. */
export class Slot {
  readonly index: number;
  readonly thread: WorkerThread;
  alive = true;
  /** Whether its init succeeded (only such a worker is restarted when it dies). */
  ready = false;
  /** Chunks posted to it and not answered yet (at most MAX_IN_FLIGHT). */
  readonly running = new Set<Chunk>();
  readonly waiting = new Map<number, { resolve: (reply: SuccessReply) => void; reject: (error: Error) => void }>();

  constructor(index: number, thread: WorkerThread) {
    this.index = index;
    this.thread = thread;
  }
}

/** A worker's error, rebuilt on this side with its class and the worker's number. */
function rebuildError(data: ErrorData, worker: number): Error {
  const message = `${data.message} (in pool worker ${worker})`;
  if (data.name === 'RangeError') return new RangeError(message);
  if (data.name === 'TypeError') return new TypeError(message);
  const error = new Error(message);
  if (data.name !== 'Error') error.name = data.name;
  return error;
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** What the scheduler needs from its owner. */
export interface SchedulerSettings {
  threads: number;
  spawn: WorkerFactory;
  /** The first request every worker gets; its reply must report `variant`. */
  init: Request;
  variant: string;
  /** Called when a worker (first or replacement) has been started, before its init is answered: queue what it must hold. */
  onStarted(slot: Slot): void;
}

export class Scheduler {
  readonly #settings: SchedulerSettings;
  readonly #slots: Slot[] = [];
  readonly #queue: Chunk[] = [];
  readonly #jobs = new Set<Job>();
  #nextId = 1;
  #stopped = false;

  constructor(settings: SchedulerSettings) {
    this.#settings = settings;
  }

  /** A fresh id (requests and corpora share one sequence). */
  nextId(): number {
    return this.#nextId++;
  }

  /** The workers that are running. */
  alive(): Slot[] {
    return this.#slots.filter((slot) => slot.alive);
  }

  /** Starts every worker and waits until each has answered its init; on a failure, stops them all and rejects. */
  async start(): Promise<void> {
    const started: Promise<unknown>[] = [];
    for (let index = 0; index < this.#settings.threads; index++) started.push(this.#startSlot(index));
    const outcomes = await Promise.allSettled(started);
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) {
      await this.stop(new Error('cosinekit: the pool could not start'));
      throw asError(failed.reason);
    }
  }

  #startSlot(index: number): Promise<SuccessReply> {
    let slot: Slot | null = null;
    const thread = this.#settings.spawn({
      reply: (reply) => {
        if (slot !== null) this.#onReply(slot, reply);
      },
      failure: (error) => {
        if (slot !== null) this.#onWorkerFailure(slot, error);
      },
    });
    slot = new Slot(index, thread);
    this.#slots[index] = slot;
    const started = slot;
    const { variant } = this.#settings;
    const ready = this.send(slot, this.#settings.init, []).then((reply) => {
      if (reply.variant !== variant) throw new Error(`cosinekit: a pool worker runs ${String(reply.variant)}, not ${variant}`);
      started.ready = true;
      return reply;
    });
    this.#settings.onStarted(slot);
    return ready;
  }

  /** Posts a request that gets no reply (a quiet install, a release). */
  post(slot: Slot, request: Request, transfer: ArrayBuffer[]): void {
    if (!slot.alive) return;
    slot.thread.post({ ...request, id: this.nextId() } as PoolRequest, transfer);
  }

  /** Posts a request and resolves with its reply (rejects with the worker's error, or when the worker stops). */
  send(slot: Slot, request: Request, transfer: ArrayBuffer[]): Promise<SuccessReply> {
    const id = this.nextId();
    return new Promise<SuccessReply>((resolve, reject) => {
      if (!slot.alive) {
        reject(new Error('cosinekit: this pool worker has stopped'));
        return;
      }
      slot.waiting.set(id, { resolve, reject });
      slot.thread.keepAlive(true);
      try {
        slot.thread.post({ ...request, id } as PoolRequest, transfer);
      } catch (thrown) {
        slot.waiting.delete(id);
        if (slot.waiting.size === 0) slot.thread.keepAlive(false);
        reject(asError(thrown));
      }
    });
  }

  #onReply(slot: Slot, reply: PoolReply): void {
    const waiter = slot.waiting.get(reply.id);
    if (waiter === undefined) return;
    slot.waiting.delete(reply.id);
    if (slot.waiting.size === 0) slot.thread.keepAlive(false);
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(rebuildError(reply.error, slot.index + 1));
  }

  /**
   * A worker died (crashed, ran out of memory, or failed to load). Every call in progress
   * rejects — each may have had data in that worker — and a new worker takes its place
   * (`onStarted` gives it what it must hold). Later calls work as before.
   */
  #onWorkerFailure(slot: Slot, error: Error): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.running.clear();
    for (const waiter of slot.waiting.values()) waiter.reject(error);
    slot.waiting.clear();
    void slot.thread.terminate().catch(() => {});
    if (this.#stopped) return;
    for (const job of [...this.#jobs]) job.fail(error);
    // A worker that never became ready is not restarted (it would fail the same way again).
    if (!slot.ready) {
      this.#pump();
      return;
    }
    this.#startSlot(slot.index).then(
      () => this.#pump(),
      (restartError: Error) => {
        // The replacement failed its init: it is stopped for good (never restarted again).
        const current = this.#slots[slot.index];
        if (current !== undefined) this.#onWorkerFailure(current, restartError);
        this.#pump();
      },
    );
  }

  /**
   * Hands queued chunks to the workers: one each first, then — for small chunks — a second
   * each, so a worker has its next chunk while it computes the current one (a message takes
   * tens of microseconds each way).
   */
  #pump(): void {
    for (let depth = 1; depth <= MAX_IN_FLIGHT; depth++) {
      for (const slot of this.#slots) {
        if (!slot.alive || slot.running.size >= depth) continue;
        if (depth > 1 && [...slot.running].some((chunk) => chunk.work >= PIPELINE_WORK)) continue;
        let chunk = this.#queue.shift();
        while (chunk !== undefined && chunk.job.settled) chunk = this.#queue.shift();
        if (chunk === undefined) return;
        this.#run(slot, chunk);
      }
    }
    if (this.#queue.length > 0 && !this.#slots.some((slot) => slot.alive)) {
      const error = new Error('cosinekit: no pool worker is running (a worker stopped and could not be restarted)');
      for (const job of [...this.#jobs]) job.fail(error);
    }
  }

  #run(slot: Slot, chunk: Chunk): void {
    slot.running.add(chunk);
    let built: ReturnType<Chunk['build']>;
    try {
      built = chunk.build();
    } catch (thrown) {
      slot.running.delete(chunk);
      chunk.job.fail(asError(thrown));
      queueMicrotask(() => this.#pump());
      return;
    }
    this.send(slot, built.request, built.transfer).then(
      (reply) => {
        slot.running.delete(chunk);
        if (!chunk.job.settled) {
          try {
            chunk.accept(reply);
            chunk.job.chunkDone();
          } catch (thrown) {
            chunk.job.fail(asError(thrown));
          }
        }
        this.#pump();
      },
      (error: Error) => {
        slot.running.delete(chunk);
        chunk.job.fail(error);
        this.#pump();
      },
    );
  }

  /** Queues a call's chunks and resolves when they are all done (rejects at the first failure). */
  submit(chunks: (job: Job) => Chunk[]): Promise<void> {
    const job: Job = new Job((settled) => {
      this.#jobs.delete(settled);
      for (let index = this.#queue.length - 1; index >= 0; index--) {
        if ((this.#queue[index] as Chunk).job === settled) this.#queue.splice(index, 1);
      }
    });
    this.#jobs.add(job);
    const list = chunks(job);
    job.remaining = list.length;
    if (list.length === 0) {
      job.remaining = 1;
      job.chunkDone();
    }
    this.#queue.push(...list);
    this.#pump();
    return job.promise;
  }

  /** Fails every call with `error`, empties the queue and terminates every worker. */
  stop(error: Error): Promise<void> {
    this.#stopped = true;
    for (const job of [...this.#jobs]) job.fail(error);
    this.#queue.length = 0;
    const stopping = this.#slots.map((slot) => {
      slot.alive = false;
      for (const waiter of slot.waiting.values()) waiter.reject(error);
      slot.waiting.clear();
      return slot.thread.terminate().catch(() => {});
    });
    return Promise.all(stopping).then(() => undefined);
  }
}
