// Draws a square cosine matrix on a canvas: one cell per pair, a warm sequential colour scale
// from 0 to 1 (negative cosines in a cool grey-blue), topic bands on the left and top, and the
// cell under the pointer outlined. Pure drawing: no cosinekit here.

import type { Topic } from './corpus.js';

export interface HeatmapLayout {
  readonly size: number;
  readonly cell: number;
  readonly left: number;
  readonly top: number;
}

const STOPS: readonly [number, [number, number, number]][] = [
  [0, [247, 247, 244]],
  [0.15, [254, 240, 199]],
  [0.35, [253, 196, 104]],
  [0.55, [244, 128, 54]],
  [0.75, [208, 52, 44]],
  [1, [116, 14, 40]],
];

/** CSS colour of a cosine value. */
export function colourOf(value: number): string {
  if (Number.isNaN(value)) return '#000';
  if (value < 0) {
    const t = Math.min(1, -value / 0.3);
    const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
    return `rgb(${mix(247, 150)}, ${mix(247, 178)}, ${mix(244, 214)})`;
  }
  const v = Math.min(1, value);
  for (let stop = 1; stop < STOPS.length; stop++) {
    const [upper, high] = STOPS[stop]!;
    const [lower, low] = STOPS[stop - 1]!;
    if (v <= upper) {
      const t = (v - lower) / (upper - lower);
      const channel = (index: number) => Math.round(low[index]! + (high[index]! - low[index]!) * t);
      return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
    }
  }
  return 'rgb(116, 14, 40)';
}

export const TOPIC_COLOURS: Readonly<Record<Topic, string>> = {
  cooking: '#d9480f',
  astronomy: '#5f3dc4',
  football: '#2b8a3e',
  programming: '#1864ab',
  gardening: '#5c940d',
  music: '#c2255c',
  weather: '#0b7285',
  health: '#e8590c',
  finance: '#862e9c',
  travel: '#364fc7',
};

export function layoutFor(size: number): HeatmapLayout {
  return { size, cell: 16, left: 96, top: 14 };
}

/** Draws `matrix` (size × size, row-major) with its rows' topics; `highlight` outlines one cell. */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  matrix: Float32Array,
  topics: readonly Topic[],
  highlight: { row: number; column: number } | null,
): HeatmapLayout {
  const layout = layoutFor(topics.length);
  const { size, cell, left, top } = layout;
  const width = left + size * cell + 2;
  const height = top + size * cell + 2;
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const context = canvas.getContext('2d');
  if (context === null) return layout;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      context.fillStyle = colourOf(matrix[row * size + column]!);
      context.fillRect(left + column * cell, top + row * cell, cell, cell);
    }
  }
  // Topic bands: a coloured strip and label per run of equal topics, and separators.
  context.font = '600 11px system-ui, sans-serif';
  context.textBaseline = 'middle';
  let start = 0;
  while (start < size) {
    let end = start;
    while (end < size && topics[end] === topics[start]) end++;
    const topic = topics[start]!;
    context.fillStyle = TOPIC_COLOURS[topic];
    context.fillRect(left - 6, top + start * cell, 4, (end - start) * cell);
    context.fillRect(left + start * cell, top - 6, (end - start) * cell, 4);
    context.textAlign = 'right';
    context.fillText(topic, left - 10, top + ((start + end) / 2) * cell);
    if (start > 0) {
      context.fillStyle = 'rgba(255, 255, 255, 0.9)';
      context.fillRect(left + start * cell - 0.5, top, 1, size * cell);
      context.fillRect(left, top + start * cell - 0.5, size * cell, 1);
    }
    start = end;
  }
  if (highlight !== null) {
    context.strokeStyle = '#111';
    context.lineWidth = 2;
    context.strokeRect(left + highlight.column * cell + 1, top + highlight.row * cell + 1, cell - 2, cell - 2);
  }
  return layout;
}

/** The cell under a point in CSS pixels relative to the canvas, or null. */
export function cellAt(layout: HeatmapLayout, x: number, y: number): { row: number; column: number } | null {
  const column = Math.floor((x - layout.left) / layout.cell);
  const row = Math.floor((y - layout.top) / layout.cell);
  if (row < 0 || column < 0 || row >= layout.size || column >= layout.size) return null;
  return { row, column };
}
