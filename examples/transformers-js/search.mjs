// Semantic search over what a transformers.js feature-extraction pipeline returns, with no
// model and nothing downloaded: the tensors below have the shape and fields of its output
// (`{ data, dims, type }`, token embeddings `[batch, tokens, hidden]` and an attention mask),
// filled by a seeded generator. The steps are the ones a real app runs:
//   1. mean-pool the token embeddings over the mask (the pipeline's `pooling: 'mean'` does
//      this itself; here it is written out, since there is no pipeline);
//   2. `normalize` the sentence embeddings (a `{ data, dims }` tensor passes as it is);
//   3. `topK` of each query over the corpus (cosine = dot product of unit vectors).
//   node search.mjs     (prints each query's nearest sentences)
import { init, normalize, topK } from 'cosinekit';

const HIDDEN = 384;
const TOKENS = 12;

function generator(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/**
 * Token embeddings of `sentences` (each a topic number), as a feature-extraction pipeline
 * returns them: sentences on one topic share a direction, plus per-token noise; a mask marks
 * the real tokens (the rest is padding).
 */
function pipelineOutput(topics, seed) {
  const random = generator(seed);
  const topicDirections = new Map();
  const direction = (topic) => {
    if (!topicDirections.has(topic)) {
      const own = generator(1000 + topic);
      topicDirections.set(topic, Float32Array.from({ length: HIDDEN }, () => own()));
    }
    return topicDirections.get(topic);
  };
  const data = new Float32Array(topics.length * TOKENS * HIDDEN);
  const mask = new Float32Array(topics.length * TOKENS);
  topics.forEach((topic, sentence) => {
    const length = 4 + (sentence % (TOKENS - 4));
    const base = direction(topic);
    for (let token = 0; token < TOKENS; token++) {
      const real = token < length;
      mask[sentence * TOKENS + token] = real ? 1 : 0;
      for (let k = 0; k < HIDDEN; k++) {
        data[(sentence * TOKENS + token) * HIDDEN + k] = real ? base[k] + 0.8 * random() : 0;
      }
    }
  });
  return {
    last_hidden_state: { type: 'float32', data, dims: [topics.length, TOKENS, HIDDEN] },
    attention_mask: { type: 'float32', data: mask, dims: [topics.length, TOKENS] },
  };
}

/** Mean of the real tokens of each sentence: `[batch, tokens, hidden]` → `{ data, dims: [batch, hidden] }`. */
function meanPool({ last_hidden_state: states, attention_mask: mask }) {
  const [batch, tokens, hidden] = states.dims;
  const pooled = new Float32Array(batch * hidden);
  for (let sentence = 0; sentence < batch; sentence++) {
    let count = 0;
    for (let token = 0; token < tokens; token++) {
      if (mask.data[sentence * tokens + token] === 0) continue;
      count++;
      for (let k = 0; k < hidden; k++) pooled[sentence * hidden + k] += states.data[(sentence * tokens + token) * hidden + k];
    }
    for (let k = 0; k < hidden; k++) pooled[sentence * hidden + k] /= count;
  }
  return { type: 'float32', data: pooled, dims: [batch, hidden] };
}

export const corpusTopics = Array.from({ length: 60 }, (_, sentence) => sentence % 6);
export const queryTopics = [0, 3, 5];

/** The mean-pooled sentence embeddings of the corpus and the queries (`{ data, dims }`, not normalised). */
export function embed() {
  return { corpus: meanPool(pipelineOutput(corpusTopics, 7)), queries: meanPool(pipelineOutput(queryTopics, 8)) };
}

/** Embeds a corpus and queries, searches, and returns each query's `k` nearest corpus sentences. */
export async function search({ k = 3 } = {}) {
  await init();
  const pooled = embed();
  const corpus = normalize(pooled.corpus);
  const queries = normalize(pooled.queries);
  const found = topK(queries, corpus, k);
  return queryTopics.map((topic, query) => ({
    topic,
    neighbours: Array.from(found.indices.subarray(query * k, (query + 1) * k), (index, rank) => ({
      index,
      topic: corpusTopics[index],
      score: found.scores[query * k + rank],
    })),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const { topic, neighbours } of await search()) {
    const list = neighbours.map(({ index, topic: found, score }) => `#${index} (topic ${found}, ${score.toFixed(3)})`).join(', ');
    console.log(`query on topic ${topic}: ${list}`);
  }
}
