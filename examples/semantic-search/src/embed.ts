// Deterministic sentence embeddings with no model. Each sentence is a TF-IDF weighted bag of
// features (word stems and the character trigrams of each stem), hashed (FNV-1a) and projected
// to D = 256 by a fixed seeded random ±1 projection; then each word also contributes the
// average of the corpus sentences it occurs in (a first-order "random indexing" step), so that
// sentences whose words keep the same company come out near each other even when they share
// few words. Everything is integer hashing and float64 sums in a fixed order, so the same text
// gives the same vector on every engine (stored as float32, the dtype cosinekit computes in).
//
// The recipe, exactly (test/browser/support/reference-embedding.ts re-implements it independently):
// 1. tokens: lower-case, runs of [a-z0-9], drop stop words and one-letter tokens, then stem:
//    strip "ing" (word longer than 5), "ed" (longer than 4), "es" after s/x/ch/sh (longer than 4)
//    or "s" (longer than 3, not "ss").
// 2. features of each token t: "w:t" with weight 1, and each trigram g of "^t$" as "c:g" with
//    weight TRIGRAM_WEIGHT / (number of trigrams of "^t$"); weights add up over the sentence.
// 3. idf(f) = ln((1 + N) / (1 + df(f))) + 1 over the N corpus sentences (queries use the corpus idf).
// 4. base(text) = Σ_f weight(f) · idf(f) · r(f), with r(f) ∈ {−1, +1}^D: the bits of 8 successive
//    mulberry32 outputs seeded with fnv1a(f) XOR PROJECTION_SEED; bit j of output k is dimension
//    32k + j, 1 ⇒ +1. unit(text) = base / ‖base‖ (zero stays zero).
// 5. context(w), for each word feature w of the corpus: the mean of unit(s) over the corpus
//    sentences s that contain w.
// 6. embedding(text) = unit(text) + CONTEXT_WEIGHT · Σ_w weight(w) · idf(w) · context(w) / Σ_w weight(w) · idf(w),
//    both sums over the text's word features (words the corpus lacks have no context but count
//    in the denominator).

export const DIMENSIONS = 256;
export const PROJECTION_SEED = 0x5eedc051;
export const TRIGRAM_WEIGHT = 0.6;
export const CONTEXT_WEIGHT = 2;

const STOP_WORDS = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being below between both but by can could ' +
    'did do does doing down during each few for from further had has have having he her here hers him his how if in into is it its ' +
    'just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than that ' +
    'the their them then there these they this those through to too under until up very was we were what when where which while who ' +
    'whom why will with would you your yours'
  ).split(' '),
);

/** The stem of a lower-case word (a deliberately crude suffix stripper). */
export function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 4 && /(?:s|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** Stemmed content words of a text. */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.filter((word) => word.length > 1 && !STOP_WORDS.has(word)).map(stem);
}

/** The weighted features of a text (before idf): word stems and their character trigrams. */
export function featuresOf(text: string): Map<string, number> {
  const features = new Map<string, number>();
  const add = (key: string, weight: number): void => {
    features.set(key, (features.get(key) ?? 0) + weight);
  };
  for (const token of tokenize(text)) {
    add(`w:${token}`, 1);
    const padded = `^${token}$`;
    const trigramCount = padded.length - 2;
    for (let start = 0; start + 3 <= padded.length; start++) {
      add(`c:${padded.slice(start, start + 3)}`, TRIGRAM_WEIGHT / trigramCount);
    }
  }
  return features;
}

/** 32-bit FNV-1a of the string's UTF-16 code units (features are ASCII). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The ±1 projection row of one feature, as 8 words of 32 sign bits. */
export function projectionBits(feature: string): Uint32Array {
  let state = (fnv1a(feature) ^ PROJECTION_SEED) >>> 0;
  const bits = new Uint32Array(DIMENSIONS / 32);
  for (let word = 0; word < bits.length; word++) {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    bits[word] = (mixed ^ (mixed >>> 14)) >>> 0;
  }
  return bits;
}

/** Embeds texts with idf weights and word contexts taken from a fixed corpus. */
export class Embedder {
  readonly dimensions = DIMENSIONS;
  private readonly documentFrequency = new Map<string, number>();
  private readonly rows = new Map<string, Float64Array>();
  private readonly contexts = new Map<string, Float64Array>();
  private readonly documentCount: number;

  constructor(corpus: readonly string[]) {
    this.documentCount = corpus.length;
    const features = corpus.map(featuresOf);
    for (const sentence of features) {
      for (const feature of sentence.keys()) {
        this.documentFrequency.set(feature, (this.documentFrequency.get(feature) ?? 0) + 1);
      }
    }
    for (const sentence of features) {
      const unit = this.unit(sentence);
      for (const feature of sentence.keys()) {
        if (!feature.startsWith('w:')) continue;
        let context = this.contexts.get(feature);
        if (context === undefined) {
          context = new Float64Array(DIMENSIONS);
          this.contexts.set(feature, context);
        }
        const share = 1 / this.documentFrequency.get(feature)!;
        for (let dimension = 0; dimension < DIMENSIONS; dimension++) context[dimension] = context[dimension]! + share * unit[dimension]!;
      }
    }
  }

  /** ln((1 + N) / (1 + df)) + 1. */
  idf(feature: string): number {
    return Math.log((1 + this.documentCount) / (1 + (this.documentFrequency.get(feature) ?? 0))) + 1;
  }

  /** The feature's projection row as ±1 numbers (cached: a multiply-add beats bit tests). */
  private projection(feature: string): Float64Array {
    let signs = this.rows.get(feature);
    if (signs === undefined) {
      const bits = projectionBits(feature);
      signs = new Float64Array(DIMENSIONS);
      for (let dimension = 0; dimension < DIMENSIONS; dimension++) signs[dimension] = (bits[dimension >>> 5]! >>> (dimension & 31)) & 1 ? 1 : -1;
      this.rows.set(feature, signs);
    }
    return signs;
  }

  /** Steps 3–4: the projected TF-IDF vector, scaled to unit length. */
  private unit(features: ReadonlyMap<string, number>): Float64Array {
    const sums = new Float64Array(DIMENSIONS);
    for (const [feature, weight] of features) {
      const signs = this.projection(feature);
      const scaled = weight * this.idf(feature);
      for (let dimension = 0; dimension < DIMENSIONS; dimension++) sums[dimension] = sums[dimension]! + scaled * signs[dimension]!;
    }
    let squares = 0;
    for (const value of sums) squares += value * value;
    const norm = Math.sqrt(squares);
    if (norm > 0) for (let dimension = 0; dimension < DIMENSIONS; dimension++) sums[dimension] = sums[dimension]! / norm;
    return sums;
  }

  /** Writes the embedding of `text` into `out` (length D, at `offset`). */
  embedInto(text: string, out: Float32Array, offset = 0): void {
    const features = featuresOf(text);
    const vector = this.unit(features);
    let total = 0;
    for (const [feature, weight] of features) if (feature.startsWith('w:')) total += weight * this.idf(feature);
    for (const [feature, weight] of features) {
      const context = this.contexts.get(feature);
      if (context === undefined) continue;
      const scaled = (CONTEXT_WEIGHT * weight * this.idf(feature)) / total;
      for (let dimension = 0; dimension < DIMENSIONS; dimension++) vector[dimension] = vector[dimension]! + scaled * context[dimension]!;
    }
    out.set(vector, offset);
  }

  /** One embedding, as a fresh Float32Array of length D. */
  embed(text: string): Float32Array {
    const out = new Float32Array(DIMENSIONS);
    this.embedInto(text, out);
    return out;
  }
}
