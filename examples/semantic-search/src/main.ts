// The page: embeds the bundled corpus into a WasmTensor, ranks it against typed or picked
// queries with cosinekit's topK, and draws the pairwise matrix of a 30-sentence subset
// computed with pairwiseCosine. Timings are measured over repeated calls (see `measure`).

import { type BackendInfo, alloc, init, pairwiseCosine, topK } from 'cosinekit';
import { type CorpusHandle, type Pool, createPool } from 'cosinekit/pool';
import { CORPUS, type Sentence, TOPICS } from './corpus.js';
import { DIMENSIONS, Embedder, stem, tokenize } from './embed.js';
import { TOPIC_COLOURS, cellAt, colourOf, drawHeatmap } from './heatmap.js';
import { heatmapSubset } from './subset.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

/**
 * Milliseconds per call: calls `action` for 30 ms first (the engine compiles wasm in a fast
 * baseline tier and optimises hot functions in the background), then times calls for 30 ms
 * (at most 5000).
 */
function measure(action: () => void): number {
  const warmUpEnd = performance.now() + 30;
  while (performance.now() < warmUpEnd) action();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    action();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < 30 && calls < 5000);
  return elapsed / calls;
}

function formatDuration(milliseconds: number): string {
  if (milliseconds < 1) return `${(milliseconds * 1000).toFixed(milliseconds < 0.01 ? 1 : 0)} µs`;
  return `${milliseconds.toFixed(milliseconds < 10 ? 2 : 1)} ms`;
}

/** The text with every word whose stem is in `stems` wrapped in <mark>. */
function highlighted(text: string, stems: ReadonlySet<string>): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const piece of text.split(/([A-Za-z0-9]+)/)) {
    const word = piece.toLowerCase();
    if (piece !== '' && /^[a-z0-9]+$/.test(word) && tokenize(word).length === 1 && stems.has(stem(word))) {
      const mark = document.createElement('mark');
      mark.textContent = piece;
      fragment.append(mark);
    } else {
      fragment.append(piece);
    }
  }
  return fragment;
}

function topicBadge(sentence: Sentence): HTMLElement {
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = sentence.topic;
  badge.style.setProperty('--topic', TOPIC_COLOURS[sentence.topic]);
  return badge;
}

async function main(): Promise<void> {
  const status = element<HTMLElement>('status');
  const texts = CORPUS.map((sentence) => sentence.text);
  const count = CORPUS.length;

  // 1. Load the wasm variant (relaxed-simd in current Chromium and Firefox).
  const initStart = performance.now();
  const backend: BackendInfo = await init();
  const initMilliseconds = performance.now() - initStart;

  // 2. Embed the corpus straight into WASM memory: topK reads it with no copy.
  const embedStart = performance.now();
  const embedder = new Embedder(texts);
  const corpus = alloc([count, DIMENSIONS]);
  texts.forEach((text, row) => embedder.embedInto(text, corpus.data, row * DIMENSIONS));
  const embedMilliseconds = performance.now() - embedStart;

  // 3. The full matrix (to choose the heatmap's sentences), then the subset's own matrix.
  let full = pairwiseCosine(corpus);
  const fullPerCall = measure(() => {
    full = pairwiseCosine(corpus);
  });
  const subset = heatmapSubset(full.data, CORPUS, TOPICS);
  const subsetEmbeddings = new Float32Array(subset.length * DIMENSIONS);
  subset.forEach((index, row) => subsetEmbeddings.set(corpus.data.subarray(index * DIMENSIONS, (index + 1) * DIMENSIONS), row * DIMENSIONS));
  let matrix = pairwiseCosine({ data: subsetEmbeddings, shape: [subset.length, DIMENSIONS] });
  const subsetPerCall = measure(() => {
    matrix = pairwiseCosine({ data: subsetEmbeddings, shape: [subset.length, DIMENSIONS] });
  });

  element('corpus-size').textContent = String(count);
  element('stat-variant').textContent = backend.variant;
  element('stat-init').textContent = formatDuration(initMilliseconds);
  element('stat-embed').textContent = formatDuration(embedMilliseconds);
  element('stat-pairwise').textContent = formatDuration(fullPerCall);

  // Search: a typed query, or "more like this" for a picked sentence (itself left out).
  const form = element<HTMLFormElement>('search-form');
  const queryInput = element<HTMLInputElement>('query');
  const kSelect = element<HTMLSelectElement>('k');
  const pick = element<HTMLSelectElement>('pick');
  const results = element<HTMLOListElement>('results');
  const timing = element<HTMLParagraphElement>('query-timing');

  for (const topic of TOPICS) {
    const group = document.createElement('optgroup');
    group.label = topic;
    for (const sentence of CORPUS.filter((entry) => entry.topic === topic)) {
      const option = document.createElement('option');
      option.value = String(sentence.index);
      option.textContent = sentence.text;
      group.append(option);
    }
    pick.append(group);
  }

  const show = (query: Float32Array, k: number, exclude: number | null, stems: ReadonlySet<string>, embedMs: number, label: string) => {
    const asked = exclude === null ? k : k + 1;
    const queries = { data: query, shape: [1, DIMENSIONS] as const };
    let best = topK(queries, corpus, asked);
    const perCall = measure(() => {
      best = topK(queries, corpus, asked);
    });
    const rows: { index: number; score: number }[] = [];
    for (let rank = 0; rank < asked && rows.length < k; rank++) {
      const index = best.indices[rank]!;
      if (index !== exclude) rows.push({ index, score: best.scores[rank]! });
    }
    results.replaceChildren(
      ...rows.map(({ index, score }, rank) => {
        const sentence = CORPUS[index]!;
        const item = document.createElement('li');
        item.dataset.index = String(index);
        item.dataset.score = String(score);
        const number = document.createElement('span');
        number.className = 'rank';
        number.textContent = String(rank + 1);
        const value = document.createElement('span');
        value.className = 'score';
        value.textContent = score.toFixed(3);
        const bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.setProperty('--fill', `${Math.max(0, Math.min(1, score)) * 100}%`);
        bar.style.setProperty('--colour', colourOf(0.25 + 0.6 * Math.max(0, score)));
        const text = document.createElement('span');
        text.className = 'text';
        text.append(highlighted(sentence.text, stems));
        item.append(number, value, bar, text, topicBadge(sentence));
        return item;
      }),
    );
    timing.textContent = `${label} — embedded in ${formatDuration(embedMs)}, topK (k = ${k}) over ${count} × ${DIMENSIONS} in ${formatDuration(perCall)} per call`;
    timing.dataset.state = 'done';
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = queryInput.value.trim();
    if (text === '') return;
    pick.value = '';
    const start = performance.now();
    const query = embedder.embed(text);
    const embedMs = performance.now() - start;
    show(query, Number(kSelect.value), null, new Set(tokenize(text)), embedMs, `“${text}”`);
  });
  const runPick = () => {
    if (pick.value === '') return;
    const index = Number(pick.value);
    const sentence = CORPUS[index]!;
    queryInput.value = '';
    const start = performance.now();
    const query = embedder.embed(sentence.text);
    const embedMs = performance.now() - start;
    show(query, Number(kSelect.value), index, new Set(tokenize(sentence.text)), embedMs, `like #${index} (${sentence.topic})`);
  };
  pick.addEventListener('change', runPick);
  kSelect.addEventListener('change', () => {
    if (pick.value !== '') runPick();
    else if (queryInput.value.trim() !== '') form.requestSubmit();
  });

  // Closest pairs on a worker pool: each sentence's nearest neighbour (itself excluded), then
  // the distinct pairs, best first. The pool starts on the first click; the corpus goes to
  // each worker once (a corpus handle). 240 × 240 × 256 is far below the size where threads
  // pay off (about 2^26 multiply-adds), so `parallelThreshold: 0` sends it to the workers
  // anyway, to show them at work; a real app keeps the default.
  const pairsButton = element<HTMLButtonElement>('pairs');
  const pairsList = element<HTMLOListElement>('pairs-list');
  const pairsTiming = element<HTMLParagraphElement>('pairs-timing');
  let workers: Promise<{ pool: Pool; handle: CorpusHandle }> | null = null;
  const startWorkers = async () => {
    const pool = await createPool({ threads: 2, parallelThreshold: 0 });
    const handle = pool.setCorpus(corpus);
    await handle.ready;
    return { pool, handle };
  };
  pairsButton.addEventListener('click', async () => {
    pairsButton.disabled = true;
    pairsTiming.dataset.state = 'running';
    try {
      const startup = performance.now();
      workers ??= startWorkers();
      const { pool, handle } = await workers;
      const startupMs = performance.now() - startup;
      const start = performance.now();
      const nearest = await pool.topK(corpus, handle, 1, { excludeSelf: true });
      const searchMs = performance.now() - start;
      const pairs = new Map<string, { first: number; second: number; score: number }>();
      for (let row = 0; row < count; row++) {
        const other = nearest.indices[row]!;
        const [first, second] = row < other ? [row, other] : [other, row];
        pairs.set(`${first},${second}`, { first, second, score: nearest.scores[row]! });
      }
      const best = [...pairs.values()].sort((x, y) => y.score - x.score || x.first - y.first || x.second - y.second).slice(0, 5);
      pairsList.replaceChildren(
        ...best.map(({ first, second, score }) => {
          const item = document.createElement('li');
          item.dataset.first = String(first);
          item.dataset.second = String(second);
          item.dataset.score = String(score);
          const value = document.createElement('span');
          value.className = 'score';
          value.textContent = score.toFixed(3);
          const text = document.createElement('span');
          text.className = 'text';
          text.textContent = `${CORPUS[first]!.text} ↔ ${CORPUS[second]!.text}`;
          item.append(value, text, topicBadge(CORPUS[first]!));
          return item;
        }),
      );
      pairsTiming.textContent =
        `${pool.threads} workers (${pool.variant}, ${pool.sharedMemory ? 'SharedArrayBuffer' : 'transferred buffers'}): ` +
        `nearest neighbour of all ${count} sentences in ${formatDuration(searchMs)}` +
        (startupMs > 1 ? `, after ${formatDuration(startupMs)} to start the pool` : '');
      pairsTiming.dataset.state = 'done';
    } catch (error) {
      pairsTiming.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
      pairsTiming.dataset.state = 'error';
    } finally {
      pairsButton.disabled = false;
    }
  });

  // Heatmap.
  const canvas = element<HTMLCanvasElement>('heatmap');
  const pair = element<HTMLParagraphElement>('pair');
  const topics = subset.map((index) => CORPUS[index]!.topic);
  let pinned: { row: number; column: number } | null = null;
  let layout = drawHeatmap(canvas, matrix.data, topics, null);
  const describePair = (cell: { row: number; column: number }) => {
    const first = CORPUS[subset[cell.row]!]!;
    const second = CORPUS[subset[cell.column]!]!;
    const score = matrix.data[cell.row * subset.length + cell.column]!;
    pair.dataset.first = String(first.index);
    pair.dataset.second = String(second.index);
    pair.dataset.score = String(score);
    const value = document.createElement('strong');
    value.textContent = score.toFixed(3);
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colourOf(score);
    pair.replaceChildren(swatch, value, ` · ${first.text} ↔ ${second.text}`);
  };
  const pointAt = (event: MouseEvent) => {
    const box = canvas.getBoundingClientRect();
    return cellAt(layout, event.clientX - box.left, event.clientY - box.top);
  };
  canvas.addEventListener('mousemove', (event) => {
    const cell = pointAt(event) ?? pinned;
    layout = drawHeatmap(canvas, matrix.data, topics, cell);
    if (cell !== null) describePair(cell);
  });
  canvas.addEventListener('click', (event) => {
    pinned = pointAt(event);
    layout = drawHeatmap(canvas, matrix.data, topics, pinned);
    if (pinned !== null) describePair(pinned);
  });
  canvas.addEventListener('mouseleave', () => {
    layout = drawHeatmap(canvas, matrix.data, topics, pinned);
    if (pinned !== null) describePair(pinned);
  });
  canvas.dataset.subset = subset.join(',');
  element('legend-ramp').style.background = `linear-gradient(to right, ${[-0.3, -0.15, 0, 0.15, 0.35, 0.55, 0.75, 1].map(colourOf).join(', ')})`;
  element('heatmap-timing').textContent =
    `pairwiseCosine: ${subset.length} × ${subset.length} in ${formatDuration(subsetPerCall)}, ` +
    `the full ${count} × ${count} in ${formatDuration(fullPerCall)} per call`;

  status.textContent = `Ready: cosinekit ${backend.variant}, ${count} sentences × ${DIMENSIONS} dimensions in WASM memory (${(backend.memoryBytes / 1024).toFixed(0)} KiB heap).`;
  status.dataset.state = 'ready';
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => {
  const status = document.getElementById('status');
  if (status !== null) {
    status.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
    status.dataset.state = 'error';
  }
  throw error;
});
