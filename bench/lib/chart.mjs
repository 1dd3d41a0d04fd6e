// The SVG chart. First the single-pair section: one panel per input kind (Float32Array,
// number[]), speed relative to the fused JS loop on the same arrays (log scale) against D
// (log scale), one line per contender, the PERF.md targets as hollow markers. Then one group
// of horizontal bars per other workload (GFLOP/s, log scale shared by all groups), one bar
// per contender with its name, value and ratio to the optimised pure-JS contender. Plain
// SVG text, no dependency.

import { environmentLine } from './environment.mjs';
import { COSINE_ARRAY_TARGETS, COSINE_F32_TARGETS, TENSOR_API_TARGETS } from './report.mjs';

const COLOURS = {
  'js-naive': '#b0b0b0',
  'js-optimised': '#4d4d4d',
  'compute-cosine-similarity': '#d8b365',
  'ml-distance': '#e08214',
  simsimd: '#b2182b',
  'tfjs-abt': '#c2a5cf',
  'tfjs-xnnpack': '#762a83',
  'tfjs-ops': '#9970ab',
  'cosinekit-scalar-zero-copy': '#4393c3',
  'cosinekit-scalar-copy-in': '#92c5de',
  'cosinekit-simd128-zero-copy': '#08519c',
  'cosinekit-simd128-copy-in': '#6baed6',
  'cosinekit-relaxed-zero-copy': '#1b7837',
  'cosinekit-relaxed-copy-in': '#7fbf7b',
  'cosinekit-simd128-cosine-zero-copy': '#08519c',
  'cosinekit-simd128-cosine-copy-in': '#4292c6',
  'cosinekit-simd128-tensor': '#6a51a3',
  'cosinekit-relaxed-cosine-zero-copy': '#1b7837',
  'cosinekit-relaxed-cosine-copy-in': '#5aae61',
  'cosinekit-relaxed-tensor': '#c51b7d',
};

/** Dashes for the tensor-API lines, so they read apart from `cosine` of the same variant. */
const DASHES = { 'cosinekit-simd128-tensor': '6 3', 'cosinekit-relaxed-tensor': '6 3' };

const LAYOUT = {
  width: 1000,
  labelWidth: 300,
  rightMargin: 120,
  barHeight: 12,
  barGap: 3,
  groupHeader: 24,
  groupGap: 12,
  top: 104,
  bottomAxis: 40,
  footer: 58,
};

function escapeXml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatTick(value) {
  if (value >= 1) return value.toLocaleString('en', { maximumFractionDigits: 0 });
  return String(Number(value.toPrecision(1)));
}

function formatValue(value) {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toPrecision(2);
}

/** The smallest 1, 2 or 5 × 10^k at or above `value`. */
function niceCeiling(value) {
  const decade = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((multiple) => multiple * decade).find((candidate) => candidate >= value * 0.9999);
}

/** The largest 1, 2 or 5 × 10^k at or below `value`. */
function niceFloor(value) {
  const decade = 10 ** Math.floor(Math.log10(value));
  return [5, 2, 1].map((multiple) => multiple * decade).find((candidate) => candidate <= value * 1.0001);
}

/** 1, 2, 5 × 10^k from `low` to `high`. */
function ticksBetween(low, high) {
  const ticks = [];
  for (let decade = 10 ** Math.floor(Math.log10(low)); decade <= high * 1.0001; decade *= 10) {
    for (const multiple of [1, 2, 5]) {
      const value = decade * multiple;
      if (value >= low * 0.9999 && value <= high * 1.0001) ticks.push({ value, major: multiple === 1 });
    }
  }
  return ticks;
}

const formatRatioLabel = (value) => `${formatTick(value)}×`;
const formatTime = (seconds) => (seconds < 1e-6 ? `${(seconds * 1e9).toFixed(0)} ns` : seconds < 1e-3 ? `${(seconds * 1e6).toPrecision(3)} µs` : `${(seconds * 1e3).toPrecision(3)} ms`);

const PANEL = { left: 70, legendWidth: 330, height: 250, title: 40, axis: 44, gap: 18 };

/**
 * Where the targets sit on a panel's scale (× the JS loop): copy-in and tensor API on the
 * Float32Array panel; on the number[] panel the target is × compute-cosine-similarity, so
 * it is drawn at need × (ccs's measured ratio to the JS loop) at that D.
 */
function targetMarks(kind, section) {
  const marks = [];
  if (kind === 'f32') {
    for (const { D, need } of COSINE_F32_TARGETS) if (section.lengths.includes(D)) marks.push({ D, value: need, shape: 'diamond', title: `target: cosine copy-in ≥ ${need}× the JS loop at D = ${D}` });
    if (section.lengths.includes(8)) marks.push({ D: 8, value: 1 / TENSOR_API_TARGETS.costAtD8AtMost, shape: 'square', title: `target: tensor API cost ≤ ${TENSOR_API_TARGETS.costAtD8AtMost}× the JS loop at D = 8` });
    if (section.lengths.includes(768)) marks.push({ D: 768, value: TENSOR_API_TARGETS.speedAtD768AtLeast, shape: 'square', title: `target: tensor API ≥ ${TENSOR_API_TARGETS.speedAtD768AtLeast}× the JS loop at D = 768` });
    return marks;
  }
  const ccs = section.rows.find((row) => row.contender === 'compute-cosine-similarity');
  section.lengths.forEach((length, index) => {
    const target = COSINE_ARRAY_TARGETS.find((entry) => length >= entry.from && length <= entry.to);
    const ccsRatio = ccs?.byD[index]?.status === 'ok' ? ccs.byD[index].ratioVsJs : null;
    if (target === undefined || ccsRatio === null) return;
    marks.push({ D: length, value: target.need * ccsRatio, shape: 'diamond', title: `target: cosine ≥ ${target.need}× compute-cosine-similarity at D = ${length}` });
  });
  return marks;
}

function markerPath(shape, x, y, size) {
  if (shape === 'diamond') return `M${x} ${y - size} L${x + size} ${y} L${x} ${y + size} L${x - size} ${y} Z`;
  return `M${x - size} ${y - size} H${x + size} V${y + size} H${x - size} Z`;
}

/** One single-pair panel (one input kind) whose top edge is at `top`; returns its SVG lines and its bottom. */
function singlePairPanel(kind, section, top) {
  const lines = [];
  const plotLeft = PANEL.left;
  const plotWidth = LAYOUT.width - PANEL.left - PANEL.legendWidth - 20;
  const plotTop = top + PANEL.title;
  const plotBottom = plotTop + PANEL.height;
  const marks = targetMarks(kind, section);
  const values = [1, ...marks.map((mark) => mark.value)];
  for (const row of section.rows) for (const entry of row.byD) if (entry?.status === 'ok' && entry.ratioVsJs > 0) values.push(entry.ratioVsJs);
  const low = niceFloor(Math.min(...values) / 1.15);
  const high = niceCeiling(Math.max(...values) * 1.15);
  const yOf = (value) => plotBottom - ((Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * PANEL.height;
  const lengths = section.lengths;
  const logLow = Math.log2(lengths[0]);
  const logHigh = Math.log2(lengths[lengths.length - 1]);
  const xOf = (length) => (logHigh === logLow ? plotLeft + plotWidth / 2 : plotLeft + 12 + ((Math.log2(length) - logLow) / (logHigh - logLow)) * (plotWidth - 24));

  const baselineText = kind === 'f32' ? 'fused JS loop on the same Float32Arrays' : 'fused JS loop on the same number[]';
  lines.push(`<text x="12" y="${top + 18}" class="group">${escapeXml(`Single pair, ${section.input}: speed relative to the ${baselineText} (higher is better)`)}</text>`);
  lines.push(`<text x="12" y="${top + 33}" class="formula">${escapeXml('one call = one pair of D-dim vectors; ratio = JS loop time per call ÷ contender time per call, same process, interleaved rounds')}</text>`);
  for (const { value, major } of ticksBetween(low, high)) {
    const y = yOf(value).toFixed(1);
    lines.push(`<line x1="${plotLeft}" y1="${y}" x2="${plotLeft + plotWidth}" y2="${y}" class="${major ? 'major' : 'minor'}"/>`);
    lines.push(`<text x="${plotLeft - 6}" y="${(Number(y) + 4).toFixed(1)}" class="tick" text-anchor="end">${formatRatioLabel(value)}</text>`);
  }
  const unitY = yOf(1).toFixed(1);
  lines.push(`<line x1="${plotLeft}" y1="${unitY}" x2="${plotLeft + plotWidth}" y2="${unitY}" class="unit"/>`);
  for (const length of lengths) {
    const x = xOf(length).toFixed(1);
    lines.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}" class="minor"/>`);
    lines.push(`<text x="${x}" y="${plotBottom + 15}" class="tick" text-anchor="middle">${length}</text>`);
  }
  lines.push(`<rect x="${plotLeft}" y="${plotTop}" width="${plotWidth}" height="${PANEL.height}" class="frame"/>`);
  lines.push(`<text x="${plotLeft + plotWidth / 2}" y="${plotBottom + 32}" class="axis" text-anchor="middle">D (log scale)</text>`);
  lines.push(`<text x="16" y="${(plotTop + plotBottom) / 2}" class="axis" text-anchor="middle" transform="rotate(-90 16 ${(plotTop + plotBottom) / 2})">× JS loop (log)</text>`);

  for (const mark of marks) {
    const x = xOf(mark.D);
    const y = yOf(mark.value);
    lines.push(`<path d="${markerPath(mark.shape, x, y, 5)}" class="target"><title>${escapeXml(mark.title)}</title></path>`);
  }
  const legendX = plotLeft + plotWidth + 24;
  let legendY = plotTop + 4;
  for (const row of section.rows) {
    const colour = COLOURS[row.contender] ?? '#888888';
    const dash = DASHES[row.contender] ? ` stroke-dasharray="${DASHES[row.contender]}"` : '';
    const points = row.byD.map((entry, index) => (entry?.status === 'ok' && entry.ratioVsJs > 0 ? { x: xOf(lengths[index]), y: yOf(entry.ratioVsJs), entry, length: lengths[index] } : null));
    let path = '';
    let open = false;
    for (const point of points) {
      if (point === null) {
        open = false;
        continue;
      }
      path += `${open ? 'L' : 'M'}${point.x.toFixed(1)} ${point.y.toFixed(1)} `;
      open = true;
    }
    if (path !== '') lines.push(`<path d="${path.trim()}" fill="none" stroke="${colour}" stroke-width="${row.contender === 'js-optimised' ? 1.5 : 2}"${dash}/>`);
    for (const point of points) {
      if (point === null) continue;
      const ccs = point.entry.ratioVsCcs === null || point.entry.ratioVsCcs === undefined ? '' : `, ${formatValue(point.entry.ratioVsCcs)}× compute-cosine-similarity`;
      const radius = DASHES[row.contender] ? 4 : 3;
      lines.push(
        `<circle cx="${point.x.toFixed(1)}" cy="${point.y.toFixed(1)}" r="${radius}" fill="${colour}"><title>${escapeXml(`${row.label}, D = ${point.length}: ${formatTime(point.entry.seconds)} per call, ${formatValue(point.entry.ratioVsJs)}× the JS loop${ccs}`)}</title></circle>`,
      );
    }
    const failed = row.byD.some((entry) => entry !== null && entry.status === 'failed');
    lines.push(`<line x1="${legendX}" y1="${legendY + 4}" x2="${legendX + 22}" y2="${legendY + 4}" stroke="${colour}" stroke-width="2.5"${dash}/>`);
    lines.push(`<text x="${legendX + 28}" y="${legendY + 8}" class="label${failed ? ' failed' : ''}">${escapeXml(row.label + (failed ? ' — FAILED at some D' : ''))}</text>`);
    legendY += 15;
  }
  if (marks.length > 0) {
    lines.push(`<path d="${markerPath('diamond', legendX + 11, legendY + 4, 5)}" class="target"/>`);
    lines.push(`<text x="${legendX + 28}" y="${legendY + 8}" class="label">${escapeXml(kind === 'f32' ? 'target, cosine copy-in (PERF.md)' : 'target, cosine (PERF.md; × ccs, placed on this scale)')}</text>`);
    legendY += 15;
    if (kind === 'f32' && marks.some((mark) => mark.shape === 'square')) {
      lines.push(`<path d="${markerPath('square', legendX + 11, legendY + 4, 4.5)}" class="target"/>`);
      lines.push(`<text x="${legendX + 28}" y="${legendY + 8}" class="label">target, tensor API (D = 8: cost; D = 768: speed)</text>`);
      legendY += 15;
    }
    if (kind === 'f32') {
      lines.push(`<line x1="${legendX}" y1="${legendY + 4}" x2="${legendX + 22}" y2="${legendY + 4}" class="unit"/>`);
      lines.push(`<text x="${legendX + 28}" y="${legendY + 8}" class="label">1×: the zero-copy target at every D</text>`);
      legendY += 15;
    }
  }
  return { lines, bottom: Math.max(plotBottom + PANEL.axis, legendY + 8) + PANEL.gap };
}

/** One group of horizontal GFLOP/s bars per workload, from `top`; returns its SVG lines and its bottom. */
function barSection(records, top) {
  const values = records.flatMap((record) => record.results.filter((result) => result.status === 'ok').map((result) => result.gflops));
  const low = values.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...values))) : 0.01;
  const high = values.length > 0 ? niceCeiling(Math.max(...values)) : 100;
  const logarithmic = high / low > 20;
  const plotLeft = LAYOUT.labelWidth;
  const plotWidth = LAYOUT.width - LAYOUT.labelWidth - LAYOUT.rightMargin;
  const xOf = (value) =>
    logarithmic
      ? plotLeft + ((Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotWidth
      : plotLeft + (value / high) * plotWidth;
  const plotTop = top + 22;

  const body = [];
  let y = plotTop;
  for (const record of records) {
    const shown = record.results.filter((result) => result.status === 'ok');
    const missing = record.results.filter((result) => result.status !== 'ok');
    body.push(`<text x="12" y="${y + 16}" class="group">${escapeXml(record.title)}</text>`);
    body.push(`<text x="${LAYOUT.width - 12}" y="${y + 16}" class="formula" text-anchor="end">${escapeXml(`flops/call = ${record.flopsFormula.split(' (')[0]}`)}</text>`);
    y += LAYOUT.groupHeader;
    for (const result of shown) {
      const colour = COLOURS[result.contender] ?? '#888888';
      const end = Math.max(plotLeft + 1, xOf(Math.max(result.gflops, low)));
      const ratio = result.ratioVsJs === null || result.ratioVsJs === undefined ? '' : ` (${formatValue(result.ratioVsJs)}× JS)`;
      const marks = `${result.rows < result.fullRows ? '†' : ''}${result.process === 'main' ? '' : '‡'}`;
      body.push(`<text x="${plotLeft - 8}" y="${y + LAYOUT.barHeight - 2}" class="label" text-anchor="end">${escapeXml(result.short + marks)}</text>`);
      body.push(`<rect x="${plotLeft}" y="${y}" width="${(end - plotLeft).toFixed(1)}" height="${LAYOUT.barHeight}" fill="${colour}"><title>${escapeXml(`${result.label}: ${formatValue(result.gflops)} GFLOP/s${ratio}`)}</title></rect>`);
      body.push(`<text x="${(end + 4).toFixed(1)}" y="${y + LAYOUT.barHeight - 2}" class="value">${escapeXml(formatValue(result.gflops) + ratio)}</text>`);
      y += LAYOUT.barHeight + LAYOUT.barGap;
    }
    const notInBuild = missing.filter((result) => /not available in this build/.test(result.reason ?? ''));
    const otherMissing = missing.filter((result) => !notInBuild.includes(result));
    if (notInBuild.length > 0) {
      const functionName = notInBuild[0].reason.split(' ')[0];
      body.push(`<text x="${plotLeft}" y="${y + LAYOUT.barHeight - 2}" class="note">cosinekit: ${escapeXml(functionName)} not available in this build</text>`);
      y += LAYOUT.barHeight + LAYOUT.barGap;
    }
    for (const result of otherMissing) {
      body.push(`<text x="${plotLeft}" y="${y + LAYOUT.barHeight - 2}" class="note${result.status === 'failed' ? ' failed' : ''}">${escapeXml(`${result.short}: ${result.status === 'failed' ? 'FAILED' : 'unavailable'} — ${result.reason}`.slice(0, 110))}</text>`);
      y += LAYOUT.barHeight + LAYOUT.barGap;
    }
    y += LAYOUT.groupGap;
  }
  const plotBottom = y;

  const grid = [];
  const ticks = [];
  const tickAt = (value, major) => {
    const x = xOf(value).toFixed(1);
    grid.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}" class="${major ? 'major' : 'minor'}"/>`);
    return x;
  };
  if (logarithmic) {
    const pixelsPerDecade = plotWidth / Math.log10(high / low);
    for (const { value, major } of ticksBetween(low, high)) {
      const x = tickAt(value, major);
      if (major || pixelsPerDecade >= 110 || Math.abs(value - high) < high * 1e-6) {
        ticks.push(`<text x="${x}" y="${plotBottom + 16}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
        ticks.push(`<text x="${x}" y="${plotTop - 8}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
      }
    }
  } else {
    for (let step = 0; step <= 5; step++) {
      const value = (high * step) / 5;
      const x = tickAt(value, step === 0);
      ticks.push(`<text x="${x}" y="${plotBottom + 16}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
      ticks.push(`<text x="${x}" y="${plotTop - 8}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
    }
  }
  const axisTitle = `GFLOP/s${logarithmic ? ' (log scale)' : ''}, higher is better`;
  const lines = [
    `<text x="${plotLeft - 34}" y="${plotTop - 8}" class="tick" text-anchor="end">GFLOP/s</text>`,
    ...grid,
    ...body,
    `<line x1="${plotLeft}" y1="${plotBottom}" x2="${plotLeft + plotWidth}" y2="${plotBottom}" class="major"/>`,
    ...ticks,
    `<text x="${plotLeft + plotWidth / 2}" y="${plotBottom + 34}" class="axis" text-anchor="middle">${escapeXml(axisTitle)}</text>`,
  ];
  return { lines, bottom: plotBottom + LAYOUT.bottomAxis };
}

export function renderChart(report) {
  const parts = [];
  let y = LAYOUT.top - 22;
  for (const [kind, section] of Object.entries(report.singlePair ?? {})) {
    const panel = singlePairPanel(kind, section, y);
    parts.push(...panel.lines);
    y = panel.bottom;
  }
  const others = report.workloads.filter((record) => record.op !== 'single');
  if (others.length > 0) {
    const bars = barSection(others, y);
    parts.push(...bars.lines);
    y = bars.bottom;
  }
  const height = y + LAYOUT.footer;
  const footer = [
    `${report.mode === 'quick' ? 'QUICK RUN (reduced sizes, CI smoke): not for comparison. ' : ''}Ratios are against the optimised pure-JS contender measured in the same process.`,
    '† measured on a prefix of the rows (rate compared); ‡ relaxed-simd child process (node --experimental-wasm-relaxed-simd). Every result checked against a float64 reference first.',
    environmentLine(report.environment),
  ];
  const subtitle = [
    Object.keys(report.singlePair ?? {}).length > 0 ? 'single pair: × the JS loop per D' : null,
    others.length > 0 ? 'other workloads: GFLOP/s per contender' : null,
  ].filter((text) => text !== null);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${LAYOUT.width}" height="${height}" viewBox="0 0 ${LAYOUT.width} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 20px; font-weight: bold; fill: #111; }
  .subtitle { font-size: 12px; fill: #444; }
  .group { font-size: 14px; font-weight: bold; fill: #111; paint-order: stroke; stroke: #ffffff; stroke-width: 4px; stroke-linejoin: round; }
  .formula { font-size: 11px; fill: #777; }
  .label { font-size: 11.5px; fill: #222; }
  .value { font-size: 11px; fill: #333; }
  .note { font-size: 11px; fill: #888; font-style: italic; }
  .failed { fill: #b2182b; font-weight: bold; }
  .tick { font-size: 11px; fill: #444; }
  .axis { font-size: 12px; fill: #222; }
  .footer { font-size: 10.5px; fill: #555; }
  .major { stroke: #c8c8c8; stroke-width: 1; }
  .minor { stroke: #ececec; stroke-width: 1; }
  .unit { stroke: #4d4d4d; stroke-width: 1.5; stroke-dasharray: 2 2; }
  .frame { fill: none; stroke: #c8c8c8; stroke-width: 1; }
  .target { fill: #ffffff; stroke: #b2182b; stroke-width: 1.6; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="30" class="title">cosinekit vs pure JS and npm peers${report.mode === 'quick' ? ' (quick run)' : ''}</text>
<text x="12" y="50" class="subtitle">${escapeXml(`${subtitle.join('; ')}; one thread; ${report.environment.cpu}, Node ${report.environment.node}, ${report.environment.date.slice(0, 10)}`)}</text>
<text x="12" y="68" class="subtitle">${escapeXml('Medians of interleaved timed rounds. Hover a point or bar for the contender, its time per call and its ratios.')}</text>
${parts.join('\n')}
${footer.map((line, index) => `<text x="12" y="${y + 12 + index * 15}" class="footer">${escapeXml(line)}</text>`).join('\n')}
</svg>
`;
}
