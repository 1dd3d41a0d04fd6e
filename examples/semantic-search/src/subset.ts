// Which sentences the heatmap shows: for each topic, its most central sentence (largest
// summed cosine to the rest of its topic) and that sentence's two nearest neighbours within
// the topic; ties go to the lower index. Reads the full N×N matrix from pairwiseCosine.

import type { Sentence, Topic } from './corpus.js';

export const PER_TOPIC = 3;

export function heatmapSubset(matrix: Float32Array, corpus: readonly Sentence[], topics: readonly Topic[]): number[] {
  const count = corpus.length;
  const chosen: number[] = [];
  for (const topic of topics) {
    const members = corpus.filter((sentence) => sentence.topic === topic).map((sentence) => sentence.index);
    let central = members[0]!;
    let bestSum = Number.NEGATIVE_INFINITY;
    for (const row of members) {
      let sum = 0;
      for (const column of members) if (column !== row) sum += matrix[row * count + column]!;
      if (sum > bestSum) {
        bestSum = sum;
        central = row;
      }
    }
    const neighbours = members
      .filter((index) => index !== central)
      .sort((left, right) => matrix[central * count + right]! - matrix[central * count + left]! || left - right)
      .slice(0, PER_TOPIC - 1);
    chosen.push(central, ...neighbours);
  }
  return chosen;
}
