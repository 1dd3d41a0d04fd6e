// Contrastive training in plain JS with cosinekit's losses and their gradients: InfoNCE
// (default) or sentence-transformers' multiple negatives ranking loss (--objective=mnrl).
//
// Data: 64 "objects", each a random 8-d signal hidden in a 64-d vector whose other 56
// dimensions are strong noise, drawn afresh for each of its two views. A linear head
// W (64 → 16) is trained by gradient descent so that the two views of an object land close
// together and away from the other objects: the loss falls as W learns to ignore the noise.
// With MNRL the first view of each object is the anchor and the second its positive
// candidate; the other objects' second views are the in-batch negatives.
//   node train.mjs                   (InfoNCE; prints the loss every 50 steps)
//   node train.mjs --objective=mnrl  (multiple negatives ranking loss)
import { infoNCE, init, multipleNegativesRankingLoss } from 'cosinekit';

const INPUT = 64;
const SIGNAL = 8;
const OUTPUT = 16;

function generator(seed) {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/** Two noisy views per object, interleaved: rows 2k and 2k+1 are views of object k. */
function twoViews(objects, normal) {
  const batch = new Float32Array(2 * objects * INPUT);
  for (let object = 0; object < objects; object++) {
    const signal = Array.from({ length: SIGNAL }, normal);
    for (let view = 0; view < 2; view++) {
      const row = (2 * object + view) * INPUT;
      for (let index = 0; index < INPUT; index++) {
        batch[row + index] = index < SIGNAL ? signal[index] + 0.1 * normal() : 3 * normal();
      }
    }
  }
  return batch;
}

/** out [rows × columns] = a [rows × inner] · b [inner × columns]. */
function multiply(a, b, rows, inner, columns) {
  const out = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < inner; k++) {
      const value = a[row * inner + k];
      for (let column = 0; column < columns; column++) out[row * columns + column] += value * b[k * columns + column];
    }
  }
  return out;
}

/**
 * MNRL over the interleaved views: anchors are rows 2k, candidates rows 2k+1 (scores
 * cos / temperature); the two gradients are interleaved back into d loss / d features.
 */
function rankingLoss(features, objects, temperature) {
  const anchors = new Float32Array(objects * OUTPUT);
  const candidates = new Float32Array(objects * OUTPUT);
  for (let object = 0; object < objects; object++) {
    anchors.set(features.subarray(2 * object * OUTPUT, (2 * object + 1) * OUTPUT), object * OUTPUT);
    candidates.set(features.subarray((2 * object + 1) * OUTPUT, (2 * object + 2) * OUTPUT), object * OUTPUT);
  }
  const shape = [objects, OUTPUT];
  const { loss, gradAnchors, gradCandidates } = multipleNegativesRankingLoss({ data: anchors, shape }, { data: candidates, shape }, { scale: 1 / temperature, grad: true });
  const grad = new Float32Array(2 * objects * OUTPUT);
  for (let object = 0; object < objects; object++) {
    grad.set(gradAnchors.data.subarray(object * OUTPUT, (object + 1) * OUTPUT), 2 * object * OUTPUT);
    grad.set(gradCandidates.data.subarray(object * OUTPUT, (object + 1) * OUTPUT), (2 * object + 1) * OUTPUT);
  }
  return { loss, grad: { data: grad } };
}

const OBJECTIVES = { infonce: 'InfoNCE', mnrl: 'MNRL' };

/** Trains the head; returns the loss recorded every `every` steps (step 0 first). */
export async function train({ steps = 300, objects = 64, learningRate = 2, temperature = 0.2, every = 50, objective = 'infonce', log = () => {} } = {}) {
  if (!(objective in OBJECTIVES)) throw new RangeError(`objective must be 'infonce' or 'mnrl', got ${JSON.stringify(objective)}`);
  await init();
  const normal = generator(42);
  const weights = Float32Array.from({ length: INPUT * OUTPUT }, () => 0.1 * normal());
  const history = [];
  const rows = 2 * objects;
  for (let step = 0; step <= steps; step++) {
    const inputs = twoViews(objects, normal);
    const features = multiply(inputs, weights, rows, INPUT, OUTPUT);
    const { loss, grad } =
      objective === 'mnrl' ? rankingLoss(features, objects, temperature) : infoNCE({ data: features, shape: [rows, OUTPUT] }, { temperature, grad: true });
    if (step % every === 0) {
      history.push({ step, loss });
      log(`step ${String(step).padStart(4)}  ${OBJECTIVES[objective]} loss ${loss.toFixed(4)}`);
    }
    // dL/dW = inputsᵀ · dL/dfeatures
    for (let k = 0; k < INPUT; k++) {
      for (let column = 0; column < OUTPUT; column++) {
        let gradient = 0;
        for (let row = 0; row < rows; row++) gradient += inputs[row * INPUT + k] * grad.data[row * OUTPUT + column];
        weights[k * OUTPUT + column] -= learningRate * gradient;
      }
    }
  }
  return history;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const objective = process.argv.find((argument) => argument.startsWith('--objective='))?.slice('--objective='.length) ?? 'infonce';
  const history = await train({ objective, log: console.log });
  const first = history[0].loss;
  const last = history[history.length - 1].loss;
  const chance = objective === 'mnrl' ? `ln N = ${Math.log(64).toFixed(3)}` : `ln(2N − 1) = ${Math.log(127).toFixed(3)}`;
  console.log(`loss ${first.toFixed(3)} → ${last.toFixed(3)} (chance level: ${chance})`);
}
