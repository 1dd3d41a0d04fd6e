use super::*;
use crate::test_support::{TestRng, assert_close};
use std::vec;
use std::vec::Vec;

fn normalized_f64(values: &[f64], rows: usize, depth: usize) -> Vec<f64> {
    let mut out = values.to_vec();
    for row in 0..rows {
        let slice = &mut out[row * depth..(row + 1) * depth];
        let norm = slice.iter().map(|value| value * value).sum::<f64>().sqrt().max(1e-12);
        slice.iter_mut().for_each(|value| *value /= norm);
    }
    out
}

fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let maximum = values.clone().fold(f64::NEG_INFINITY, f64::max);
    maximum + values.map(|value| (value - maximum).exp()).sum::<f64>().ln()
}

/// Naive float64 NT-Xent: Σᵢ weight·lossᵢ.
fn infonce_reference(features: &[f64], rows: usize, depth: usize, temperature: f64, layout: PairLayout, weight: f64) -> (f64, Vec<f64>) {
    let unit = normalized_f64(features, rows, depth);
    let logit = |i: usize, j: usize| (0..depth).map(|k| unit[i * depth + k] * unit[j * depth + k]).sum::<f64>() / temperature;
    let losses: Vec<f64> = (0..rows)
        .map(|i| log_sum_exp((0..rows).filter(move |&j| j != i).map(move |j| logit(i, j))) - logit(i, layout.positive(i, rows)))
        .collect();
    (losses.iter().sum::<f64>() * weight, losses)
}

fn finite_difference(point: &[f64], function: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let step = 1e-6;
    (0..point.len())
        .map(|index| {
            let mut shifted = point.to_vec();
            shifted[index] = point[index] + step;
            let above = function(&shifted);
            shifted[index] = point[index] - step;
            (above - function(&shifted)) / (2.0 * step)
        })
        .collect()
}

#[test]
fn infonce_loss_and_gradient_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(80);
    for &(rows, depth, temperature, layout) in &[
        (2usize, 3usize, 0.5f32, PairLayout::Interleaved),
        (6, 5, 0.07, PairLayout::Interleaved),
        (8, 9, 0.2, PairLayout::Halves),
        (10, 33, 1.0, PairLayout::Halves),
        (4, 7, 0.01, PairLayout::Interleaved),
    ] {
        let features = rng.vector(rows * depth);
        let wide: Vec<f64> = features.iter().map(|&value| f64::from(value)).collect();
        let weight = 1.0 / rows as f64;
        let (expected_total, expected_rows) = infonce_reference(&wide, rows, depth, f64::from(temperature), layout, weight);
        let mut row_losses = vec![0.0f64; rows];
        let mut gradient = vec![0.0f32; rows * depth];
        let mut scratch = vec![0.0f32; infonce_scratch_len(rows, depth).unwrap()];
        infonce_f32(&features, rows, depth, temperature, layout, weight, &mut row_losses, Some(&mut gradient), &mut scratch).unwrap();
        let context = std::format!("rows {rows} depth {depth} τ {temperature} {layout:?}");
        for (actual, expected) in row_losses.iter().zip(&expected_rows) {
            assert_close(*actual, *expected, 1e-5 * expected.abs().max(1.0) / f64::from(temperature).min(1.0).max(0.1), &context);
        }
        let total: f64 = row_losses.iter().sum::<f64>() * weight;
        assert_close(total, expected_total, 2e-5 * expected_total.abs().max(1.0), &context);
        let numeric = finite_difference(&wide, |point| infonce_reference(point, rows, depth, f64::from(temperature), layout, weight).0);
        let scale = numeric.iter().fold(0.0f64, |best, value| best.max(value.abs()));
        for (index, (&actual, &expected)) in gradient.iter().zip(&numeric).enumerate() {
            assert_close(f64::from(actual), expected, 1e-4 * scale.max(1e-3), &std::format!("{context} gradient {index}"));
        }
    }
}

#[test]
fn infonce_without_gradient_and_argument_errors() {
    let features = TestRng::new(81).vector(4 * 3);
    let mut row_losses = vec![0.0f64; 4];
    let mut scratch = vec![0.0f32; infonce_scratch_len(4, 3).unwrap()];
    infonce_f32(&features, 4, 3, 0.07, PairLayout::Halves, 0.25, &mut row_losses, None, &mut scratch).unwrap();
    assert!(row_losses.iter().all(|loss| loss.is_finite() && *loss > 0.0));
    assert_eq!(infonce_f32(&features[..9], 3, 3, 0.07, PairLayout::Halves, 1.0, &mut row_losses[..3], None, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(infonce_f32(&features, 4, 3, 0.0, PairLayout::Halves, 1.0, &mut row_losses, None, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(infonce_f32(&features, 4, 3, f32::NAN, PairLayout::Halves, 1.0, &mut row_losses, None, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(PairLayout::from_code(2), Err(KernelError::InvalidArgument));
}

/// Naive float64 CLIP loss as a function of (image, text, log s).
fn clip_reference(image: &[f64], text: &[f64], rows: usize, depth: usize, log_scale: f64) -> f64 {
    let (unit_image, unit_text) = (normalized_f64(image, rows, depth), normalized_f64(text, rows, depth));
    let scale = log_scale.exp();
    let logit = |i: usize, j: usize| scale * (0..depth).map(|k| unit_image[i * depth + k] * unit_text[j * depth + k]).sum::<f64>();
    let rows_ce: f64 = (0..rows).map(|i| log_sum_exp((0..rows).map(move |j| logit(i, j))) - logit(i, i)).sum();
    let columns_ce: f64 = (0..rows).map(|j| log_sum_exp((0..rows).map(move |i| logit(i, j))) - logit(j, j)).sum();
    (rows_ce + columns_ce) / (2.0 * rows as f64)
}

#[test]
fn clip_loss_and_gradients_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(82);
    for &(rows, depth, logit_scale) in &[(1usize, 4usize, 14.285_714f32), (3, 5, 1.0), (6, 17, 14.285_714), (5, 8, 100.0)] {
        let image = rng.vector(rows * depth);
        let text = rng.vector(rows * depth);
        let image_wide: Vec<f64> = image.iter().map(|&value| f64::from(value)).collect();
        let text_wide: Vec<f64> = text.iter().map(|&value| f64::from(value)).collect();
        let log_scale = f64::from(logit_scale).ln();
        let expected = clip_reference(&image_wide, &text_wide, rows, depth, log_scale);
        let mut image_gradient = vec![0.0f32; rows * depth];
        let mut text_gradient = vec![0.0f32; rows * depth];
        let mut scratch = vec![0.0f32; clip_scratch_len(rows, depth).unwrap()];
        let mut wide = vec![0.0f64; 3 * rows];
        let output = clip_f32(&image, &text, rows, depth, logit_scale, Some((&mut image_gradient, &mut text_gradient)), &mut scratch, &mut wide).unwrap();
        let context = std::format!("rows {rows} depth {depth} scale {logit_scale}");
        assert_close(output.loss, expected, 1e-5 * expected.abs().max(1.0) * f64::from(logit_scale).max(10.0) / 10.0, &context);
        let numeric_image = finite_difference(&image_wide, |point| clip_reference(point, &text_wide, rows, depth, log_scale));
        let numeric_text = finite_difference(&text_wide, |point| clip_reference(&image_wide, point, rows, depth, log_scale));
        let numeric_scale = finite_difference(&[log_scale], |point| clip_reference(&image_wide, &text_wide, rows, depth, point[0]))[0];
        let bound = |values: &[f64]| 1e-4 * values.iter().fold(1e-3f64, |best, value| best.max(value.abs()));
        for (actual, expected) in image_gradient.iter().zip(&numeric_image) {
            assert_close(f64::from(*actual), *expected, bound(&numeric_image), &std::format!("{context} image"));
        }
        for (actual, expected) in text_gradient.iter().zip(&numeric_text) {
            assert_close(f64::from(*actual), *expected, bound(&numeric_text), &std::format!("{context} text"));
        }
        assert_close(output.gradient_log_scale, numeric_scale, 1e-5 * numeric_scale.abs().max(1.0), &std::format!("{context} log scale"));
    }
}

#[test]
fn cosine_embedding_matches_the_pytorch_formula() {
    let mut rng = TestRng::new(83);
    let (rows, depth) = (6, 10);
    let mut first = rng.vector(rows * depth);
    let second = rng.vector(rows * depth);
    first[..depth].fill(0.0);
    let targets = [1.0f32, -1.0, 1.0, -1.0, -1.0, 1.0];
    for margin in [0.0f32, 0.3, -0.5] {
        let mut losses = vec![0.0f64; rows];
        cosine_embedding_f32(&first, &second, rows, depth, &targets, margin, &mut losses).unwrap();
        for row in 0..rows {
            let range = row * depth..(row + 1) * depth;
            let dot: f64 = first[range.clone()].iter().zip(&second[range.clone()]).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
            let squared = |values: &[f32]| values.iter().map(|&value| f64::from(value) * f64::from(value)).sum::<f64>() + 1e-12;
            let cosine = dot / (squared(&first[range.clone()]) * squared(&second[range.clone()])).sqrt();
            let expected = if targets[row] == 1.0 { 1.0 - cosine } else { (cosine - f64::from(margin)).max(0.0) };
            assert_close(losses[row], expected, 1e-6, &std::format!("row {row} margin {margin}"));
        }
    }
    let mut losses = vec![0.0f64; rows];
    let bad_targets = [1.0f32, 0.0, 1.0, 1.0, 1.0, 1.0];
    assert_eq!(cosine_embedding_f32(&first, &second, rows, depth, &bad_targets, 0.0, &mut losses), Err(KernelError::InvalidArgument));
}

/// Central differences of `function` at a few entries of `point` only (big cases).
fn finite_difference_at(point: &[f64], indices: &[usize], function: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let step = 1e-5;
    indices
        .iter()
        .map(|&index| {
            let mut shifted = point.to_vec();
            shifted[index] = point[index] + step;
            let above = function(&shifted);
            shifted[index] = point[index] - step;
            (above - function(&shifted)) / (2.0 * step)
        })
        .collect()
}

/// Entries spread over every row block (the first, a middle and the last row of each).
fn spread_indices(rows: usize, depth: usize) -> Vec<usize> {
    let mut indices = Vec::new();
    for block in (0..rows).step_by(LOSS_BLOCK) {
        for row in [block, (block + LOSS_BLOCK / 2).min(rows - 1), (block + LOSS_BLOCK - 1).min(rows - 1)] {
            indices.push(row * depth + row % depth);
        }
    }
    indices
}

#[test]
fn infonce_over_several_tiles_matches_float64_and_finite_differences() {
    // 2·256 + 6 rows: three row blocks, a short last one, tiles on and off the diagonal;
    // the positives of 'halves' cross blocks, those of 'interleaved' stay inside them.
    let (rows, depth) = (2 * LOSS_BLOCK + 6, 5);
    let features = TestRng::new(84).vector(rows * depth);
    let wide: Vec<f64> = features.iter().map(|&value| f64::from(value)).collect();
    for (temperature, layout) in [(0.1f32, PairLayout::Halves), (0.5, PairLayout::Interleaved)] {
        let weight = 1.0 / rows as f64;
        let (expected_total, expected_rows) = infonce_reference(&wide, rows, depth, f64::from(temperature), layout, weight);
        let mut row_losses = vec![0.0f64; rows];
        let mut gradient = vec![0.0f32; rows * depth];
        let mut scratch = vec![0.0f32; infonce_scratch_len(rows, depth).unwrap()];
        infonce_f32(&features, rows, depth, temperature, layout, weight, &mut row_losses, Some(&mut gradient), &mut scratch).unwrap();
        let context = std::format!("rows {rows} τ {temperature} {layout:?}");
        for (row, (actual, expected)) in row_losses.iter().zip(&expected_rows).enumerate() {
            assert_close(*actual, *expected, 1e-5 * expected.abs().max(1.0), &std::format!("{context} row {row}"));
        }
        assert_close(row_losses.iter().sum::<f64>() * weight, expected_total, 1e-5 * expected_total.abs(), &context);
        let indices = spread_indices(rows, depth);
        let numeric = finite_difference_at(&wide, &indices, |point| infonce_reference(point, rows, depth, f64::from(temperature), layout, weight).0);
        let scale = gradient.iter().fold(0.0f64, |best, &value| best.max(f64::from(value).abs()));
        for (&index, &expected) in indices.iter().zip(&numeric) {
            assert_close(f64::from(gradient[index]), expected, 1e-4 * scale, &std::format!("{context} gradient {index}"));
        }
        // Without the gradient: the same losses, bit for bit (the same first sweep).
        let mut again = vec![0.0f64; rows];
        infonce_f32(&features, rows, depth, temperature, layout, weight, &mut again, None, &mut scratch).unwrap();
        assert_eq!(again, row_losses, "{context}: losses with and without the gradient");
    }
}

#[test]
fn clip_over_several_tiles_matches_float64_and_finite_differences() {
    let (rows, depth) = (LOSS_BLOCK + 37, 6);
    let mut rng = TestRng::new(85);
    let image = rng.vector(rows * depth);
    let text = rng.vector(rows * depth);
    let image_wide: Vec<f64> = image.iter().map(|&value| f64::from(value)).collect();
    let text_wide: Vec<f64> = text.iter().map(|&value| f64::from(value)).collect();
    let logit_scale = 14.285_714f32;
    let log_scale = f64::from(logit_scale).ln();
    let expected = clip_reference(&image_wide, &text_wide, rows, depth, log_scale);
    let mut image_gradient = vec![0.0f32; rows * depth];
    let mut text_gradient = vec![0.0f32; rows * depth];
    let mut scratch = vec![0.0f32; clip_scratch_len(rows, depth).unwrap()];
    let mut wide = vec![0.0f64; 3 * rows];
    let output = clip_f32(&image, &text, rows, depth, logit_scale, Some((&mut image_gradient, &mut text_gradient)), &mut scratch, &mut wide).unwrap();
    assert_close(output.loss, expected, 1e-5 * expected, "loss");
    let indices = spread_indices(rows, depth);
    let numeric_image = finite_difference_at(&image_wide, &indices, |point| clip_reference(point, &text_wide, rows, depth, log_scale));
    let numeric_text = finite_difference_at(&text_wide, &indices, |point| clip_reference(&image_wide, point, rows, depth, log_scale));
    let numeric_scale = finite_difference(&[log_scale], |point| clip_reference(&image_wide, &text_wide, rows, depth, point[0]))[0];
    let scale_of = |values: &[f32]| values.iter().fold(0.0f64, |best, &value| best.max(f64::from(value).abs()));
    for (position, &index) in indices.iter().enumerate() {
        assert_close(f64::from(image_gradient[index]), numeric_image[position], 1e-4 * scale_of(&image_gradient), &std::format!("image {index}"));
        assert_close(f64::from(text_gradient[index]), numeric_text[position], 1e-4 * scale_of(&text_gradient), &std::format!("text {index}"));
    }
    assert_close(output.gradient_log_scale, numeric_scale, 1e-5 * numeric_scale.abs().max(1.0), "log scale");
}

#[test]
fn a_nan_anywhere_makes_every_loss_and_gradient_nan() {
    let (rows, depth) = (LOSS_BLOCK + 2, 3);
    let mut features = TestRng::new(86).vector(rows * depth);
    features[(LOSS_BLOCK + 1) * depth] = f32::NAN;
    let mut row_losses = vec![0.0f64; rows];
    let mut gradient = vec![0.0f32; rows * depth];
    let mut scratch = vec![0.0f32; infonce_scratch_len(rows, depth).unwrap()];
    infonce_f32(&features, rows, depth, 0.07, PairLayout::Halves, 1.0, &mut row_losses, Some(&mut gradient), &mut scratch).unwrap();
    assert!(row_losses.iter().all(|loss| loss.is_nan()) && gradient.iter().all(|value| value.is_nan()));
    let text = TestRng::new(87).vector(rows * depth);
    let (mut image_gradient, mut text_gradient) = (vec![0.0f32; rows * depth], vec![0.0f32; rows * depth]);
    let mut scratch = vec![0.0f32; clip_scratch_len(rows, depth).unwrap()];
    let mut wide = vec![0.0f64; 3 * rows];
    let output = clip_f32(&features, &text, rows, depth, 14.3, Some((&mut image_gradient, &mut text_gradient)), &mut scratch, &mut wide).unwrap();
    assert!(output.loss.is_nan() && image_gradient.iter().chain(&text_gradient).all(|value| value.is_nan()));
}

#[test]
fn scratch_does_not_grow_with_the_square_of_the_rows() {
    // O(D·block + block² + N): doubling N past a block adds only the per-row state.
    let small = infonce_scratch_len(16_384, 512).unwrap();
    let large = infonce_scratch_len(32_768, 512).unwrap();
    assert_eq!(large - small, 2 * 16_384);
    assert!(clip_scratch_len(16_384, 512).unwrap() * 4 < 4 << 20, "clip scratch at 16 384 × 512 under 4 MiB");
}

/// Naive float64 SigLIP loss as a function of (image, text, log t, b).
fn siglip_reference(image: &[f64], text: &[f64], rows: usize, depth: usize, log_scale: f64, bias: f64) -> f64 {
    let (unit_image, unit_text) = (normalized_f64(image, rows, depth), normalized_f64(text, rows, depth));
    let scale = log_scale.exp();
    let mut total = 0.0;
    for i in 0..rows {
        for j in 0..rows {
            let logit = scale * (0..depth).map(|k| unit_image[i * depth + k] * unit_text[j * depth + k]).sum::<f64>() + bias;
            let label = if i == j { 1.0 } else { -1.0 };
            // −log σ(z·l) = log(1 + exp(−z·l)), written the plain way (fine in float64 here).
            total += (1.0 + (-label * logit).exp()).ln();
        }
    }
    total / rows as f64
}

#[test]
fn siglip_loss_and_gradients_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(90);
    for &(rows, depth, logit_scale, logit_bias) in &[(1usize, 4usize, 10.0f32, -10.0f32), (5, 7, 10.0, -10.0), (6, 3, 1.0, 0.5), (LOSS_BLOCK + 3, 4, 10.0, -10.0)] {
        let image = rng.vector(rows * depth);
        let text = rng.vector(rows * depth);
        let image_wide: Vec<f64> = image.iter().map(|&value| f64::from(value)).collect();
        let text_wide: Vec<f64> = text.iter().map(|&value| f64::from(value)).collect();
        let (log_scale, bias) = (f64::from(logit_scale).ln(), f64::from(logit_bias));
        let expected = siglip_reference(&image_wide, &text_wide, rows, depth, log_scale, bias);
        let mut image_gradient = vec![0.0f32; rows * depth];
        let mut text_gradient = vec![0.0f32; rows * depth];
        let mut scratch = vec![0.0f32; siglip_scratch_len(rows, depth).unwrap()];
        let output = siglip_f32(&image, &text, rows, depth, logit_scale, logit_bias, Some((&mut image_gradient, &mut text_gradient)), &mut scratch).unwrap();
        let context = std::format!("rows {rows} depth {depth} t {logit_scale} b {logit_bias}");
        assert_close(output.loss, expected, 1e-5 * expected.abs(), &context);
        let forward_only = siglip_f32(&image, &text, rows, depth, logit_scale, logit_bias, None, &mut scratch).unwrap();
        assert_eq!(forward_only.loss, output.loss, "{context}: loss with and without gradients");
        let indices: Vec<usize> = if rows > 8 { spread_indices(rows, depth) } else { (0..rows * depth).collect() };
        let numeric_image = finite_difference_at(&image_wide, &indices, |point| siglip_reference(point, &text_wide, rows, depth, log_scale, bias));
        let numeric_text = finite_difference_at(&text_wide, &indices, |point| siglip_reference(&image_wide, point, rows, depth, log_scale, bias));
        let scale_of = |values: &[f32]| values.iter().fold(1e-6f64, |best, &value| best.max(f64::from(value).abs()));
        for (position, &index) in indices.iter().enumerate() {
            assert_close(f64::from(image_gradient[index]), numeric_image[position], 1e-4 * scale_of(&image_gradient), &std::format!("{context} image {index}"));
            assert_close(f64::from(text_gradient[index]), numeric_text[position], 1e-4 * scale_of(&text_gradient), &std::format!("{context} text {index}"));
        }
        let numeric_scale = finite_difference(&[log_scale], |point| siglip_reference(&image_wide, &text_wide, rows, depth, point[0], bias))[0];
        let numeric_bias = finite_difference(&[bias], |point| siglip_reference(&image_wide, &text_wide, rows, depth, log_scale, point[0]))[0];
        assert_close(output.gradient_log_scale, numeric_scale, 1e-5 * numeric_scale.abs().max(1e-2), &std::format!("{context} log t"));
        assert_close(output.gradient_bias, numeric_bias, 1e-5 * numeric_bias.abs().max(1e-2), &std::format!("{context} b"));
    }
    let mut scratch = vec![0.0f32; siglip_scratch_len(2, 2).unwrap()];
    let values = [1.0f32, 0.0, 0.0, 1.0];
    assert_eq!(siglip_f32(&values, &values, 2, 2, f32::NAN, 0.0, None, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(siglip_f32(&values, &values, 2, 2, 1.0, f32::INFINITY, None, &mut scratch), Err(KernelError::InvalidArgument));
}

#[test]
fn siglip_log1p_series_meets_the_logarithm() {
    for e in [0.0f64, 1e-30, 1e-8, 1e-3, 0.05, 0.125, 0.1250001, 0.5, 1.0] {
        assert_close(sigmoid::log1p_unit(e), (e).ln_1p(), 1e-15 + 1e-8 * e, &std::format!("log1p({e})"));
    }
}

/// Naive float64 MNRL as a function of (anchors, candidates).
fn ranking_reference(anchors: &[f64], anchor_rows: usize, candidates: &[f64], candidate_rows: usize, depth: usize, scale: f64) -> (f64, Vec<f64>) {
    let (unit_anchors, unit_candidates) = (normalized_f64(anchors, anchor_rows, depth), normalized_f64(candidates, candidate_rows, depth));
    let score = |i: usize, j: usize| scale * (0..depth).map(|k| unit_anchors[i * depth + k] * unit_candidates[j * depth + k]).sum::<f64>();
    let losses: Vec<f64> = (0..anchor_rows).map(|i| log_sum_exp((0..candidate_rows).map(move |j| score(i, j))) - score(i, i)).collect();
    (losses.iter().sum::<f64>() / anchor_rows as f64, losses)
}

#[test]
fn ranking_loss_and_gradients_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(91);
    for &(anchor_rows, candidate_rows, depth, scale) in &[(1usize, 1usize, 3usize, 20.0f32), (4, 9, 5, 20.0), (6, 6, 8, 1.0), (LOSS_BLOCK + 5, 2 * LOSS_BLOCK + 1, 3, 20.0)] {
        let anchors = rng.vector(anchor_rows * depth);
        let candidates = rng.vector(candidate_rows * depth);
        let anchors_wide: Vec<f64> = anchors.iter().map(|&value| f64::from(value)).collect();
        let candidates_wide: Vec<f64> = candidates.iter().map(|&value| f64::from(value)).collect();
        let (expected, expected_rows) = ranking_reference(&anchors_wide, anchor_rows, &candidates_wide, candidate_rows, depth, f64::from(scale));
        let mut row_losses = vec![0.0f64; anchor_rows];
        let mut anchor_gradient = vec![0.0f32; anchor_rows * depth];
        let mut candidate_gradient = vec![0.0f32; candidate_rows * depth];
        let mut scratch = vec![0.0f32; ranking_scratch_len(anchor_rows, candidate_rows, depth).unwrap()];
        multiple_negatives_ranking_f32(&anchors, anchor_rows, &candidates, candidate_rows, depth, scale, &mut row_losses, Some((&mut anchor_gradient, &mut candidate_gradient)), &mut scratch).unwrap();
        let context = std::format!("anchors {anchor_rows} candidates {candidate_rows} depth {depth} scale {scale}");
        for (row, (actual, wanted)) in row_losses.iter().zip(&expected_rows).enumerate() {
            assert_close(*actual, *wanted, 1e-5 * wanted.abs().max(1.0), &std::format!("{context} row {row}"));
        }
        assert_close(row_losses.iter().sum::<f64>() / anchor_rows as f64, expected, 1e-5 * expected.abs().max(1e-3), &context);
        let anchor_indices: Vec<usize> = if anchor_rows > 8 { spread_indices(anchor_rows, depth) } else { (0..anchor_rows * depth).collect() };
        let candidate_indices: Vec<usize> = if candidate_rows > 9 { spread_indices(candidate_rows, depth) } else { (0..candidate_rows * depth).collect() };
        let numeric_anchors = finite_difference_at(&anchors_wide, &anchor_indices, |point| ranking_reference(point, anchor_rows, &candidates_wide, candidate_rows, depth, f64::from(scale)).0);
        let numeric_candidates = finite_difference_at(&candidates_wide, &candidate_indices, |point| ranking_reference(&anchors_wide, anchor_rows, point, candidate_rows, depth, f64::from(scale)).0);
        let scale_of = |values: &[f32]| values.iter().fold(1e-6f64, |best, &value| best.max(f64::from(value).abs()));
        for (position, &index) in anchor_indices.iter().enumerate() {
            assert_close(f64::from(anchor_gradient[index]), numeric_anchors[position], 1e-4 * scale_of(&anchor_gradient), &std::format!("{context} anchor {index}"));
        }
        for (position, &index) in candidate_indices.iter().enumerate() {
            assert_close(f64::from(candidate_gradient[index]), numeric_candidates[position], 1e-4 * scale_of(&candidate_gradient), &std::format!("{context} candidate {index}"));
        }
    }
    let values = [1.0f32, 0.0, 0.0, 1.0];
    let mut row_losses = [0.0f64; 2];
    let mut scratch = vec![0.0f32; ranking_scratch_len(2, 2, 2).unwrap()];
    assert_eq!(multiple_negatives_ranking_f32(&values, 2, &values[..2], 1, 2, 20.0, &mut row_losses, None, &mut scratch), Err(KernelError::InvalidArgument));
}

/// Naive float64 triplet loss with the cosine distance (norms clamped at 1e-8 each), per row.
fn triplet_reference(anchor: &[f64], positive: &[f64], negative: &[f64], rows: usize, depth: usize, margin: f64) -> Vec<f64> {
    let cosine = |x: &[f64], y: &[f64]| {
        let norm = |v: &[f64]| v.iter().map(|value| value * value).sum::<f64>().sqrt().max(1e-8);
        x.iter().zip(y).map(|(left, right)| left * right).sum::<f64>() / (norm(x) * norm(y))
    };
    (0..rows)
        .map(|row| {
            let range = row * depth..(row + 1) * depth;
            let distance_p = 1.0 - cosine(&anchor[range.clone()], &positive[range.clone()]);
            let distance_n = 1.0 - cosine(&anchor[range.clone()], &negative[range]);
            (distance_p - distance_n + margin).max(0.0)
        })
        .collect()
}

#[test]
fn triplet_loss_and_gradients_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(92);
    for &(rows, depth, margin) in &[(4usize, 1usize, 1.5f32), (1, 4, 1.0), (3, 4, 1.0), (7, 5, 0.3), (12, 33, 0.05), (40, 3, 2.0)] {
        let (anchor, positive, negative) = (rng.vector(rows * depth), rng.vector(rows * depth), rng.vector(rows * depth));
        let wide = |values: &[f32]| values.iter().map(|&value| f64::from(value)).collect::<Vec<f64>>();
        let (anchor_wide, positive_wide, negative_wide) = (wide(&anchor), wide(&positive), wide(&negative));
        let expected = triplet_reference(&anchor_wide, &positive_wide, &negative_wide, rows, depth, f64::from(margin));
        let weight = 1.0 / rows as f64;
        let mut row_losses = vec![0.0f64; rows];
        let (mut ga, mut gp, mut gn) = (vec![0.0f32; rows * depth], vec![0.0f32; rows * depth], vec![0.0f32; rows * depth]);
        triplet_cosine_f32(&anchor, &positive, &negative, rows, depth, margin, weight, &mut row_losses, Some((&mut ga, &mut gp, &mut gn))).unwrap();
        let context = std::format!("rows {rows} depth {depth} margin {margin}");
        assert!(expected.iter().any(|&loss| loss > 0.0), "{context}: some row active");
        for (row, (actual, wanted)) in row_losses.iter().zip(&expected).enumerate() {
            assert_close(*actual, *wanted, 1e-6 * wanted.abs().max(1.0), &std::format!("{context} row {row}"));
        }
        let mean = |a: &[f64], p: &[f64], n: &[f64]| triplet_reference(a, p, n, rows, depth, f64::from(margin)).iter().sum::<f64>() * weight;
        let indices: Vec<usize> = (0..rows * depth).collect();
        let numeric_a = finite_difference_at(&anchor_wide, &indices, |point| mean(point, &positive_wide, &negative_wide));
        let numeric_p = finite_difference_at(&positive_wide, &indices, |point| mean(&anchor_wide, point, &negative_wide));
        let numeric_n = finite_difference_at(&negative_wide, &indices, |point| mean(&anchor_wide, &positive_wide, point));
        // At D = 1 every true gradient is 0 and the float32 sums leave ~1e-9: an absolute floor.
        let scale_of = |values: &[f32]| values.iter().fold(1e-3f64, |best, &value| best.max(f64::from(value).abs()));
        for index in 0..rows * depth {
            assert_close(f64::from(ga[index]), numeric_a[index], 1e-4 * scale_of(&ga), &std::format!("{context} anchor {index}"));
            assert_close(f64::from(gp[index]), numeric_p[index], 1e-4 * scale_of(&gp), &std::format!("{context} positive {index}"));
            assert_close(f64::from(gn[index]), numeric_n[index], 1e-4 * scale_of(&gn), &std::format!("{context} negative {index}"));
        }
        let mut again = vec![0.0f64; rows];
        triplet_cosine_f32(&anchor, &positive, &negative, rows, depth, margin, weight, &mut again, None).unwrap();
        assert_eq!(again, row_losses, "{context}: losses with and without gradients");
    }
    // An inactive row has zero gradients; a NaN row is NaN and leaves the others alone.
    let anchor = [1.0f32, 0.0, 1.0, 0.0];
    let positive = [1.0f32, 0.0, f32::NAN, 0.0];
    let negative = [-1.0f32, 0.0, 0.0, 1.0];
    let mut row_losses = [0.0f64; 2];
    let (mut ga, mut gp, mut gn) = ([9.0f32; 4], [9.0f32; 4], [9.0f32; 4]);
    triplet_cosine_f32(&anchor, &positive, &negative, 2, 2, 0.5, 1.0, &mut row_losses, Some((&mut ga, &mut gp, &mut gn))).unwrap();
    assert_eq!(row_losses[0], 0.0);
    assert!(row_losses[1].is_nan());
    assert_eq!(&ga[..2], &[0.0, 0.0]);
    assert!(ga[2..].iter().chain(&gp[2..]).chain(&gn[2..]).all(|value| value.is_nan()));
    // A zero row: the norm is clamped at 1e-8, cos = 0, finite gradients (g / 1e-8).
    let zero = [0.0f32, 0.0];
    let mut one = [0.0f64; 1];
    let (mut ga, mut gp, mut gn) = ([0.0f32; 2], [0.0f32; 2], [0.0f32; 2]);
    triplet_cosine_f32(&zero, &[1.0, 0.0], &[0.0, 1.0], 1, 2, 1.0, 1.0, &mut one, Some((&mut ga, &mut gp, &mut gn))).unwrap();
    assert_eq!(one[0], 1.0);
    assert_close(f64::from(ga[0]), -1e8, 1.0, "zero anchor d/da0");
    assert_close(f64::from(ga[1]), 1e8, 1.0, "zero anchor d/da1");
    assert_eq!(triplet_cosine_f32(&zero, &zero, &zero, 1, 2, 0.0, 1.0, &mut one, None), Err(KernelError::InvalidArgument));
    assert_eq!(triplet_cosine_f32(&zero, &zero, &zero, 1, 2, f32::NAN, 1.0, &mut one, None), Err(KernelError::InvalidArgument));
    assert_eq!(triplet_cosine_f32(&zero, &zero, &zero[..1], 1, 2, 1.0, 1.0, &mut one, None), Err(KernelError::OutOfBounds));
}

/// Naive float64 MoCo loss: logits [q̂·k̂, q̂·Q̂ᵀ]/τ, label 0, mean over the queries.
fn moco_reference(query: &[f64], key: &[f64], queue: &[f64], rows: usize, queue_rows: usize, depth: usize, temperature: f64) -> (f64, Vec<f64>) {
    let (unit_query, unit_key, unit_queue) = (normalized_f64(query, rows, depth), normalized_f64(key, rows, depth), normalized_f64(queue, queue_rows, depth));
    let dot = |x: &[f64], i: usize, y: &[f64], j: usize| (0..depth).map(|k| x[i * depth + k] * y[j * depth + k]).sum::<f64>() / temperature;
    let losses: Vec<f64> = (0..rows)
        .map(|i| {
            let positive = dot(&unit_query, i, &unit_key, i);
            log_sum_exp(core::iter::once(positive).chain((0..queue_rows).map(|j| dot(&unit_query, i, &unit_queue, j))).collect::<Vec<_>>().into_iter()) - positive
        })
        .collect();
    (losses.iter().sum::<f64>() / rows as f64, losses)
}

#[test]
fn moco_loss_and_gradient_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(93);
    for &(rows, queue_rows, depth, temperature) in &[(1usize, 1usize, 4usize, 0.07f32), (3, 5, 6, 0.07), (5, 9, 1, 0.5), (4, 7, 9, 0.01), (LOSS_BLOCK + 3, 2 * LOSS_BLOCK + 5, 3, 0.2)] {
        let (query, key, queue) = (rng.vector(rows * depth), rng.vector(rows * depth), rng.vector(queue_rows * depth));
        let wide = |values: &[f32]| values.iter().map(|&value| f64::from(value)).collect::<Vec<f64>>();
        let (query_wide, key_wide, queue_wide) = (wide(&query), wide(&key), wide(&queue));
        let (expected, expected_rows) = moco_reference(&query_wide, &key_wide, &queue_wide, rows, queue_rows, depth, f64::from(temperature));
        let mut row_losses = vec![0.0f64; rows];
        let mut gradient = vec![0.0f32; rows * depth];
        let mut scratch = vec![0.0f32; moco_scratch_len(rows, queue_rows, depth).unwrap()];
        moco_f32(&query, &key, &queue, rows, queue_rows, depth, temperature, &mut row_losses, Some(&mut gradient), &mut scratch).unwrap();
        let context = std::format!("rows {rows} queue {queue_rows} depth {depth} τ {temperature}");
        for (row, (actual, wanted)) in row_losses.iter().zip(&expected_rows).enumerate() {
            assert_close(*actual, *wanted, 1e-5 * wanted.abs().max(1.0), &std::format!("{context} row {row}"));
        }
        assert_close(row_losses.iter().sum::<f64>() / rows as f64, expected, 1e-5 * expected.abs().max(1e-3), &context);
        let indices: Vec<usize> = if rows > 8 { spread_indices(rows, depth) } else { (0..rows * depth).collect() };
        let numeric = finite_difference_at(&query_wide, &indices, |point| moco_reference(point, &key_wide, &queue_wide, rows, queue_rows, depth, f64::from(temperature)).0);
        let scale = gradient.iter().fold(1e-3f64, |best, &value| best.max(f64::from(value).abs()));
        for (position, &index) in indices.iter().enumerate() {
            assert_close(f64::from(gradient[index]), numeric[position], 1e-4 * scale, &std::format!("{context} gradient {index}"));
        }
        let mut again = vec![0.0f64; rows];
        moco_f32(&query, &key, &queue, rows, queue_rows, depth, temperature, &mut again, None, &mut scratch).unwrap();
        assert_eq!(again, row_losses, "{context}: losses with and without the gradient");
    }
    // A NaN in the key poisons everything; bad arguments are refused.
    let values = [1.0f32, 0.0, 0.0, 1.0];
    let mut row_losses = [0.0f64; 2];
    let mut gradient = [0.0f32; 4];
    let mut scratch = vec![0.0f32; moco_scratch_len(2, 2, 2).unwrap()];
    moco_f32(&values, &[f32::NAN, 0.0, 0.0, 1.0], &values, 2, 2, 2, 0.07, &mut row_losses, Some(&mut gradient), &mut scratch).unwrap();
    assert!(row_losses.iter().all(|loss| loss.is_nan()) && gradient.iter().all(|value| value.is_nan()));
    assert_eq!(moco_f32(&values, &values, &values, 2, 2, 2, 0.0, &mut row_losses, None, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(moco_f32(&values, &values, &[], 2, 0, 2, 0.07, &mut row_losses, None, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(moco_f32(&values, &values[..2], &values, 2, 2, 2, 0.07, &mut row_losses, None, &mut scratch), Err(KernelError::OutOfBounds));
}

#[test]
fn moco_scratch_does_not_grow_with_the_queue() {
    let small = moco_scratch_len(256, 512, 128).unwrap();
    let large = moco_scratch_len(256, 65_536, 128).unwrap();
    assert_eq!(small, large, "the queue is swept in tiles");
}

/// Naive float64 SupCon (`contrast_mode = 'all'`, one view per row): per anchor with a
/// positive, `−(τ/τ_base)·mean_p log(exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ))`, then the mean
/// over those anchors; `None` when no anchor has a positive.
fn supcon_reference(features: &[f64], rows: usize, depth: usize, labels: &[i32], temperature: f64, base_temperature: f64) -> Option<f64> {
    let unit = normalized_f64(features, rows, depth);
    let logit = |i: usize, j: usize| (0..depth).map(|k| unit[i * depth + k] * unit[j * depth + k]).sum::<f64>() / temperature;
    let mut total = 0.0;
    let mut anchors = 0usize;
    for i in 0..rows {
        let positives: Vec<usize> = (0..rows).filter(|&p| p != i && labels[p] == labels[i]).collect();
        if positives.is_empty() {
            continue;
        }
        let denominator = log_sum_exp((0..rows).filter(move |&a| a != i).map(move |a| logit(i, a)));
        let mean_log_probability = positives.iter().map(|&p| logit(i, p) - denominator).sum::<f64>() / positives.len() as f64;
        total += -(temperature / base_temperature) * mean_log_probability;
        anchors += 1;
    }
    (anchors > 0).then(|| total / anchors as f64)
}

/// Runs the kernel with fresh scratch: the loss and the gradient.
fn supcon_run(features: &[f32], rows: usize, depth: usize, labels: &[i32], temperature: f32, base_temperature: f32) -> Result<(f64, Vec<f32>), KernelError> {
    let mut gradient = vec![0.0f32; rows * depth];
    let mut scratch = vec![0.0f32; supcon_scratch_len(rows, depth).unwrap()];
    let mut wide = vec![0.0f64; supcon_wide_len(rows).unwrap()];
    let loss = supcon_f32(features, rows, depth, labels, temperature, base_temperature, Some(&mut gradient), &mut scratch, &mut wide)?;
    let without = supcon_f32(features, rows, depth, labels, temperature, base_temperature, None, &mut scratch, &mut wide)?;
    assert_eq!(without.to_bits(), loss.to_bits(), "the loss with and without the gradient");
    Ok((loss, gradient))
}

/// Checks the kernel against the float64 reference and its central differences at `indices`
/// (every entry when None).
fn supcon_check(features: &[f32], rows: usize, depth: usize, labels: &[i32], temperature: f32, base_temperature: f32, indices: Option<Vec<usize>>, context: &str) {
    let wide: Vec<f64> = features.iter().map(|&value| f64::from(value)).collect();
    let (tau, tau_base) = (f64::from(temperature), f64::from(base_temperature));
    let expected = supcon_reference(&wide, rows, depth, labels, tau, tau_base).expect("some anchor has a positive");
    let (loss, gradient) = supcon_run(features, rows, depth, labels, temperature, base_temperature).unwrap();
    // Float32 similarities carry ~6e-8 relative error, amplified by the logit scale 1/τ.
    let loss_tolerance = 1e-5 * expected.abs() + 1e-7 * (tau_base / tau).max(1.0) / tau_base.min(1.0);
    assert_close(loss, expected, loss_tolerance, context);
    let indices = indices.unwrap_or_else(|| (0..rows * depth).collect());
    let numeric = finite_difference_at(&wide, &indices, |point| supcon_reference(point, rows, depth, labels, tau, tau_base).unwrap());
    let scale = gradient.iter().fold(1e-3f64, |best, &value| best.max(f64::from(value).abs()));
    for (position, &index) in indices.iter().enumerate() {
        assert_close(f64::from(gradient[index]), numeric[position], 1e-4 * scale, &std::format!("{context} gradient {index}"));
    }
}

/// rows, depth, labels, τ, τ_base, what the case is about.
type SupConCase = (usize, usize, &'static [i32], f32, f32, &'static str);

#[test]
fn supcon_loss_and_gradient_match_float64_and_finite_differences() {
    let mut rng = TestRng::new(94);
    let cases: &[SupConCase] = &[
        (2, 3, &[5, 5], 0.07, 0.07, "N = 2, one pair: each anchor's only other row is its positive, loss 0"),
        (6, 5, &[0, 1, 0, 2, 1, 3], 0.07, 0.07, "two anchors without a positive (labels 2 and 3)"),
        (8, 9, &[4; 8], 0.1, 0.07, "all one label: every other row a positive"),
        (7, 4, &[0, 1, 2, 3, 4, 5, 0], 0.5, 1.0, "all distinct but one pair: two anchors count"),
        (5, 1, &[1, 1, 2, 2, 2], 0.07, 0.07, "D = 1: similarities ±1, gradient 0 through the normalisation"),
        (6, 33, &[-1, -1, -7, 3, -7, 3], 0.01, 0.07, "negative labels, τ = 0.01 (logits up to 100)"),
        (10, 6, &[2, 0, 1, 1, 2, 0, 0, 2, 1, 1], 1.0, 0.07, "three classes, τ = 1 against τ_base = 0.07"),
    ];
    for &(rows, depth, labels, temperature, base_temperature, note) in cases {
        let features = rng.vector(rows * depth);
        let context = std::format!("rows {rows} depth {depth} τ {temperature} τ_base {base_temperature} ({note})");
        supcon_check(&features, rows, depth, labels, temperature, base_temperature, None, &context);
    }
    // N = 2 with one label: the loss is 0 exactly (the positive is the whole denominator).
    let (loss, gradient) = supcon_run(&[1.0, 2.0, 3.0, -1.0, 0.5, 2.0], 2, 3, &[7, 7], 0.07, 0.07).unwrap();
    assert_eq!(loss, 0.0);
    assert!(gradient.iter().all(|value| value.abs() < 1e-6), "{gradient:?}");
}

#[test]
fn supcon_over_several_tiles_matches_float64_and_finite_differences() {
    let mut rng = TestRng::new(95);
    // 257 rows: a second row block of one row; 2·256 + 7: three blocks, an odd short last
    // one; classes spread across blocks, some labels alone (anchors without a positive).
    for &(rows, depth, classes, temperature) in &[(LOSS_BLOCK + 1, 4usize, 40u64, 0.07f32), (2 * LOSS_BLOCK + 7, 3, 150, 0.2)] {
        let features = rng.vector(rows * depth);
        let labels: Vec<i32> = (0..rows).map(|_| (rng.next_u64() % classes) as i32 - 20).collect();
        let mut indices = spread_indices(rows, depth);
        indices.extend([depth * (LOSS_BLOCK - 1), depth * LOSS_BLOCK + 1, rows * depth - 1]);
        let context = std::format!("rows {rows} depth {depth} classes {classes} τ {temperature}");
        supcon_check(&features, rows, depth, &labels, temperature, 0.07, Some(indices), &context);
    }
}

#[test]
fn supcon_is_independent_of_the_order_of_the_rows() {
    // A permutation moves pairs between tiles, across the diagonal and between row and column
    // roles: the loss stays (to rounding), the gradient rows move with their rows.
    let (rows, depth) = (LOSS_BLOCK + 40, 7);
    let mut rng = TestRng::new(96);
    let features = rng.vector(rows * depth);
    let labels: Vec<i32> = (0..rows).map(|_| (rng.next_u64() % 9) as i32).collect();
    let order: Vec<usize> = (0..rows).map(|row| (row * 97 + 13) % rows).collect();
    let permuted: Vec<f32> = order.iter().flat_map(|&row| features[row * depth..(row + 1) * depth].iter().copied()).collect();
    let permuted_labels: Vec<i32> = order.iter().map(|&row| labels[row]).collect();
    let (loss, gradient) = supcon_run(&features, rows, depth, &labels, 0.07, 0.07).unwrap();
    let (permuted_loss, permuted_gradient) = supcon_run(&permuted, rows, depth, &permuted_labels, 0.07, 0.07).unwrap();
    assert_close(permuted_loss, loss, 1e-6 * loss.abs(), "permuted loss");
    let scale = gradient.iter().fold(0.0f64, |best, &value| best.max(f64::from(value).abs()));
    for (position, &row) in order.iter().enumerate() {
        for k in 0..depth {
            let (moved, original) = (permuted_gradient[position * depth + k], gradient[row * depth + k]);
            assert_close(f64::from(moved), f64::from(original), 1e-5 * scale, &std::format!("row {row} → {position}, entry {k}"));
        }
    }
}

#[test]
fn supcon_errors_nan_and_scratch() {
    let features = TestRng::new(97).vector(4 * 3);
    let mut gradient = vec![9.0f32; 12];
    let mut scratch = vec![0.0f32; supcon_scratch_len(4, 3).unwrap()];
    let mut wide = vec![0.0f64; supcon_wide_len(4).unwrap()];
    // No anchor with a positive: an error, and the gradient is left as it was.
    let distinct = [3, -1, 0, 8];
    assert_eq!(supcon_f32(&features, 4, 3, &distinct, 0.07, 0.07, Some(&mut gradient), &mut scratch, &mut wide), Err(KernelError::InvalidArgument));
    assert!(gradient.iter().all(|&value| value == 9.0));
    let labels = [1, 2, 1, 2];
    let mut call = |features: &[f32], rows: usize, labels: &[i32], temperature: f32, base: f32, wide: &mut [f64]| {
        supcon_f32(features, rows, 3, labels, temperature, base, None, &mut scratch, wide)
    };
    assert_eq!(call(&features[..3], 1, &labels[..1], 0.07, 0.07, &mut wide), Err(KernelError::InvalidArgument));
    for bad in [0.0f32, -0.5, f32::NAN, f32::INFINITY] {
        assert_eq!(call(&features, 4, &labels, bad, 0.07, &mut wide), Err(KernelError::InvalidArgument), "τ {bad}");
        assert_eq!(call(&features, 4, &labels, 0.07, bad, &mut wide), Err(KernelError::InvalidArgument), "τ_base {bad}");
    }
    assert_eq!(call(&features, 4, &labels[..3], 0.07, 0.07, &mut wide), Err(KernelError::OutOfBounds));
    assert_eq!(call(&features[..11], 4, &labels, 0.07, 0.07, &mut wide), Err(KernelError::OutOfBounds));
    assert_eq!(call(&features, 4, &labels, 0.07, 0.07, &mut [0.0f64; 11]), Err(KernelError::OutOfBounds));
    let mut short = vec![0.0f32; 11];
    assert_eq!(supcon_f32(&features, 4, 3, &labels, 0.07, 0.07, Some(&mut short), &mut scratch, &mut wide), Err(KernelError::OutputLength));
    let mut small = vec![0.0f32; supcon_scratch_len(4, 3).unwrap() - 1];
    assert_eq!(supcon_f32(&features, 4, 3, &labels, 0.07, 0.07, None, &mut small, &mut wide), Err(KernelError::InvalidArgument));
    // A NaN anywhere: the loss and every gradient entry NaN.
    let mut poisoned = features.clone();
    poisoned[7] = f32::NAN;
    let loss = supcon_f32(&poisoned, 4, 3, &labels, 0.07, 0.07, Some(&mut gradient), &mut scratch, &mut wide).unwrap();
    assert!(loss.is_nan() && gradient.iter().all(|value| value.is_nan()));
    // A zero row: normalised to 0 (eps 1e-12), its similarities 0; finite loss and gradient.
    let mut zero_row = features.clone();
    zero_row[3..6].fill(0.0);
    let (loss, gradient) = supcon_run(&zero_row, 4, 3, &labels, 0.07, 0.07).unwrap();
    assert!(loss.is_finite() && gradient.iter().all(|value| value.is_finite()));
    // Scratch: one tile's worth plus one float per row, whatever N (never N × N).
    let tile = supcon_scratch_len(LOSS_BLOCK, 512).unwrap();
    assert_eq!(supcon_scratch_len(16_384, 512).unwrap(), tile + 16_384 - LOSS_BLOCK);
    assert_eq!(supcon_wide_len(16_384), Some(3 * 16_384));
}
