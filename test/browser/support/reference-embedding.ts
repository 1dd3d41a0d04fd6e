// An independent float64 re-implementation of the example's embedding recipe (documented at
// the top of examples/semantic-search/src/embed.ts: hashed TF-IDF random projection plus word
// contexts) and of cosine similarity / ranking, in plain JS with no cosinekit: the expected
// answers of the semantic-search page test.

const D = 256;
const SEED = 0x5eedc051;
const TRIGRAM_GROUP_WEIGHT = 0.6;
const CONTEXT_MIX = 2;
const STOP = new Set(
  `a about above after again all also am an and any are as at be because been before being below between both but by can could
   did do does doing down during each few for from further had has have having he her here hers him his how if in into is it its
   just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than that
   the their them then there these they this those through to too under until up very was we were what when where which while who
   whom why will with would you your yours`.split(/\s+/),
);

function suffixStrip(word: string): string {
  const n = word.length;
  if (n > 5 && word.slice(n - 3) === 'ing') return word.slice(0, n - 3);
  if (n > 4 && word.slice(n - 2) === 'ed') return word.slice(0, n - 2);
  if (n > 4 && word.slice(n - 2) === 'es') {
    const before = word.slice(0, n - 2);
    if (before.endsWith('s') || before.endsWith('x') || before.endsWith('ch') || before.endsWith('sh')) return before;
  }
  if (n > 3 && word[n - 1] === 's' && word[n - 2] !== 's') return word.slice(0, n - 1);
  return word;
}

function words(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const character of `${text.toLowerCase()} `) {
    if ((character >= 'a' && character <= 'z') || (character >= '0' && character <= '9')) {
      current += character;
    } else {
      if (current.length >= 2 && !STOP.has(current)) out.push(suffixStrip(current));
      current = '';
    }
  }
  return out;
}

/** Sparse term weights (before idf) of one text. */
export function referenceTerms(text: string): Map<string, number> {
  const terms = new Map<string, number>();
  for (const word of words(text)) {
    terms.set(`w:${word}`, (terms.get(`w:${word}`) ?? 0) + 1);
    const marked = `^${word}$`;
    const grams: string[] = [];
    for (let i = 0; i + 3 <= marked.length; i++) grams.push(marked.substring(i, i + 3));
    for (const gram of grams) terms.set(`c:${gram}`, (terms.get(`c:${gram}`) ?? 0) + TRIGRAM_GROUP_WEIGHT / grams.length);
  }
  return terms;
}

function hash32(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Row of the ±1 projection for one term (mulberry32 seeded with its FNV-1a hash ^ SEED). */
function signs(term: string): Float64Array {
  const row = new Float64Array(D);
  let a = (hash32(term) ^ SEED) >>> 0;
  for (let block = 0; block < D / 32; block++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const word = (t ^ (t >>> 14)) >>> 0;
    for (let bit = 0; bit < 32; bit++) row[block * 32 + bit] = Math.floor(word / 2 ** bit) % 2 === 1 ? 1 : -1;
  }
  return row;
}

function scaledToUnit(vector: Float64Array): Float64Array {
  const length = Math.hypot(...vector);
  return length === 0 ? vector : vector.map((value) => value / length);
}

export class ReferenceEmbedding {
  private readonly df = new Map<string, number>();
  private readonly contextOf = new Map<string, Float64Array>();
  private readonly n: number;

  constructor(corpus: readonly string[]) {
    this.n = corpus.length;
    const bags = corpus.map(referenceTerms);
    for (const bag of bags) for (const term of bag.keys()) this.df.set(term, (this.df.get(term) ?? 0) + 1);
    // Each word's context: the plain average of the unit TF-IDF projections of the sentences holding it.
    const units = bags.map((bag) => this.projected(bag));
    const members = new Map<string, number[]>();
    bags.forEach((bag, row) => {
      for (const term of bag.keys()) if (term.startsWith('w:')) members.set(term, [...(members.get(term) ?? []), row]);
    });
    for (const [term, rows] of members) {
      const average = new Float64Array(D);
      for (const row of rows) for (let d = 0; d < D; d++) average[d] = average[d]! + units[row]![d]!;
      this.contextOf.set(term, average.map((value) => value / rows.length));
    }
  }

  private idf(term: string): number {
    return Math.log((this.n + 1) / ((this.df.get(term) ?? 0) + 1)) + 1;
  }

  private projected(bag: Map<string, number>): Float64Array {
    const vector = new Float64Array(D);
    for (const [term, tf] of bag) {
      const weight = tf * this.idf(term);
      const row = signs(term);
      for (let d = 0; d < D; d++) vector[d] = vector[d]! + weight * row[d]!;
    }
    return scaledToUnit(vector);
  }

  embed(text: string): Float64Array {
    const bag = referenceTerms(text);
    const vector = this.projected(bag);
    const wordWeights = [...bag].filter(([term]) => term.startsWith('w:')).map(([term, tf]) => [term, tf * this.idf(term)] as const);
    const total = wordWeights.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [term, weight] of wordWeights) {
      const context = this.contextOf.get(term);
      if (context === undefined) continue;
      for (let d = 0; d < D; d++) vector[d] = vector[d]! + (CONTEXT_MIX * weight * context[d]!) / total;
    }
    return vector;
  }
}

/** Cosine of two float64 vectors, eps = 1e-8 clamping each norm (as cosinekit and PyTorch). */
export function cosine64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / (Math.max(Math.sqrt(aa), 1e-8) * Math.max(Math.sqrt(bb), 1e-8));
}

/** Every corpus index with its float64 cosine to the query, best first (ties: lower index). */
export function rankAll(query: ArrayLike<number>, corpus: readonly ArrayLike<number>[]): { index: number; score: number }[] {
  return corpus
    .map((vector, index) => ({ index, score: cosine64(query, vector) }))
    .sort((left, right) => right.score - left.score || left.index - right.index);
}
