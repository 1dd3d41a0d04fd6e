// cosinekit benchmark: every workload, every contender, one process (plus one child process
// for the relaxed-simd variant where the engine needs a flag for it), every result checked
// against a float64 reference before it is timed. Writes results/latest.{json,md,svg}
// (results/quick.* with --quick) and prints the tables.
//
//   node run.mjs [--quick] [--only=WORKLOAD,...] [--contenders=ID,...] [--no-relaxed-child]
//
//   --quick          CI smoke run: reduced sizes, 2 short rounds, still checks every result
//   --only=…         workloads whose id, kind or family contains one of the words
//                    (e.g. --only=rowwise,single-f32-d8; kinds: single rowwise normalize pairwise topk infonce;
//                    --only=losses is the losses section alone: fwd+bwd vs the pairwise GEMM, memory grown;
//                    --only=single is the whole single-pair section: Float32Array and number[], every D)
//   --contenders=…   contenders whose id contains one of the words (js-optimised is always run, and
//                    compute-cosine-similarity on the single pair: the baselines of the ratios)
//   --no-relaxed-child  do not start the child process for the relaxed variant
//   --losses-n=N,…   row counts of the losses section (default 4096, D = 512; 16384 is the issue's
//                    large size: about half an hour per runtime on 2 cores; a quick run ignores it)
//   --losses-variant=NAME  scalar, simd128 (default), relaxed, or auto (the best the engine runs:
//                    relaxed under Node 22+); the losses run in this process, not in the child
//   --out-dir=PATH   where to write latest.* / quick.* (default: results/ next to this file)

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cosinekit from 'cosinekit';
import { renderChart } from './lib/chart.mjs';
import { COSINEKIT_FUNCTIONS, cosinekitContender, cosinekitPairContenders, jsNaive, jsOptimised, peerContenders, tfjsContenders } from './lib/contenders.mjs';
import { describeEnvironment, environmentLine } from './lib/environment.mjs';
import { collectGarbage, measureInterleaved, probeSeconds, timeOneCall } from './lib/measure.mjs';
import { installedVersion, loadComputeCosineSimilarity, loadMlDistance, loadSimsimd, loadTfjsWasm } from './lib/peers.mjs';
import { measureLosses, lossesMarkdown } from './lib/losses.mjs';
import { analyse, consoleReport, markdownReport } from './lib/report.mjs';
import { FORMULAS, workloadsFor } from './lib/workloads.mjs';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const VARIANTS = ['scalar', 'simd128', 'relaxed'];

// ───────────────────────────── options ─────────────────────────────

function parseArguments(argv) {
  const options = {
    quick: false,
    only: null,
    contenders: null,
    relaxedChild: true,
    child: null,
    childOut: null,
    outDir: path.join(benchDirectory, 'results'),
    lossesRows: null,
    lossesVariant: null,
  };
  for (const argument of argv) {
    const [name, value] = argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, null];
    const list = () => (value ?? '').split(',').map((word) => word.trim()).filter((word) => word !== '');
    if (name === '--quick') options.quick = true;
    else if (name === '--only') options.only = list();
    else if (name === '--contenders') options.contenders = list();
    else if (name === '--no-relaxed-child') options.relaxedChild = false;
    else if (name === '--child') options.child = value;
    else if (name === '--child-out') options.childOut = value;
    else if (name === '--out-dir') options.outDir = path.resolve(value ?? '');
    else if (name === '--losses-n') {
      options.lossesRows = list().map(Number);
      if (options.lossesRows.length === 0 || !options.lossesRows.every((rows) => Number.isInteger(rows) && rows >= 2)) {
        console.error(`run.mjs: --losses-n wants row counts ≥ 2, e.g. --losses-n=4096,16384; got ${value}`);
        process.exit(2);
      }
    } else if (name === '--losses-variant') {
      if (!['auto', 'scalar', 'simd128', 'relaxed'].includes(value)) {
        console.error(`run.mjs: --losses-variant is auto, scalar, simd128 or relaxed; got ${value}`);
        process.exit(2);
      }
      options.lossesVariant = value;
    } else if (name === '--help' || name === '-h') {
      const header = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      console.log(header.slice(0, header.findIndex((line) => !line.startsWith('//'))).map((line) => line.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else {
      console.error(`run.mjs: unknown argument ${argument} (try --help)`);
      process.exit(2);
    }
  }
  return options;
}

const options = parseArguments(process.argv.slice(2));
const mode = options.quick ? 'quick' : 'full';
const isChild = options.child !== null;
const log = isChild ? (line) => console.log(`  [${options.child} child] ${line}`) : (line) => console.log(line);

/**
 * Target seconds per timed call for each contender class: a contender whose call on all rows
 * would take much longer runs on a prefix of the rows. `headline` (cosinekit simd128/relaxed
 * zero-copy, tfjs XNNPACK) is meant to run every workload at its full size.
 */
const BUDGET_SECONDS = options.quick
  ? { headline: 0.25, large: 0.1, baseline: 0.04, small: 0.02 }
  : { headline: 10, large: 2, baseline: 0.4, small: 0.15 };
const TIMING = options.quick
  ? { warmSeconds: 0.01, warmCalls: 1, rounds: 2, slowRounds: 2, roundSeconds: 0.005 }
  : { warmSeconds: 0.2, warmCalls: 2, rounds: 7, slowRounds: 3, roundSeconds: 0.05 };
/** Single pair: a run is microseconds, so more, shorter rounds (per-call times come from run time / callsPerRun). */
const SINGLE_TIMING = options.quick ? TIMING : { warmSeconds: 0.1, warmCalls: 2, rounds: 9, slowRounds: 3, roundSeconds: 0.03 };

function budgetOf(contender) {
  if (isChild && contender.id === 'tfjs-xnnpack') return BUDGET_SECONDS.baseline;
  return BUDGET_SECONDS[contender.budget];
}

// ───────────────────────────── set-up ─────────────────────────────

function selectedWorkloads() {
  const all = workloadsFor(mode);
  if (options.only === null) return all;
  return all.filter((workload) =>
    options.only.some((word) => workload.id.includes(word) || workload.op === word || workload.family.toLowerCase() === word.toLowerCase()),
  );
}

function loadCosinekitVariant(variant) {
  if (!cosinekit.isVariantSupported(variant)) {
    return { reason: `this engine does not support the ${variant} variant` };
  }
  try {
    return { api: cosinekit.createInstanceSync({ variant }) };
  } catch (error) {
    return { reason: `createInstanceSync({ variant: '${variant}' }) failed: ${error.message}` };
  }
}

/** Contenders run whatever --contenders says: the baselines of a workload's ratios. */
function baselinesOf(workload) {
  return workload.op === 'single' ? ['js-optimised', 'compute-cosine-similarity'] : ['js-optimised'];
}

const wantedByOption = (contender) => options.contenders === null || options.contenders.some((word) => contender.id.includes(word));

/**
 * Every contender this process runs. The single pair has cosinekit contenders of its own
 * (cosinekitPairContenders) for the SIMD variants — the ones an engine picks by default.
 */
async function buildContenders() {
  const ccs = loadComputeCosineSimilarity();
  const pairContenders = (variant, instance) => cosinekitPairContenders(variant, instance, loadCosinekitVariant(variant));
  if (isChild) {
    // The child measures its own baselines (JS loop, compute-cosine-similarity, XNNPACK), so
    // that its ratios come from one process like the parent's.
    const instance = loadCosinekitVariant(options.child);
    const xnnpack = tfjsContenders(await loadTfjsWasm()).filter((contender) => contender.id === 'tfjs-xnnpack');
    const ccsOnly = peerContenders({ ccs, ml: { reason: 'not run in the child' }, simsimd: { reason: 'not run in the child' } }).filter((contender) => contender.id === 'compute-cosine-similarity');
    return {
      contenders: [jsOptimised, ...ccsOnly, ...xnnpack, cosinekitContender(options.child, true, instance), cosinekitContender(options.child, false, instance), ...pairContenders(options.child, instance)],
      peers: {},
      relaxed: null,
    };
  }
  const [ml, simsimd, tfjs] = [await loadMlDistance(), await loadSimsimd(), await loadTfjsWasm()];
  const contenders = [jsNaive, jsOptimised, ...peerContenders({ ccs, ml, simsimd }), ...tfjsContenders(tfjs)];
  let relaxed = 'in-process';
  for (const variant of VARIANTS) {
    if (variant === 'relaxed' && !cosinekit.isVariantSupported('relaxed')) {
      relaxed = options.relaxedChild ? 'child' : 'skipped (--no-relaxed-child)';
      continue;
    }
    const instance = loadCosinekitVariant(variant);
    contenders.push(cosinekitContender(variant, true, instance), cosinekitContender(variant, false, instance));
    if (variant !== 'scalar') contenders.push(...pairContenders(variant, instance));
  }
  const peers = {
    'compute-cosine-similarity': { version: ccs.version ?? null, status: ccs.reason ?? 'ok' },
    'ml-distance': { version: ml.version ?? null, status: ml.reason ?? 'ok' },
    simsimd: { version: simsimd.version ?? null, status: simsimd.reason ?? 'ok (native N-API addon)' },
    '@tensorflow/tfjs-backend-wasm': { version: tfjs.version ?? null, status: tfjs.reason ?? `ok (${tfjs.detail})` },
    '@tensorflow/tfjs-core': { version: installedVersion('@tensorflow/tfjs-core'), status: tfjs.reason ?? 'ok' },
  };
  return { contenders, peers, relaxed };
}

// ───────────────────────────── running one contender ─────────────────────────────

/** Runs `prepared.run` once and frees its result, as every timed call does. */
function callOf(prepared) {
  const { run, release } = prepared;
  return release === undefined ? run : () => release(run());
}

function withPrepared(contender, workload, instance, body) {
  const prepared = contender.ops[workload.op](instance);
  try {
    return body(prepared);
  } finally {
    prepared.dispose?.();
  }
}

function alignRows(workload, rows, minRows) {
  const step = workload.rowStep;
  let aligned = Math.floor(rows / step) * step;
  if (aligned > 512) aligned -= aligned % 128;
  else if (aligned > 64) aligned -= aligned % 16;
  else if (aligned > 8) aligned -= aligned % (4 * step);
  return Math.max(minRows, Math.min(workload.fullRows, aligned));
}

/** The most rows whose call should take at most `budget` seconds at `rate` flop/s. */
function rowsWithin(workload, rate, budget, minRows) {
  const full = workload.fullRows;
  if (workload.flops(full) / rate <= budget * 1.4) return full;
  let low = minRows;
  let high = full;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (workload.flops(middle) / rate <= budget) low = middle;
    else high = middle;
  }
  return alignRows(workload, low, minRows);
}

/**
 * How many rows this contender runs: all of them for headline contenders (corrected after
 * the first call if that was far over budget); otherwise sized from probe calls on growing
 * prefixes until a probe takes a fifth of the budget.
 */
function chooseRows(contender, workload, instanceAt, minRows) {
  const full = workload.fullRows;
  if (full === 1 || contender.budget === 'headline') return full;
  const budget = budgetOf(contender);
  let rows = minRows;
  while (rows < full && workload.flops(rows) < 1e6) rows = Math.min(full, rows * 2);
  rows = alignRows(workload, rows, minRows);
  for (;;) {
    const seconds = withPrepared(contender, workload, instanceAt(rows), (prepared) => probeSeconds(callOf(prepared), budget));
    const rate = workload.flops(rows) / Math.max(seconds, 1e-9);
    if (seconds >= budget / 5 || rows === full || workload.flops(full) / rate <= budget) return rowsWithin(workload, rate, budget, minRows);
    rows = alignRows(workload, Math.min(full, rows * 4), minRows);
  }
}

function resultBase(contender) {
  return {
    contender: contender.id,
    label: contender.label,
    short: contender.short,
    group: contender.group,
    process: isChild ? `${options.child} child (node --experimental-wasm-relaxed-simd)` : 'main',
  };
}

/**
 * Sets a contender up on its rows and checks its first result against the reference.
 * Returns { entry } ready to time (with `dispose`), or { result } when it is unavailable or failed.
 */
function prepareChecked(contender, workload, instanceAt) {
  const base = resultBase(contender);
  if (contender.unavailable) return { result: { ...base, status: 'unavailable', reason: contender.unavailable } };
  if (contender.missing?.[workload.op]) return { result: { ...base, status: 'unavailable', reason: contender.missing[workload.op] } };
  let prepared = null;
  try {
    const minRows = workload.minRowsFor?.(contender) ?? workload.minRows;
    let rows = chooseRows(contender, workload, instanceAt, minRows);
    for (let attempt = 0; ; attempt++) {
      const instance = instanceAt(rows);
      prepared = contender.ops[workload.op](instance);
      let output;
      const seconds = timeOneCall(() => {
        output = prepared.run();
      });
      const checked = instance.check(prepared.read ? prepared.read(output) : output);
      prepared.release?.(output);
      if (!(checked.error <= contender.tolerance)) {
        const error = new Error(`wrong result: max error ${checked.error} > tolerance ${contender.tolerance} (${checked.where})`);
        error.maxError = checked.error;
        throw error;
      }
      const budget = budgetOf(contender);
      if (attempt === 0 && seconds > budget * 1.5 && rows > minRows) {
        const smaller = rowsWithin(workload, workload.flops(rows) / seconds, budget, minRows);
        if (smaller < rows) {
          prepared.dispose?.();
          prepared = null;
          rows = smaller;
          continue;
        }
      }
      return { entry: { contender, rows, prepared, call: callOf(prepared), firstCallSeconds: seconds, budgetSeconds: budget, maxError: checked.error, base } };
    }
  } catch (error) {
    prepared?.dispose?.();
    return { result: { ...base, status: 'failed', reason: String(error?.message ?? error).split('\n')[0], maxError: error?.maxError ?? null } };
  }
}

function formatResultLine(workload, result) {
  const name = result.short.padEnd(40);
  if (result.status !== 'ok') return `${workload.id.padEnd(34)} ${name} ${result.status.toUpperCase()}: ${result.reason}`;
  const time =
    result.seconds < 1e-6 ? `${(result.seconds * 1e9).toFixed(1)} ns` : result.seconds < 1e-3 ? `${(result.seconds * 1e6).toFixed(2)} µs` : `${(result.seconds * 1e3).toFixed(2)} ms`;
  const rows = result.rows < result.fullRows ? `  (${result.rows} of ${result.fullRows} rows)` : '';
  return `${workload.id.padEnd(34)} ${name} ${time.padStart(11)}  ${result.gflops.toFixed(3).padStart(8)} GFLOP/s  ±${(result.spread * 100).toFixed(0)}%  err ${result.maxError.toExponential(1)}${rows}`;
}

/**
 * A timing of runs as a timing of calls: single-pair workloads make `callsPerRun` calls per
 * run, and their seconds (median, best, worst, per-round samples) are per call.
 */
function perCall(timing, callsPerRun) {
  if (callsPerRun === 1) return timing;
  return {
    ...timing,
    seconds: timing.seconds / callsPerRun,
    secondsMin: timing.secondsMin / callsPerRun,
    secondsMax: timing.secondsMax / callsPerRun,
    samples: timing.samples.map((seconds) => seconds / callsPerRun),
    runs: timing.calls,
    callsPerRun,
    calls: timing.calls * callsPerRun,
  };
}

function runWorkload(workload, contenders) {
  const started = performance.now();
  const instanceAt = workload.create();
  const baselines = baselinesOf(workload);
  const applicable = contenders.filter(
    (contender) =>
      contender.ops[workload.op] !== undefined && (contender.appliesTo?.(workload) ?? true) && (baselines.includes(contender.id) || wantedByOption(contender)),
  );
  const outcomes = applicable.map((contender) => prepareChecked(contender, workload, instanceAt));
  const entries = outcomes.filter((outcome) => outcome.entry).map((outcome) => outcome.entry);
  let timings = [];
  try {
    timings = measureInterleaved(entries, workload.op === 'single' ? SINGLE_TIMING : TIMING).map((timing) => perCall(timing, workload.callsPerRun ?? 1));
  } finally {
    for (const entry of entries) entry.prepared.dispose?.();
    collectGarbage();
  }
  const results = outcomes.map((outcome) => {
    if (outcome.result) return outcome.result;
    const { entry } = outcome;
    const timing = timings[entries.indexOf(entry)];
    const bytes = workload.bytes ? workload.bytes(entry.rows) : null;
    return {
      ...entry.base,
      status: 'ok',
      rows: entry.rows,
      fullRows: workload.fullRows,
      ...timing,
      maxError: entry.maxError,
      tolerance: entry.contender.tolerance,
      gflops: workload.flops(entry.rows) / timing.seconds / 1e9,
      gbps: workload.memoryBound && bytes !== null ? bytes / timing.seconds / 1e9 : null,
    };
  });
  for (const result of results) log(formatResultLine(workload, result));
  const elapsedSeconds = (performance.now() - started) / 1000;
  log(`${workload.id.padEnd(34)} (${elapsedSeconds.toFixed(1)} s for this workload, checks and set-up included)`);
  return {
    id: workload.id,
    op: workload.op,
    family: workload.family,
    title: workload.title,
    params: workload.params,
    memoryBound: workload.memoryBound,
    flopsPerCall: workload.flops(workload.fullRows),
    flopsFormula: FORMULAS[workload.op].flops,
    bytesFormula: workload.memoryBound ? FORMULAS[workload.op].bytes : null,
    elapsedSeconds,
    results,
  };
}

function runWorkloads(workloads, contenders) {
  return workloads.map((workload) => runWorkload(workload, contenders));
}

// ───────────────────────────── relaxed-simd child ─────────────────────────────

function runRelaxedChild() {
  const childOut = path.join(os.tmpdir(), `cosinekit-bench-relaxed-${process.pid}.json`);
  const argv = ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), '--child=relaxed', `--child-out=${childOut}`];
  if (options.quick) argv.push('--quick');
  if (options.only) argv.push(`--only=${options.only.join(',')}`);
  if (options.contenders) argv.push(`--contenders=${options.contenders.join(',')}`);
  log(`\nrelaxed-simd: Node ${process.version} needs a flag for it; running its contenders in \`node ${argv[0]}\` …`);
  const child = spawnSync(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    if (child.error) return { reason: `the child process did not start: ${child.error.message}` };
    if (child.status !== 0 && child.status !== 1) return { reason: `the child process exited with status ${child.status ?? child.signal}` };
    return JSON.parse(readFileSync(childOut, 'utf8'));
  } catch (error) {
    return { reason: `the child process wrote no readable results: ${error.message}` };
  } finally {
    rmSync(childOut, { force: true });
  }
}

/** The child's baselines: kept beside each of its results (`sameProcess`), not merged as results of their own. */
const CHILD_BASELINES = ['js-optimised', 'tfjs-xnnpack', 'compute-cosine-similarity'];

/** Adds the child's cosinekit results to the matching workloads; the baselines it measured are kept beside them. */
function mergeChild(records, child) {
  for (const childRecord of child.workloads) {
    const record = records.find((candidate) => candidate.id === childRecord.id);
    if (record === undefined) continue;
    const sameProcess = {};
    for (const id of CHILD_BASELINES) {
      const baseline = childRecord.results.find((result) => result.contender === id);
      if (baseline !== undefined) sameProcess[id] = baseline;
    }
    for (const result of childRecord.results) {
      if (CHILD_BASELINES.includes(result.contender)) continue;
      record.results.push({
        ...result,
        sameProcess,
        sameProcessBaseline: sameProcess['js-optimised'] ?? null,
        sameProcessXnnpack: sameProcess['tfjs-xnnpack'] ?? null,
      });
    }
  }
}

// ───────────────────────────── main ─────────────────────────────

const environment = describeEnvironment(benchDirectory);
const workloads = selectedWorkloads();
// The losses section (bench/lib/losses.mjs): in every run of the parent, or alone with --only=losses.
const wantLosses = !isChild && (options.only === null || options.only.includes('losses'));
if (workloads.length === 0 && !wantLosses) {
  console.error(`run.mjs: --only=${options.only.join(',')} selects no workload`);
  process.exit(2);
}
const { contenders, peers, relaxed } = await buildContenders();
const cosinekitApi = Object.fromEntries(
  Object.values(COSINEKIT_FUNCTIONS).map((name) => [name, typeof cosinekit[name] === 'function']),
);

if (!isChild) {
  log(`cosinekit benchmark (${mode}${options.only ? `, only ${options.only.join(',')}` : ''})`);
  log(environmentLine(environment));
  log(`cosinekit ${installedVersion('cosinekit') ?? ''}: ${Object.entries(cosinekitApi).map(([name, present]) => `${name} ${present ? 'yes' : 'not in this build'}`).join(', ')}`);
  for (const [name, peer] of Object.entries(peers)) log(`${name} ${peer.version ?? ''}: ${peer.status}`);
  log(`flops: ${Object.entries(FORMULAS).map(([op, formula]) => `${op} ${formula.flops}`).join('; ')}`);
  log('every result is checked against a float64 reference before it is timed; times are medians of the rounds\n');
}

const started = performance.now();
const records = runWorkloads(workloads, contenders);

if (isChild) {
  writeFileSync(options.childOut, JSON.stringify({ environment, workloads: records }));
  const failed = records.some((record) => record.results.some((result) => result.status === 'failed'));
  process.exit(failed ? 1 : 0);
}

let relaxedStatus = relaxed;
if (relaxed === 'child') {
  const child = runRelaxedChild();
  if (child.reason) {
    relaxedStatus = `not measured: ${child.reason}`;
    log(`relaxed-simd ${relaxedStatus}`);
  } else {
    mergeChild(records, child);
    relaxedStatus = 'child process (node --experimental-wasm-relaxed-simd), ratios against the JS baseline measured in that process';
  }
}

/**
 * Extra memory of one topK call (issue: ≤ 64 MiB at Q = 1000, N = 100 000, D = 384): a fresh
 * instance gets the queries and the corpus as WasmTensors, then one call runs; WASM memory
 * only grows when the heap has no free block for a request (and then by exactly the missing
 * pages), so the growth over the call bounds everything the call held in WASM memory at
 * once (scratch, result staging). The JS-owned results (Q·k indices and scores) come on top.
 */
function measureTopKMemory(workload) {
  const variant = ['simd128', 'scalar'].find((name) => cosinekit.isVariantSupported(name));
  const { Q, N, D, k } = workload.params;
  const api = cosinekit.createInstanceSync({ variant });
  const queries = api.alloc([Q, D]);
  const corpus = api.alloc([N, D]);
  try {
    let seed = 12345;
    for (const tensor of [queries, corpus]) {
      const data = tensor.data;
      for (let index = 0; index < data.length; index++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        data[index] = seed / 2 ** 31 - 1;
      }
    }
    const memoryBefore = api.backendInfo().memoryBytes;
    const heapBefore = api.heapBytesInUse();
    const result = api.topK(queries, corpus, k);
    const memoryAfter = api.backendInfo().memoryBytes;
    return {
      workload: workload.id,
      variant,
      inputBytes: (Q + N) * D * 4,
      wasmGrowthBytes: memoryAfter - memoryBefore,
      resultBytes: result.indices.byteLength + result.scores.byteLength,
      heapLeakBytes: api.heapBytesInUse() - heapBefore,
    };
  } finally {
    queries.dispose();
    corpus.dispose();
  }
}

const topKWorkload = records.some((record) => record.op === 'topk') ? workloads.find((workload) => workload.op === 'topk') : undefined;
const topKMemory = topKWorkload === undefined ? null : measureTopKMemory(topKWorkload);
if (topKMemory !== null) {
  const mib = (bytes) => (bytes / 2 ** 20).toFixed(2);
  log(`${topKMemory.workload}: extra memory of one call: ${mib(topKMemory.wasmGrowthBytes)} MiB WASM memory growth + ${mib(topKMemory.resultBytes)} MiB results (inputs ${mib(topKMemory.inputBytes)} MiB; heap after − before: ${topKMemory.heapLeakBytes} B)`);
}

const losses = wantLosses ? measureLosses({ cosinekit, quick: options.quick, log, rowCounts: options.lossesRows, variant: options.lossesVariant }) : null;

const report = {
  schema: 'cosinekit-bench/1',
  mode,
  only: options.only,
  environment,
  cosinekit: { version: installedVersion('cosinekit'), api: cosinekitApi, relaxed: relaxedStatus },
  peers,
  formulas: FORMULAS,
  method: {
    budgetSeconds: BUDGET_SECONDS,
    timing: TIMING,
    singleTiming: SINGLE_TIMING,
    description:
      'Each result is checked against a float64 reference (tolerance 1e-5 for cosinekit, 1e-4 for the others) before it is timed. ' +
      'Warm-up: at least warmCalls calls and warmSeconds (none when the checked call took over 1 s); then the contenders of a workload are timed in interleaved rounds ' +
      '(round r of every contender before round r+1 of any), `rounds` rounds (slowRounds when a call takes over 1 s; the checked call alone when it took over 1 s and 4× its budget on the fewest rows), ' +
      'each repeating the call for at least roundSeconds; seconds = median per-call time over the rounds, spread = (slowest − fastest round) / median. ' +
      'Contenders whose call would far exceed their budget run on a prefix of the rows (rows < fullRows); rates (GFLOP/s) and ratios compare throughput. ' +
      'Single pair: one run calls the contender on each of the workload\'s distinct pairs (params.pairs), params.repeat times over, through a driver loop compiled for that contender alone ' +
      '(the pure-JS functions also get a fresh copy per input kind, so V8 sees one array kind per function); its seconds are per call (run time / callsPerRun), and every pair\'s result is checked.',
  },
  elapsedSeconds: (performance.now() - started) / 1000,
  workloads: records,
  topKMemory,
  losses,
};
analyse(report);

// A quick run writes quick.*, so that `npm test` never overwrites the last full run's latest.*.
const stem = options.quick ? 'quick' : 'latest';
mkdirSync(options.outDir, { recursive: true });
writeFileSync(path.join(options.outDir, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(options.outDir, `${stem}.md`), markdownReport(report) + lossesMarkdown(losses));
writeFileSync(path.join(options.outDir, `${stem}.svg`), renderChart(report));
console.log(`\n${consoleReport(report)}`);
console.log(`wrote ${path.relative(process.cwd(), path.join(options.outDir, `${stem}.{json,md,svg}`))} in ${report.elapsedSeconds.toFixed(1)} s`);

const failures = records.flatMap((record) => record.results.filter((result) => result.status === 'failed').map((result) => `${record.id} / ${result.contender}: ${result.reason}`));
if (failures.length > 0) {
  console.error(`\nBENCHMARK FAILED: ${failures.length} result(s) disagree with the float64 reference or threw:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
