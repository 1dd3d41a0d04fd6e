// The README's training example really trains: InfoNCE (and MNRL) gradients from cosinekit drive a
// linear head, and the loss falls well below its starting value and below chance level.

import { expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs example without type declarations
import { train } from '../examples/contrastive-training/train.mjs';

test('gradient descent on two-view data lowers the InfoNCE loss', async () => {
  const history = (await train({ steps: 150, every: 50 })) as { step: number; loss: number }[];
  expect(history.map((entry) => entry.step)).toEqual([0, 50, 100, 150]);
  const first = history[0]!.loss;
  const last = history[history.length - 1]!.loss;
  expect(first).toBeGreaterThan(Math.log(127));
  expect(last).toBeLessThan(0.5 * first);
  expect(last).toBeLessThan(Math.log(127) - 1);
}, 60_000);

test('the second objective, the multiple negatives ranking loss, lowers its loss too', async () => {
  const history = (await train({ steps: 150, every: 50, objective: 'mnrl' })) as { step: number; loss: number }[];
  const first = history[0]!.loss;
  const last = history[history.length - 1]!.loss;
  // Chance level for 64 anchors against 64 candidates is ln 64.
  expect(first).toBeGreaterThan(Math.log(64));
  expect(last).toBeLessThan(0.5 * first);
  expect(last).toBeLessThan(Math.log(64) - 1);
  await expect(train({ steps: 0, objective: 'siglip' })).rejects.toThrow(/objective must be 'infonce' or 'mnrl', got "siglip"/);
}, 60_000);
