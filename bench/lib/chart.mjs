// The SVG chart: one group of horizontal bars per workload (GFLOP/s, log scale shared by all
// groups), one bar per contender with its name, value and ratio to the optimised pure-JS
// contender. Plain SVG text, no dependency.

import { environmentLine } from './environment.mjs';

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
};

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

export function renderChart(report) {
  const records = report.workloads.filter((record) => !record.sweep);
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

  const body = [];
  let y = LAYOUT.top;
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
  if (logarithmic) {
    for (let decade = low; decade <= high * 1.0001; decade *= 10) {
      for (const multiple of [1, 2, 5]) {
        const value = decade * multiple;
        if (value > high * 1.0001) continue;
        const x = xOf(value).toFixed(1);
        grid.push(`<line x1="${x}" y1="${LAYOUT.top}" x2="${x}" y2="${plotBottom}" class="${multiple === 1 ? 'major' : 'minor'}"/>`);
        const pixelsPerDecade = plotWidth / Math.log10(high / low);
        if (multiple === 1 || pixelsPerDecade >= 110 || Math.abs(value - high) < high * 1e-6) {
          ticks.push(`<text x="${x}" y="${plotBottom + 16}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
          ticks.push(`<text x="${x}" y="${LAYOUT.top - 8}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
        }
      }
    }
  } else {
    for (let step = 0; step <= 5; step++) {
      const value = (high * step) / 5;
      const x = xOf(value).toFixed(1);
      grid.push(`<line x1="${x}" y1="${LAYOUT.top}" x2="${x}" y2="${plotBottom}" class="${step === 0 ? 'major' : 'minor'}"/>`);
      ticks.push(`<text x="${x}" y="${plotBottom + 16}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
      ticks.push(`<text x="${x}" y="${LAYOUT.top - 8}" class="tick" text-anchor="middle">${formatTick(value)}</text>`);
    }
  }
  const axisTitle = `GFLOP/s${logarithmic ? ' (log scale)' : ''}, higher is better`;
  const height = plotBottom + LAYOUT.bottomAxis + LAYOUT.footer;
  const footer = [
    `${report.mode === 'quick' ? 'QUICK RUN (reduced sizes, CI smoke): not for comparison. ' : ''}Ratios are against the optimised pure-JS contender measured in the same process.`,
    '† measured on a prefix of the rows (rate compared); ‡ relaxed-simd child process (node --experimental-wasm-relaxed-simd). Every result checked against a float64 reference first.',
    environmentLine(report.environment),
  ];
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
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="30" class="title">cosinekit vs pure JS and npm peers${report.mode === 'quick' ? ' (quick run)' : ''}</text>
<text x="12" y="50" class="subtitle">${escapeXml(`GFLOP/s per workload and contender, one thread; ${report.environment.cpu}, Node ${report.environment.node}, ${report.environment.date.slice(0, 10)}`)}</text>
<text x="12" y="68" class="subtitle">${escapeXml('Bars: median of the timed rounds. Label: GFLOP/s (ratio to the optimised pure-JS loop). Hover a bar for the full contender description.')}</text>
<text x="${plotLeft - 34}" y="${LAYOUT.top - 8}" class="tick" text-anchor="end">GFLOP/s</text>
${grid.join('\n')}
${body.join('\n')}
<line x1="${plotLeft}" y1="${plotBottom}" x2="${plotLeft + plotWidth}" y2="${plotBottom}" class="major"/>
${ticks.join('\n')}
<text x="${plotLeft + plotWidth / 2}" y="${plotBottom + 34}" class="axis" text-anchor="middle">${escapeXml(axisTitle)}</text>
${footer.map((line, index) => `<text x="12" y="${plotBottom + LAYOUT.bottomAxis + 12 + index * 15}" class="footer">${escapeXml(line)}</text>`).join('\n')}
</svg>
`;
}
