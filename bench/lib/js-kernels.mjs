// The two pure-JS contenders for every workload.
//
// "naive": what idiomatic JS looks like — one function per pair built from reduce, arrays of
// row views, map, sort. "optimised": what a careful JS programmer writes — flat
// Float32Array operands, one fused pass, four independent accumulators per sum (unrolled by
// 4, so V8 can overlap the additions), pre-normalised rows and a 1×4 register block for
// matrices, a bounded insertion list for top-k, preallocated scratch and output.

// ───────────────────────────── naive ─────────────────────────────

/** cos(a, b) the idiomatic way, with PyTorch's per-norm eps. */
export function cosineNaive(first, second, eps = 1e-8) {
  const dot = first.reduce((sum, value, index) => sum + value * second[index], 0);
  const firstNorm = Math.sqrt(first.reduce((sum, value) => sum + value * value, 0));
  const secondNorm = Math.sqrt(second.reduce((sum, value) => sum + value * value, 0));
  return dot / (Math.max(firstNorm, eps) * Math.max(secondNorm, eps));
}

/** Row views `[rowCount][length]` of a flat array (the shape naive code works with). */
export function rowViews(values, rowCount, length) {
  return Array.from({ length: rowCount }, (_, row) => values.subarray(row * length, (row + 1) * length));
}

export function cosineRowsNaive(firstRows, secondRows) {
  return firstRows.map((first, row) => cosineNaive(first, secondRows[row]));
}

export function normalizeRowsNaive(rows, eps = 1e-12) {
  return rows.map((row) => {
    const norm = Math.max(Math.sqrt(row.reduce((sum, value) => sum + value * value, 0)), eps);
    return row.map((value) => value / norm);
  });
}

export function pairwiseNaive(firstRows, secondRows) {
  return firstRows.map((first) => secondRows.map((second) => cosineNaive(first, second)));
}

export function topKNaive(queryRows, corpusRows, k) {
  return queryRows.map((query) =>
    corpusRows
      .map((row, index) => ({ index, score: cosineNaive(query, row) }))
      .sort((left, right) => right.score - left.score || left.index - right.index)
      .slice(0, k),
  );
}

/** InfoNCE (interleaved layout, mean) forward and backward, spelled out with arrays. */
export function infoNCENaive(rows, temperature) {
  const eps = 1e-12;
  const norms = rows.map((row) => Math.sqrt(row.reduce((sum, value) => sum + value * value, 0)));
  const units = rows.map((row, index) => Array.from(row, (value) => value / Math.max(norms[index], eps)));
  const dot = (first, second) => first.reduce((sum, value, index) => sum + value * second[index], 0);
  const logits = units.map((first) => units.map((second) => dot(first, second) / temperature));
  const count = rows.length;
  const logitGrads = logits.map((row, i) => {
    const others = row.filter((_, j) => j !== i);
    const largest = Math.max(...others);
    const logSumExp = largest + Math.log(others.reduce((sum, value) => sum + Math.exp(value - largest), 0));
    return row.map((value, j) => (j === i ? 0 : (Math.exp(value - logSumExp) - (j === (i ^ 1) ? 1 : 0)) / count));
  });
  const loss =
    logits.reduce((sum, row, i) => {
      const others = row.filter((_, j) => j !== i);
      const largest = Math.max(...others);
      return sum + largest + Math.log(others.reduce((total, value) => total + Math.exp(value - largest), 0)) - row[i ^ 1];
    }, 0) / count;
  const grad = units.map((unit, i) => {
    const unitGrad = unit.map((_, d) =>
      units.reduce((sum, other, j) => sum + ((logitGrads[i][j] + logitGrads[j][i]) / temperature) * other[d], 0),
    );
    const radial = dot(unit, unitGrad);
    return norms[i] > eps ? unitGrad.map((value, d) => (value - unit[d] * radial) / norms[i]) : unitGrad.map((value) => value / eps);
  });
  return { loss, grad };
}

// ───────────────────────────── optimised ─────────────────────────────

/** cos(a, b) of two Float32Arrays: one fused pass, 4 accumulators per sum. */
export function cosinePairOptimised(first, second, eps = 1e-8) {
  const length = first.length;
  const unrolledEnd = length - (length & 3);
  let dot0 = 0, dot1 = 0, dot2 = 0, dot3 = 0;
  let firstSquares0 = 0, firstSquares1 = 0, firstSquares2 = 0, firstSquares3 = 0;
  let secondSquares0 = 0, secondSquares1 = 0, secondSquares2 = 0, secondSquares3 = 0;
  let index = 0;
  for (; index < unrolledEnd; index += 4) {
    const first0 = first[index], first1 = first[index + 1], first2 = first[index + 2], first3 = first[index + 3];
    const second0 = second[index], second1 = second[index + 1], second2 = second[index + 2], second3 = second[index + 3];
    dot0 += first0 * second0; dot1 += first1 * second1; dot2 += first2 * second2; dot3 += first3 * second3;
    firstSquares0 += first0 * first0; firstSquares1 += first1 * first1; firstSquares2 += first2 * first2; firstSquares3 += first3 * first3;
    secondSquares0 += second0 * second0; secondSquares1 += second1 * second1; secondSquares2 += second2 * second2; secondSquares3 += second3 * second3;
  }
  for (; index < length; index++) {
    dot0 += first[index] * second[index];
    firstSquares0 += first[index] * first[index];
    secondSquares0 += second[index] * second[index];
  }
  const dot = dot0 + dot1 + (dot2 + dot3);
  const firstNorm = Math.sqrt(firstSquares0 + firstSquares1 + (firstSquares2 + firstSquares3));
  const secondNorm = Math.sqrt(secondSquares0 + secondSquares1 + (secondSquares2 + secondSquares3));
  return dot / (Math.max(firstNorm, eps) * Math.max(secondNorm, eps));
}

/** cos of `rowCount` row pairs of flat Float32Arrays `[rowCount, length]` into `out`. */
export function cosineRowsOptimised(first, second, rowCount, length, out, eps = 1e-8) {
  const unrolledLength = length - (length & 3);
  for (let row = 0; row < rowCount; row++) {
    const base = row * length;
    const unrolledEnd = base + unrolledLength;
    const end = base + length;
    let dot0 = 0, dot1 = 0, dot2 = 0, dot3 = 0;
    let firstSquares0 = 0, firstSquares1 = 0, firstSquares2 = 0, firstSquares3 = 0;
    let secondSquares0 = 0, secondSquares1 = 0, secondSquares2 = 0, secondSquares3 = 0;
    let index = base;
    for (; index < unrolledEnd; index += 4) {
      const first0 = first[index], first1 = first[index + 1], first2 = first[index + 2], first3 = first[index + 3];
      const second0 = second[index], second1 = second[index + 1], second2 = second[index + 2], second3 = second[index + 3];
      dot0 += first0 * second0; dot1 += first1 * second1; dot2 += first2 * second2; dot3 += first3 * second3;
      firstSquares0 += first0 * first0; firstSquares1 += first1 * first1; firstSquares2 += first2 * first2; firstSquares3 += first3 * first3;
      secondSquares0 += second0 * second0; secondSquares1 += second1 * second1; secondSquares2 += second2 * second2; secondSquares3 += second3 * second3;
    }
    for (; index < end; index++) {
      dot0 += first[index] * second[index];
      firstSquares0 += first[index] * first[index];
      secondSquares0 += second[index] * second[index];
    }
    const dot = dot0 + dot1 + (dot2 + dot3);
    const firstNorm = Math.sqrt(firstSquares0 + firstSquares1 + (firstSquares2 + firstSquares3));
    const secondNorm = Math.sqrt(secondSquares0 + secondSquares1 + (secondSquares2 + secondSquares3));
    out[row] = dot / (Math.max(firstNorm, eps) * Math.max(secondNorm, eps));
  }
  return out;
}

/** Squared L2 norm of `values[base .. base + length)` with 4 accumulators. */
function squaredNorm(values, base, length) {
  const unrolledEnd = base + length - (length & 3);
  const end = base + length;
  let squares0 = 0, squares1 = 0, squares2 = 0, squares3 = 0;
  let index = base;
  for (; index < unrolledEnd; index += 4) {
    const value0 = values[index], value1 = values[index + 1], value2 = values[index + 2], value3 = values[index + 3];
    squares0 += value0 * value0; squares1 += value1 * value1; squares2 += value2 * value2; squares3 += value3 * value3;
  }
  for (; index < end; index++) squares0 += values[index] * values[index];
  return squares0 + squares1 + (squares2 + squares3);
}

/** Rows of `values` ([rowCount, length]) divided by max(‖row‖, eps), into `out` (may be `values`). */
export function normalizeRowsOptimised(values, rowCount, length, out, eps = 1e-12) {
  for (let row = 0; row < rowCount; row++) {
    const base = row * length;
    const scale = 1 / Math.max(Math.sqrt(squaredNorm(values, base, length)), eps);
    for (let index = base; index < base + length; index++) out[index] = values[index] * scale;
  }
  return out;
}

/**
 * The cosine matrix `[rowCount, columnCount]` into `out`: both operands normalised into the
 * preallocated `firstUnit` / `secondUnit` scratch, then dot products in 1×4 register blocks.
 */
export function pairwiseOptimised(first, rowCount, second, columnCount, length, out, firstUnit, secondUnit, eps = 1e-8) {
  normalizeRowsOptimised(first, rowCount, length, firstUnit, eps);
  normalizeRowsOptimised(second, columnCount, length, secondUnit, eps);
  const blockedColumns = columnCount - (columnCount & 3);
  for (let row = 0; row < rowCount; row++) {
    const firstBase = row * length;
    const outBase = row * columnCount;
    let column = 0;
    for (; column < blockedColumns; column += 4) {
      const base1 = (column + 1) * length, base2 = base1 + length, base3 = base2 + length;
      const secondBase = column * length;
      let dot0 = 0, dot1 = 0, dot2 = 0, dot3 = 0;
      for (let index = 0; index < length; index++) {
        const value = firstUnit[firstBase + index];
        dot0 += value * secondUnit[secondBase + index];
        dot1 += value * secondUnit[base1 + index];
        dot2 += value * secondUnit[base2 + index];
        dot3 += value * secondUnit[base3 + index];
      }
      out[outBase + column] = dot0;
      out[outBase + column + 1] = dot1;
      out[outBase + column + 2] = dot2;
      out[outBase + column + 3] = dot3;
    }
    for (; column < columnCount; column++) {
      let dot = 0;
      for (let index = 0; index < length; index++) dot += firstUnit[firstBase + index] * secondUnit[column * length + index];
      out[outBase + column] = dot;
    }
  }
  return out;
}

/**
 * Top-k corpus rows by cosine for each query. Queries are normalised into scratch, the
 * corpus's inverse norms computed once per call; each query streams the corpus four rows at
 * a time and keeps a sorted list of its k best (ties: the lower index, which comes first).
 */
export function topKOptimised(queries, queryCount, corpus, corpusCount, length, k, indices, scores, queryUnit, corpusInverseNorms, eps = 1e-8) {
  normalizeRowsOptimised(queries, queryCount, length, queryUnit, eps);
  for (let row = 0; row < corpusCount; row++) {
    corpusInverseNorms[row] = 1 / Math.max(Math.sqrt(squaredNorm(corpus, row * length, length)), eps);
  }
  const blockedRows = corpusCount - (corpusCount & 3);
  for (let query = 0; query < queryCount; query++) {
    const queryBase = query * length;
    const outBase = query * k;
    let filled = 0;
    let threshold = -Infinity;
    const offer = (score, index) => {
      // Keep scores[outBase .. outBase + k) sorted descending; equal scores keep the earlier index first.
      if (filled === k && !(score > threshold)) return;
      let position = filled < k ? filled++ : k - 1;
      while (position > 0 && scores[outBase + position - 1] < score) {
        scores[outBase + position] = scores[outBase + position - 1];
        indices[outBase + position] = indices[outBase + position - 1];
        position--;
      }
      scores[outBase + position] = score;
      indices[outBase + position] = index;
      if (filled === k) threshold = scores[outBase + k - 1];
    };
    let row = 0;
    for (; row < blockedRows; row += 4) {
      const base0 = row * length, base1 = base0 + length, base2 = base1 + length, base3 = base2 + length;
      let dot0 = 0, dot1 = 0, dot2 = 0, dot3 = 0;
      for (let index = 0; index < length; index++) {
        const value = queryUnit[queryBase + index];
        dot0 += value * corpus[base0 + index];
        dot1 += value * corpus[base1 + index];
        dot2 += value * corpus[base2 + index];
        dot3 += value * corpus[base3 + index];
      }
      offer(dot0 * corpusInverseNorms[row], row);
      offer(dot1 * corpusInverseNorms[row + 1], row + 1);
      offer(dot2 * corpusInverseNorms[row + 2], row + 2);
      offer(dot3 * corpusInverseNorms[row + 3], row + 3);
    }
    for (; row < corpusCount; row++) {
      let dot = 0;
      for (let index = 0; index < length; index++) dot += queryUnit[queryBase + index] * corpus[row * length + index];
      offer(dot * corpusInverseNorms[row], row);
    }
  }
  return { indices, scores };
}

/**
 * InfoNCE (interleaved, mean) forward and backward on flat Float32Arrays. `scratch` holds
 * `unit` [rowCount·length], `logits` [rowCount²], `norms` [rowCount] (Float32Arrays) and
 * `rowGrad` [length] (a Float64Array), all preallocated; `grad` [rowCount·length] receives
 * d loss / d features. Symmetry halves the logits GEMM; the backward GEMM uses G + Gᵀ, four
 * rows of `unit` per pass.
 */
export function infoNCEOptimised(features, rowCount, length, temperature, grad, scratch) {
  const eps = 1e-12;
  const { unit, logits, norms } = scratch;
  for (let row = 0; row < rowCount; row++) {
    norms[row] = Math.sqrt(squaredNorm(features, row * length, length));
    const scale = 1 / Math.max(norms[row], eps);
    for (let index = row * length; index < (row + 1) * length; index++) unit[index] = features[index] * scale;
  }
  const inverseTemperature = 1 / temperature;
  for (let row = 0; row < rowCount; row++) {
    const rowBase = row * length;
    logits[row * rowCount + row] = -Infinity;
    for (let column = row + 1; column < rowCount; column++) {
      const columnBase = column * length;
      let dot0 = 0, dot1 = 0, dot2 = 0, dot3 = 0;
      let index = 0;
      for (; index < length - 3; index += 4) {
        dot0 += unit[rowBase + index] * unit[columnBase + index];
        dot1 += unit[rowBase + index + 1] * unit[columnBase + index + 1];
        dot2 += unit[rowBase + index + 2] * unit[columnBase + index + 2];
        dot3 += unit[rowBase + index + 3] * unit[columnBase + index + 3];
      }
      for (; index < length; index++) dot0 += unit[rowBase + index] * unit[columnBase + index];
      const logit = (dot0 + dot1 + (dot2 + dot3)) * inverseTemperature;
      logits[row * rowCount + column] = logit;
      logits[column * rowCount + row] = logit;
    }
  }
  // Softmax per row (diagonal is -Infinity, so it gets probability 0), loss, and
  // d loss / d logits = (p - onehot) / rowCount, written over the logits.
  let loss = 0;
  for (let row = 0; row < rowCount; row++) {
    const base = row * rowCount;
    let largest = -Infinity;
    for (let column = 0; column < rowCount; column++) if (logits[base + column] > largest) largest = logits[base + column];
    let total = 0;
    for (let column = 0; column < rowCount; column++) total += Math.exp(logits[base + column] - largest);
    const logSumExp = largest + Math.log(total);
    const positive = row ^ 1;
    loss += logSumExp - logits[base + positive];
    for (let column = 0; column < rowCount; column++) logits[base + column] = Math.exp(logits[base + column] - logSumExp) / rowCount;
    logits[base + positive] -= 1 / rowCount;
  }
  loss /= rowCount;
  // d loss / d unit_i = Σ_j (G_ij + G_ji) / τ · unit_j (four columns per pass over the row's
  // float64 accumulator), then back through x / max(‖x‖, eps).
  const { rowGrad } = scratch;
  const blockedColumns = rowCount - (rowCount & 3);
  for (let row = 0; row < rowCount; row++) {
    rowGrad.fill(0);
    let column = 0;
    for (; column < blockedColumns; column += 4) {
      const weight0 = (logits[row * rowCount + column] + logits[column * rowCount + row]) * inverseTemperature;
      const weight1 = (logits[row * rowCount + column + 1] + logits[(column + 1) * rowCount + row]) * inverseTemperature;
      const weight2 = (logits[row * rowCount + column + 2] + logits[(column + 2) * rowCount + row]) * inverseTemperature;
      const weight3 = (logits[row * rowCount + column + 3] + logits[(column + 3) * rowCount + row]) * inverseTemperature;
      const base0 = column * length, base1 = base0 + length, base2 = base1 + length, base3 = base2 + length;
      for (let index = 0; index < length; index++) {
        rowGrad[index] +=
          weight0 * unit[base0 + index] + weight1 * unit[base1 + index] + (weight2 * unit[base2 + index] + weight3 * unit[base3 + index]);
      }
    }
    for (; column < rowCount; column++) {
      const weight = (logits[row * rowCount + column] + logits[column * rowCount + row]) * inverseTemperature;
      for (let index = 0; index < length; index++) rowGrad[index] += weight * unit[column * length + index];
    }
    const gradBase = row * length;
    let radial = 0;
    for (let index = 0; index < length; index++) radial += unit[gradBase + index] * rowGrad[index];
    const inverseNorm = 1 / Math.max(norms[row], eps);
    if (norms[row] > eps) {
      for (let index = 0; index < length; index++) grad[gradBase + index] = (rowGrad[index] - unit[gradBase + index] * radial) * inverseNorm;
    } else {
      for (let index = 0; index < length; index++) grad[gradBase + index] = rowGrad[index] * inverseNorm;
    }
  }
  return { loss, grad };
}

