// The pool's scheduler against fake workers: a unit test of packages/cosinekit/src/pool/
// scheduler.ts (plain TypeScript, no wasm; vitest compiles it), so its queueing, pipelining,
// failure and restart rules are checked without threads or timing.

import { describe, expect, test } from 'vitest';
import type { WorkerEvents, WorkerThread } from '../../packages/cosinekit/src/pool/platform.js';
import type { PoolRequest, SuccessReply } from '../../packages/cosinekit/src/pool/protocol.js';
import { type Chunk, type Job, Scheduler, type Slot } from '../../packages/cosinekit/src/pool/scheduler.js';

/** A worker that records what it is sent and answers only when told to. */
class FakeWorker implements WorkerThread {
  readonly received: PoolRequest[] = [];
  terminated = false;
  busy = false;
  constructor(
    readonly events: WorkerEvents,
    readonly variant = 'simd128',
  ) {}
  post(request: PoolRequest): void {
    if (this.terminated) throw new Error('posted to a terminated worker');
    this.received.push(request);
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
  keepAlive(busy: boolean): void {
    this.busy = busy;
  }
  /** Answers the oldest unanswered request of `kind`. */
  answer(kind: PoolRequest['kind'], reply: Partial<SuccessReply> = {}): void {
    const index = this.received.findIndex((request) => request.kind === kind);
    if (index < 0) throw new Error(`no ${kind} request to answer`);
    const [request] = this.received.splice(index, 1) as [PoolRequest];
    this.events.reply({ id: request.id, ok: true, ...(kind === 'init' ? { variant: this.variant } : {}), ...reply } as SuccessReply);
  }
  fail(kind: PoolRequest['kind'], message: string): void {
    const index = this.received.findIndex((request) => request.kind === kind);
    const [request] = this.received.splice(index, 1) as [PoolRequest];
    this.events.reply({ id: request.id, ok: false, error: { name: 'RangeError', message } });
  }
  pending(kind: PoolRequest['kind']): number {
    return this.received.filter((request) => request.kind === kind).length;
  }
}

function setup(threads: number) {
  const workers: FakeWorker[] = [];
  const started: Slot[] = [];
  const scheduler = new Scheduler({
    threads,
    spawn: (events) => {
      const worker = new FakeWorker(events);
      workers.push(worker);
      return worker;
    },
    init: { kind: 'init', module: {} as WebAssembly.Module, variant: 'simd128' },
    variant: 'simd128',
    onStarted: (slot) => started.push(slot),
  });
  return { scheduler, workers, started };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Answers every pending chunk request, letting the scheduler hand out more between answers, until none is left. */
async function drain(workers: readonly FakeWorker[]): Promise<void> {
  for (;;) {
    const busy = workers.filter((worker) => !worker.terminated && worker.pending('release') > 0);
    if (busy.length === 0) return;
    for (const worker of busy) worker.answer('release');
    await flush();
  }
}

/** A chunk whose request is a `release` (any kind does: the fake only counts them) and whose reply is recorded. */
function chunk(job: Job, work: number, label: string, log: string[]): Chunk {
  return {
    job,
    work,
    build: () => ({ request: { kind: 'release', corpus: work }, transfer: [] }),
    accept: () => log.push(label),
  };
}

describe('scheduler', () => {
  test('start sends init to every worker, reports each start, and resolves once all answered', async () => {
    const { scheduler, workers, started } = setup(3);
    const starting = scheduler.start();
    expect(workers.map((worker) => worker.pending('init'))).toEqual([1, 1, 1]);
    expect(started).toHaveLength(3);
    for (const worker of workers) worker.answer('init');
    await starting;
    expect(scheduler.alive()).toHaveLength(3);
  });

  test('a worker reporting another variant fails the start, and every worker is stopped', async () => {
    const { scheduler, workers } = setup(2);
    const starting = scheduler.start();
    workers[0]!.answer('init');
    workers[1]!.events.reply({ id: workers[1]!.received[0]!.id, ok: true, variant: 'scalar' } as SuccessReply);
    await expect(starting).rejects.toThrow('cosinekit: a pool worker runs scalar, not simd128');
    expect(workers.every((worker) => worker.terminated)).toBe(true);
  });

  test('small chunks are pipelined two per worker; large ones one at a time; all land, in any order', async () => {
    const { scheduler, workers } = setup(2);
    const starting = scheduler.start();
    for (const worker of workers) worker.answer('init');
    await starting;
    const log: string[] = [];
    const done = scheduler.submit((job) => [1, 2, 3, 4, 5].map((index) => chunk(job, 1000, `small ${index}`, log)));
    // Two workers × two in flight: four posted, one queued.
    expect(workers.map((worker) => worker.pending('release'))).toEqual([2, 2]);
    workers[1]!.answer('release');
    await flush();
    expect(workers[1]!.pending('release')).toBe(2); // the fifth went to the worker that answered
    await drain(workers);
    await done;
    expect(log.sort()).toEqual(['small 1', 'small 2', 'small 3', 'small 4', 'small 5']);
    const big = scheduler.submit((job) => [1, 2, 3].map((index) => chunk(job, 2 ** 26, `big ${index}`, log)));
    expect(workers.map((worker) => worker.pending('release'))).toEqual([1, 1]);
    await drain(workers);
    await big;
  });

  test('an error reply fails its call only; other calls and later calls go on', async () => {
    const { scheduler, workers } = setup(1);
    const starting = scheduler.start();
    workers[0]!.answer('init');
    await starting;
    const log: string[] = [];
    const failing = scheduler.submit((job) => [chunk(job, 2 ** 26, 'a', log)]);
    const other = scheduler.submit((job) => [chunk(job, 2 ** 26, 'b', log)]);
    workers[0]!.fail('release', 'no memory');
    await expect(failing).rejects.toThrow(new RangeError('no memory (in pool worker 1)'));
    workers[0]!.answer('release');
    await other;
    expect(log).toEqual(['b']);
  });

  test('a dead worker fails every call in progress and is replaced; the replacement gets onStarted and later work', async () => {
    const { scheduler, workers, started } = setup(2);
    const starting = scheduler.start();
    for (const worker of workers) worker.answer('init');
    await starting;
    const log: string[] = [];
    const call = scheduler.submit((job) => [chunk(job, 2 ** 26, 'x', log), chunk(job, 2 ** 26, 'y', log)]);
    workers[0]!.events.failure(new Error('worker crashed'));
    await expect(call).rejects.toThrow('worker crashed');
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(3); // a replacement was spawned
    expect(started).toHaveLength(3);
    workers[2]!.answer('init');
    await flush();
    const later = scheduler.submit((job) => [chunk(job, 2 ** 26, 'z', log), chunk(job, 2 ** 26, 'w', log)]);
    // The replacement takes new work at once; the other worker still holds the failed call's
    // chunk (2^26 multiply-adds: no second one in flight), whose answer is ignored.
    expect(workers[2]!.pending('release')).toBe(1);
    expect(workers[1]!.pending('release')).toBe(1);
    await drain(workers);
    await later;
    expect(log.sort()).toEqual(['w', 'z']);
  });

  test('a worker that dies before its init answered is not restarted; with none left, queued calls fail', async () => {
    const { scheduler, workers } = setup(1);
    const starting = scheduler.start();
    workers[0]!.events.failure(new Error('failed to load'));
    await expect(starting).rejects.toThrow('failed to load');
    expect(workers).toHaveLength(1);
  });

  test('stop fails calls in progress and terminates every worker; nothing is posted afterwards', async () => {
    const { scheduler, workers } = setup(2);
    const starting = scheduler.start();
    for (const worker of workers) worker.answer('init');
    await starting;
    const call = scheduler.submit((job) => [chunk(job, 1, 'never', [])]);
    await scheduler.stop(new Error('destroyed'));
    await expect(call).rejects.toThrow('destroyed');
    expect(workers.every((worker) => worker.terminated)).toBe(true);
    for (const slot of scheduler.alive()) scheduler.post(slot, { kind: 'release', corpus: 1 }, []);
    expect(scheduler.alive()).toHaveLength(0);
  });

  test('keepAlive follows outstanding requests (Node: idle workers do not hold the process)', async () => {
    const { scheduler, workers } = setup(1);
    const starting = scheduler.start();
    expect(workers[0]!.busy).toBe(true);
    workers[0]!.answer('init');
    await starting;
    expect(workers[0]!.busy).toBe(false);
  });
});
