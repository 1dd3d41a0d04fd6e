// Call sites of their own. V8 keeps type feedback per function (per source position), so a
// JS function that one contender calls with Float32Arrays and another with number[] becomes
// polymorphic for both, and one driver loop shared by every contender calls a different
// target each time (no inlining for anyone). The single-pair section therefore compiles, per
// contender and input kind, a fresh copy of each pure-JS cosine and a fresh driver loop: each
// is measured as in a program that uses one function on one kind of array.

let compiled = 0;

/** Compiles `body` as a new function body; the numbered sourceURL makes every source distinct (no compilation-cache hit, so no shared feedback). */
function compileFresh(body, tag) {
  compiled++;
  return new Function(`'use strict';\n${body}\n//# sourceURL=cosinekit-bench/${tag.replace(/[^\w.-]/g, '_')}-${compiled}.js`)();
}

/**
 * A fresh copy of `fn`, which must be self-contained (no free variables but globals), or
 * null when its source does not compile on its own or the copy disagrees with `fn` on
 * `probe` (arguments; the results must be identical, NaN included).
 */
export function freshCopy(fn, tag, probe) {
  let copy;
  try {
    copy = compileFresh(`return (${fn.toString()});`, tag);
    if (typeof copy !== 'function' || !Object.is(copy(...probe), fn(...probe))) return null;
  } catch {
    return null;
  }
  return copy;
}

/**
 * A fresh driver: `drive(pairCosine, firsts, seconds, out, repeat)` calls `pairCosine` on
 * every pair `repeat` times and leaves pair p's result in `out[p]` (so nothing is optimised
 * away and the last round is what the correctness check reads). Its one call site only ever
 * sees `pairCosine`, as a caller's loop would.
 */
export function freshPairDriver(tag) {
  return compileFresh(
    `return function drivePairs(pairCosine, firsts, seconds, out, repeat) {
  const pairCount = out.length;
  for (let round = 0; round < repeat; round++) {
    for (let pair = 0; pair < pairCount; pair++) out[pair] = pairCosine(firsts[pair], seconds[pair]);
  }
  return out;
};`,
    `drive-${tag}`,
  );
}
