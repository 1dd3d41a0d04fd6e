// Float64 references: every contender's result is compared with these before it is timed.
// Inputs are float32; all arithmetic here is float64. Written for clarity, with one concession
// to speed (dot products with four accumulators) because the largest ones — infoNCE at
// 2N = 4096, the 1024×2048 matrix — run in every full benchmark.

/** Σ first[firstBase + i] · second[secondBase + i] for i < length, in float64. */
function dot64(first, firstBase, second, secondBase, length) {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let index = 0;
  for (; index + 3 < length; index += 4) {
    sum0 += first[firstBase + index] * second[secondBase + index];
    sum1 += first[firstBase + index + 1] * second[secondBase + index + 1];
    sum2 += first[firstBase + index + 2] * second[secondBase + index + 2];
    sum3 += first[firstBase + index + 3] * second[secondBase + index + 3];
  }
  for (; index < length; index++) sum0 += first[firstBase + index] * second[secondBase + index];
  return sum0 + sum1 + (sum2 + sum3);
}

/** Rows of `values` ([rowCount, length]) divided by max(‖row‖, eps), in float64. */
export function normalizedRows64(values, rowCount, length, eps) {
  const unit = new Float64Array(rowCount * length);
  for (let row = 0; row < rowCount; row++) {
    const base = row * length;
    let squares = 0;
    for (let index = 0; index < length; index++) squares += values[base + index] * values[base + index];
    const scale = 1 / Math.max(Math.sqrt(squares), eps);
    for (let index = 0; index < length; index++) unit[base + index] = values[base + index] * scale;
  }
  return unit;
}

/** cos(a_i, b_i) for each of `rowCount` row pairs, with PyTorch's eps (each norm clamped). */
export function cosineRows64(first, second, rowCount, length, eps) {
  const out = new Float64Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const base = row * length;
    let dot = 0;
    let firstSquares = 0;
    let secondSquares = 0;
    for (let index = base; index < base + length; index++) {
      dot += first[index] * second[index];
      firstSquares += first[index] * first[index];
      secondSquares += second[index] * second[index];
    }
    out[row] = dot / (Math.max(Math.sqrt(firstSquares), eps) * Math.max(Math.sqrt(secondSquares), eps));
  }
  return out;
}

/** The [rowCount, columnCount] matrix of cosines between rows of `first` and rows of `second`. */
export function pairwiseCosine64(first, rowCount, second, columnCount, length, eps) {
  const firstUnit = normalizedRows64(first, rowCount, length, eps);
  const secondUnit = first === second && rowCount === columnCount ? firstUnit : normalizedRows64(second, columnCount, length, eps);
  const out = new Float64Array(rowCount * columnCount);
  for (let row = 0; row < rowCount; row++) {
    for (let column = 0; column < columnCount; column++) {
      out[row * columnCount + column] = dot64(firstUnit, row * length, secondUnit, column * length, length);
    }
  }
  return out;
}

/** The cosines of one query (row `queryRow` of `queries`) against every corpus row. */
export function queryScores64(queries, queryRow, corpus, corpusRows, length, eps) {
  const query = normalizedRows64(queries.subarray(queryRow * length, (queryRow + 1) * length), 1, length, eps);
  const scores = new Float64Array(corpusRows);
  for (let row = 0; row < corpusRows; row++) {
    const base = row * length;
    let dot = 0;
    let squares = 0;
    for (let index = 0; index < length; index++) {
      dot += query[index] * corpus[base + index];
      squares += corpus[base + index] * corpus[base + index];
    }
    scores[row] = dot / Math.max(Math.sqrt(squares), eps);
  }
  return scores;
}

/** The k-th largest value of `scores`. */
export function kthLargest(scores, k) {
  return Float64Array.from(scores).sort()[scores.length - k];
}

/**
 * InfoNCE / NT-Xent over `rowCount` rows (interleaved layout: row i's positive is i ^ 1),
 * features L2-normalised with eps = 1e-12, logits s_ij / temperature with the diagonal
 * excluded, mean cross-entropy over all rows; and d loss / d features through the
 * normalisation, for the rows listed in `gradRows` (the whole gradient of 2N = 4096 rows
 * would cost 4·10⁹ float64 multiply-adds in JS; a spread sample checks it as well).
 * Returns { loss, gradRows, grad: [gradRows.length, length] } in float64.
 */
export function infoNCE64(features, rowCount, length, temperature, gradRows) {
  const eps = 1e-12;
  const norms = new Float64Array(rowCount);
  for (let row = 0; row < rowCount; row++) norms[row] = Math.sqrt(dot64(features, row * length, features, row * length, length));
  const unit = normalizedRows64(features, rowCount, length, eps);
  const logits = new Float64Array(rowCount * rowCount);
  for (let row = 0; row < rowCount; row++) {
    for (let column = row + 1; column < rowCount; column++) {
      const dot = dot64(unit, row * length, unit, column * length, length);
      logits[row * rowCount + column] = dot / temperature;
      logits[column * rowCount + row] = dot / temperature;
    }
  }
  // d loss / d logits = (softmax − onehot) / rowCount, written over the logits once a row's loss is taken.
  const logitGrad = logits;
  let loss = 0;
  for (let row = 0; row < rowCount; row++) {
    const base = row * rowCount;
    let largest = -Infinity;
    for (let column = 0; column < rowCount; column++) if (column !== row) largest = Math.max(largest, logits[base + column]);
    let total = 0;
    for (let column = 0; column < rowCount; column++) if (column !== row) total += Math.exp(logits[base + column] - largest);
    const logSumExp = largest + Math.log(total);
    const positive = row ^ 1;
    loss += logSumExp - logits[base + positive];
    for (let column = 0; column < rowCount; column++) {
      logitGrad[base + column] = column === row ? 0 : (Math.exp(logits[base + column] - logSumExp) - (column === positive ? 1 : 0)) / rowCount;
    }
  }
  loss /= rowCount;
  // d loss / d unit_i = Σ_j (G_ij + G_ji) unit_j / temperature; then back through x / max(‖x‖, eps).
  const grad = new Float64Array(gradRows.length * length);
  const unitGrad = new Float64Array(length);
  gradRows.forEach((row, sample) => {
    unitGrad.fill(0);
    for (let column = 0; column < rowCount; column++) {
      const weight = (logitGrad[row * rowCount + column] + logitGrad[column * rowCount + row]) / temperature;
      for (let index = 0; index < length; index++) unitGrad[index] += weight * unit[column * length + index];
    }
    const base = row * length;
    const out = sample * length;
    if (norms[row] > eps) {
      const radial = dot64(unit, base, unitGrad, 0, length);
      for (let index = 0; index < length; index++) grad[out + index] = (unitGrad[index] - unit[base + index] * radial) / norms[row];
    } else {
      for (let index = 0; index < length; index++) grad[out + index] = unitGrad[index] / eps;
    }
  });
  return { loss, gradRows, grad };
}
