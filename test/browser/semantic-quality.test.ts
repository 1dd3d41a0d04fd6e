// The example's embedding (examples/semantic-search/src/embed.ts), checked in Node (no
// browser): it agrees with the independent float64 reference, and related sentences really
// come out near each other — measured by topic, with thresholds well below what it reaches.

import { describe, expect, test } from 'vitest';
import { CORPUS, TOPICS } from '../../examples/semantic-search/src/corpus.js';
import { DIMENSIONS, Embedder } from '../../examples/semantic-search/src/embed.js';
import { ReferenceEmbedding, cosine64, rankAll } from './support/reference-embedding.js';

const texts = CORPUS.map((sentence) => sentence.text);
const embedder = new Embedder(texts);
const reference = new ReferenceEmbedding(texts);
const page = CORPUS.map((sentence) => embedder.embed(sentence.text));
const exact = CORPUS.map((sentence) => reference.embed(sentence.text));

test('the corpus: 10 topics of 24 distinct sentences', () => {
  expect(TOPICS).toHaveLength(10);
  for (const topic of TOPICS) expect(CORPUS.filter((sentence) => sentence.topic === topic)).toHaveLength(24);
  expect(new Set(texts).size).toBe(texts.length);
  expect(CORPUS.every((sentence, index) => sentence.index === index)).toBe(true);
});

test('the example embedding equals the independent float64 reference (to float32 rounding)', () => {
  let worst = 0;
  for (let row = 0; row < page.length; row++) {
    expect(page[row]).toHaveLength(DIMENSIONS);
    for (let d = 0; d < DIMENSIONS; d++) {
      const want = exact[row]![d]!;
      worst = Math.max(worst, Math.abs(page[row]![d]! - want) / Math.max(1, Math.abs(want)));
    }
  }
  expect(worst).toBeLessThanOrEqual(2 ** -23);
  // and it is not degenerate: different sentences, different vectors
  expect(cosine64(exact[0]!, exact[1]!)).toBeLessThan(0.9);
});

describe('related sentences are near each other', () => {
  const neighbours = exact.map((vector, index) => rankAll(vector, exact).filter((entry) => entry.index !== index));

  test('nearest neighbour and top-5 share the topic far above chance (1/10)', () => {
    let top1 = 0;
    let top5 = 0;
    neighbours.forEach((ranked, index) => {
      const topic = CORPUS[index]!.topic;
      if (CORPUS[ranked[0]!.index]!.topic === topic) top1++;
      top5 += ranked.slice(0, 5).filter((entry) => CORPUS[entry.index]!.topic === topic).length;
    });
    const top1Rate = top1 / CORPUS.length;
    const top5Precision = top5 / (5 * CORPUS.length);
    console.info(`same-topic nearest neighbour ${(100 * top1Rate).toFixed(1)}%, top-5 precision ${(100 * top5Precision).toFixed(1)}%`);
    // measured: 71.7% and 58.8% (chance: 10%)
    expect(top1Rate).toBeGreaterThanOrEqual(0.6);
    expect(top5Precision).toBeGreaterThanOrEqual(0.5);
  });

  test('every topic is closer to itself than to any other topic (mean pairwise cosine)', () => {
    const size = TOPICS.length;
    const sums = new Float64Array(size * size);
    const counts = new Float64Array(size * size);
    const topicOf = CORPUS.map((sentence) => TOPICS.indexOf(sentence.topic));
    for (let i = 0; i < exact.length; i++) {
      for (let j = 0; j < exact.length; j++) {
        if (i === j) continue;
        const cell = topicOf[i]! * size + topicOf[j]!;
        sums[cell] = sums[cell]! + cosine64(exact[i]!, exact[j]!);
        counts[cell] = counts[cell]! + 1;
      }
    }
    const mean = (a: number, b: number) => sums[a * size + b]! / counts[a * size + b]!;
    let within = 0;
    let across = 0;
    TOPICS.forEach((topic, a) => {
      within += mean(a, a) / size;
      for (let b = 0; b < size; b++) {
        if (b === a) continue;
        across += mean(a, b) / (size * (size - 1));
        expect(mean(a, a), `${topic} vs ${TOPICS[b]}`).toBeGreaterThan(mean(a, b) + 0.01);
      }
    });
    console.info(`mean cosine within a topic ${within.toFixed(4)}, across topics ${across.toFixed(4)}`);
    // measured: 0.0675 within, 0.0081 across; the smallest per-pair margin is 0.023
    expect(within - across).toBeGreaterThanOrEqual(0.04);
  });

  test('free-text queries find their topic', () => {
    const queries: [string, string][] = [
      ['how long should bread dough rise before baking', 'cooking'],
      ['which planet has rings you can see with a telescope', 'astronomy'],
      ['the goalkeeper stopped a penalty in the final', 'football'],
      ['my function throws a type error when I compile the code', 'programming'],
      ['when should I prune roses and plant bulbs', 'gardening'],
      ['practise guitar chords before the concert', 'music'],
      ['will it rain or snow tomorrow according to the forecast', 'weather'],
      ['exercise and diet to lower blood pressure', 'health'],
      ['interest rates, inflation and my savings', 'finance'],
      ['train tickets and a hotel near the airport', 'travel'],
    ];
    for (const [query, topic] of queries) {
      const ranked = rankAll(reference.embed(query), exact);
      const topics = ranked.slice(0, 5).map((entry) => CORPUS[entry.index]!.topic);
      expect(topics[0], query).toBe(topic);
      expect(topics.filter((found) => found === topic).length, `${query}: ${topics}`).toBeGreaterThanOrEqual(4);
    }
  });
});
