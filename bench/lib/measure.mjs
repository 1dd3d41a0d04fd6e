// Timing. Each contender is warmed up until V8 has optimised its call (a minimum time and
// call count), then the contenders of one workload are timed in interleaved rounds — round 1
// of every contender, then round 2 of every contender, … (starting from a different
// contender each round) — so that a slow spell of a shared machine hits all of them alike
// and their ratios stay meaningful. A round repeats the call for at least a minimum time;
// a contender's result is the median seconds per call over its rounds, with min, max and
// spread.

import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/** `gc()` if we can get it (the flag is set at run time, so plain `node run.mjs` works). */
export const collectGarbage = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc');
  } catch {
    return () => {};
  }
})();

export function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Seconds of one call. */
export function timeOneCall(call) {
  const start = performance.now();
  call();
  return (performance.now() - start) / 1000;
}

/** Seconds of one call of `call` (the faster of two, unless the first already exceeds `enough`), for sizing a run. */
export function probeSeconds(call, enough = Infinity) {
  const first = timeOneCall(call);
  return first > enough ? first : Math.min(first, timeOneCall(call));
}

/**
 * Warm-up: at least `warmSeconds` and `warmCalls` calls (one call when a call takes over a
 * second: such a call spends its time in long loops that V8 has long optimised on-stack).
 * Returns the duration of the last call.
 */
export function warmUp(call, { warmSeconds, warmCalls }) {
  const start = performance.now();
  let calls = 0;
  let last = 0;
  while (calls < warmCalls || performance.now() - start < warmSeconds * 1000) {
    last = timeOneCall(call);
    calls++;
    if (last > 1) break;
  }
  return { lastCallSeconds: last, warmCalls: calls };
}

/** One round: repeat `call` for at least `roundSeconds` (at least once); seconds per call. */
export function timeRound(call, roundSeconds) {
  let repetitions = 0;
  const start = performance.now();
  let elapsed;
  do {
    call();
    repetitions++;
    elapsed = performance.now() - start;
  } while (elapsed < roundSeconds * 1000);
  return { secondsPerCall: elapsed / 1000 / repetitions, repetitions };
}

/**
 * Times `entries` ({ call, firstCallSeconds, budgetSeconds }) in interleaved rounds, after
 * warming each up. An entry whose first call (the checked one) took over a second is not
 * warmed up again and gets `slowRounds` rounds; one whose first call took over a second and
 * four times its budget even on its fewest rows (naive JS top-k over 100 000 rows) is timed
 * by that call alone. Returns, per entry,
 * { seconds (median), secondsMin, secondsMax, spread, rounds, calls, warmCalls }.
 */
export function measureInterleaved(entries, timing) {
  const states = entries.map((entry) => {
    collectGarbage();
    if (entry.firstCallSeconds > 1 && entry.firstCallSeconds > 4 * entry.budgetSeconds) {
      return { entry, rounds: 1, warmCalls: 0, samples: [entry.firstCallSeconds], calls: 1 };
    }
    if (entry.firstCallSeconds > 1) {
      return { entry, rounds: Math.min(timing.rounds, timing.slowRounds), warmCalls: 0, samples: [], calls: 0 };
    }
    const warm = warmUp(entry.call, timing);
    const rounds = warm.lastCallSeconds > 1 ? Math.min(timing.rounds, timing.slowRounds) : timing.rounds;
    return { entry, rounds, warmCalls: warm.warmCalls, samples: [], calls: 0 };
  });
  const roundCount = Math.max(0, ...states.map((state) => state.rounds));
  for (let round = 0; round < roundCount; round++) {
    for (let offset = 0; offset < states.length; offset++) {
      const state = states[(round + offset) % states.length];
      if (state.samples.length >= state.rounds) continue;
      const { secondsPerCall, repetitions } = timeRound(state.entry.call, timing.roundSeconds);
      state.samples.push(secondsPerCall);
      state.calls += repetitions;
    }
  }
  return states.map((state) => {
    const seconds = median(state.samples);
    const secondsMin = Math.min(...state.samples);
    const secondsMax = Math.max(...state.samples);
    return { seconds, secondsMin, secondsMax, spread: (secondsMax - secondsMin) / seconds, rounds: state.samples.length, calls: state.calls, warmCalls: state.warmCalls, samples: [...state.samples] };
  });
}
