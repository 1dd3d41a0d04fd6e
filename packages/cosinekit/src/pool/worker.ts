// The script every pool worker runs (dist/pool-worker.js, and pool-worker.cjs for the CJS
// build). It instantiates the module the pool compiled (the calling thread's own variant),
// keeps installed corpora in its own wasm memory as WasmTensors (QuantizedTensors for quantised
// corpora), and answers requests one at
// a time with the package's ordinary single-thread functions — the same kernel as the
// calling thread, on views: rows of an installed corpus are passed to the kernels with no copy.

import { Cosinekit } from '../kit.js';
import { Runtime } from '../runtime.js';
import { formatShape } from '../validate.js';
import { type WorkerPort, nodeWorkerPort, webWorkerPort } from './port.js';
import type { ErrorData, PairwiseRequest, PoolReply, PoolRequest, SuccessReply, TopKRequest } from './protocol.js';
import { runPairwiseSelfRows, runTopK } from '../pairwise.js';
import { QuantizedTensor, rowElements, runTopKQuantized, storeQuantized, storedArray } from '../quantized.js';
import { POOL_FAMILIES } from './families.js';
import { WasmTensor } from '../tensor.js';

function errorData(thrown: unknown): ErrorData {
  if (thrown instanceof Error) return { name: thrown.name, message: thrown.message };
  return { name: 'Error', message: `a pool worker threw ${String(thrown)}` };
}

/** A copy of `error` (same class where it is a built-in one) with `prefix` before its message. */
function withPrefix(error: Error, prefix: string): Error {
  const message = `${prefix}${error.message}`;
  if (error instanceof RangeError) return new RangeError(message);
  if (error instanceof TypeError) return new TypeError(message);
  return new Error(message);
}

class WorkerState {
  #kit: Cosinekit | null = null;
  #runtime: Runtime | null = null;
  /** Installed corpora, or why installing one failed (reported by every task that uses it). */
  readonly #corpora = new Map<number, WasmTensor | QuantizedTensor | Error>();

  get runtime(): Runtime {
    if (this.#runtime === null) throw new Error('cosinekit internal error: a pool worker got a task before init');
    return this.#runtime;
  }

  get kit(): Cosinekit {
    if (this.#kit === null) throw new Error('cosinekit internal error: a pool worker got a task before init');
    return this.#kit;
  }

  async handle(request: PoolRequest, transfer: ArrayBuffer[]): Promise<Omit<SuccessReply, 'id' | 'ok'>> {
    switch (request.kind) {
      case 'init': {
        if (this.#kit === null) {
          this.#runtime = new Runtime(await WebAssembly.instantiate(request.module, {}));
          this.#kit = new Cosinekit({ runtime: this.#runtime , families: POOL_FAMILIES });
        }
        const variant = this.#kit.backendInfo().variant;
        if (variant !== request.variant) throw new Error(`cosinekit internal error: the pool sent a ${variant} module as ${request.variant}`);
        return { variant };
      }
      case 'install': {
        this.#release(request.corpus);
        try {
          const { buffer, byteOffset, length, shape, storage } = request;
          const installed =
            storage === null
              ? this.#staged(new Float32Array(buffer, byteOffset, length), shape)
              : storeQuantized(
                  this.runtime,
                  { ...storage, shape: [shape[0] as number, shape[1] as number], data: storedArray(storage.dtype, buffer, length, byteOffset) },
                  "a pool worker's quantised corpus",
                );
          this.#corpora.set(request.corpus, installed);
        } catch (thrown) {
          const error = thrown instanceof Error ? thrown : new Error(String(thrown));
          this.#corpora.set(request.corpus, error);
          throw error;
        }
        return {};
      }
      case 'release':
        this.#release(request.corpus);
        return {};
      case 'pairwise':
        return this.#pairwise(request, transfer);
      case 'topk':
        return this.#topK(request, transfer);
    }
  }

  #release(corpus: number): void {
    const entry = this.#corpora.get(corpus);
    if (entry !== undefined && !(entry instanceof Error)) entry.dispose();
    this.#corpora.delete(corpus);
  }

  #corpus(corpus: number): WasmTensor | QuantizedTensor {
    const entry = this.#corpora.get(corpus);
    if (entry === undefined) throw new Error(`cosinekit internal error: corpus ${corpus} is not installed in this pool worker`);
    if (entry instanceof Error) throw withPrefix(entry, 'the corpus could not be copied into a pool worker: ');
    return entry;
  }

  /**
   * A WasmTensor of `shape` whose contents are not set: every element is written before it
   * is read (a copy, or a kernel's output), so it skips alloc()'s zero-fill.
   */
  #uninitialised(shape: number[]): WasmTensor {
    const runtime = this.#runtime;
    if (runtime === null) throw new Error('cosinekit internal error: a pool worker got a task before init');
    const count = shape.reduce((product, extent) => product * extent, 1);
    const pointer = runtime.alloc(count * 4, `a pool worker's tensor of shape ${formatShape(shape)}`);
    return new WasmTensor(runtime, shape, pointer);
  }

  /**
   * A WasmTensor holding a copy of `data` (rows from shared memory or a transferred buffer).
   * Kernels then read it in place; a view of a SharedArrayBuffer passed to them directly
   * would cost an exception per call in the single-thread API's detach check.
   */
  #staged(data: Float32Array, shape: number[]): WasmTensor {
    const tensor = this.#uninitialised(shape);
    tensor.data.set(data);
    return tensor;
  }

  #pairwise(request: PairwiseRequest, transfer: ArrayBuffer[]): Omit<SuccessReply, 'id' | 'ok'> {
    const corpus = this.#corpus(request.corpus);
    if (corpus instanceof QuantizedTensor) throw new Error('cosinekit internal error: a pairwise task was sent with a quantised corpus');
    const rank = corpus.shape.length;
    const depth = corpus.shape[rank - 1] as number;
    const bRows = corpus.shape[rank - 2] as number;
    const { aRows, rowStart, rowCount, columnStart, columnCount, eps, scale } = request;
    const rows = request.rows === null ? null : this.#staged(request.rows, [rowCount, depth]);
    let result: WasmTensor | null = null;
    try {
      result = this.#uninitialised([rowCount, columnCount]);
      // Rows are counted across batches; a chunk may start or end inside a batch, so it is
      // one call per batch it touches (each exactly the rows the batched kernel computes).
      // Every operand and the output are views of live WasmTensors: no copies.
      for (let row = rowStart; row < rowStart + rowCount; ) {
        const batch = Math.floor(row / aRows);
        const count = Math.min(aRows - (row - batch * aRows), rowStart + rowCount - row);
        const local = row - rowStart;
        const corpusData = corpus.data; // re-read: a previous call may have grown memory
        const out = result.data.subarray(local * columnCount, (local + count) * columnCount);
        if (rows === null) {
          const columns = corpusData.subarray(batch * bRows * depth, (batch + 1) * bRows * depth);
          // `b` omitted: the single-thread call computes the upper triangle and mirrors it;
          // these rows of that very matrix come from the self-rows kernel.
          runPairwiseSelfRows(this.runtime, { data: columns, shape: [bRows, depth] }, row - batch * aRows, count, eps, scale, out);
        } else {
          const first = batch * bRows + columnStart;
          const columns = corpusData.subarray(first * depth, (first + columnCount) * depth);
          const chunkRows = rows.data.subarray(local * depth, (local + count) * depth);
          this.kit.pairwiseCosine({ data: chunkRows, shape: [count, depth] }, { data: columns, shape: [columnCount, depth] }, { eps, scale, out });
        }
        row += count;
      }
      if (request.out !== null) {
        // The shared view holds the chunk's whole result rows; this chunk fills its columns.
        if (columnCount === bRows) request.out.set(result.data);
        else for (let row = 0; row < rowCount; row++) request.out.set(result.data.subarray(row * columnCount, (row + 1) * columnCount), row * bRows + columnStart);
        return {};
      }
      const data = result.data.slice();
      transfer.push(data.buffer as ArrayBuffer);
      return { data };
    } finally {
      rows?.dispose();
      result?.dispose();
    }
  }

  #topK(request: TopKRequest, transfer: ArrayBuffer[]): Omit<SuccessReply, 'id' | 'ok'> {
    const { queryStart, queryCount, corpusStart, corpusCount, k, eps, excludeSelf, path } = request;
    const depth = request.queries.length / queryCount;
    // The corpus rows come with the request (a slice for this call only), or from an installed corpus.
    const slice = request.corpusRows === null ? null : this.#staged(request.corpusRows, [corpusCount, depth]);
    let found: { indices: Int32Array; scores: Float32Array };
    let queries: WasmTensor | null = null;
    try {
      queries = this.#staged(request.queries, [queryCount, depth]);
      const corpus = slice ?? this.#corpus(request.corpus);
      if (corpus instanceof QuantizedTensor) {
        // The slice's stored rows, read in place: a view inside the installed tensor.
        const perRow = rowElements(corpus.dtype, depth);
        const rows = { dtype: corpus.dtype, shape: [corpusCount, depth] as const, data: corpus.data.subarray(corpusStart * perRow, (corpusStart + corpusCount) * perRow), ranges: corpus.ranges, thresholds: corpus.thresholds };
        found = runTopKQuantized(this.runtime, queries, rows, k, { eps, excludeSelf }, queryStart - corpusStart);
      } else {
        const offset = slice === null ? corpusStart * depth : 0;
        const rows = { data: corpus.data.subarray(offset, offset + corpusCount * depth), shape: [corpusCount, depth] };
        found = runTopK(this.runtime, queries, rows, k, { eps, excludeSelf }, queryStart - corpusStart, path);
      }
    } finally {
      queries?.dispose();
      slice?.dispose();
    }
    // Indices count from the slice's first row; the merge adds the slice's offset.
    const indices = request.outIndices ?? found.indices;
    const scores = request.outScores ?? found.scores;
    if (indices !== found.indices) {
      indices.set(found.indices);
      scores.set(found.scores);
    }
    if (request.outIndices !== null) return {};
    transfer.push(indices.buffer as ArrayBuffer, scores.buffer as ArrayBuffer);
    return { indices, scores };
  }
}

function serve(port: WorkerPort): void {
  const state = new WorkerState();
  let queue: Promise<void> = Promise.resolve();
  const run = async (request: PoolRequest): Promise<void> => {
    const transfer: ArrayBuffer[] = [];
    let reply: PoolReply;
    try {
      reply = { id: request.id, ok: true, ...(await state.handle(request, transfer)) };
    } catch (thrown) {
      reply = { id: request.id, ok: false, error: errorData(thrown) };
      transfer.length = 0;
    }
    // Messages cost tens of microseconds each way: requests that need no answer get none.
    const silent = request.kind === 'release' || (request.kind === 'install' && request.quiet);
    if (!silent) port.post(reply, transfer);
  };
  // One request at a time, in arrival order (init is asynchronous; everything else waits for it).
  port.listen((request) => {
    queue = queue.then(() => run(request));
  });
}

const web = webWorkerPort();
if (web !== null) serve(web);
else {
  nodeWorkerPort().then(serve, (error: unknown) => {
    // Nothing to answer to: make the failure visible to the pool as a worker error.
    setTimeout(() => {
      throw error;
    });
  });
}
