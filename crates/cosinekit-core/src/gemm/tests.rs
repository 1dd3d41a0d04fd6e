use super::*;
use crate::lanes::Portable;
use crate::test_support::{TestRng, assert_close};
use std::vec;
use std::vec::Vec;

/// Naive float64 `A·Bᵀ` of row-major A [n×d] and B [m×d].
fn product_reference(a: &[f32], b: &[f32], n: usize, m: usize, d: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; n * m];
    for i in 0..n {
        for j in 0..m {
            out[i * m + j] = (0..d).map(|k| f64::from(a[i * d + k]) * f64::from(b[j * d + k])).sum();
        }
    }
    out
}

fn pack_plain(source: &[f32], rows: usize, depth: usize, width: usize) -> Vec<f32> {
    let mut packed = vec![f32::NAN; packed_len(rows, depth, width).unwrap()];
    pack_strided(source, rows, depth, depth, 1, width, None, &mut packed);
    packed
}

#[test]
fn packed_product_matches_float64_for_odd_sizes() {
    let mut rng = TestRng::new(50);
    for &(n, m, d) in &[(1, 1, 1), (3, 5, 7), (4, 8, 16), (5, 9, 17), (13, 31, 67), (67, 33, 1), (9, 300, 40), (70, 17, 700)] {
        let a = rng.vector(n * d);
        let b = rng.vector(m * d);
        let packed_a = pack_plain(&a, n, d, TILE_ROWS);
        let packed_b = pack_plain(&b, m, d, TILE_COLUMNS);
        let stride = m + 3;
        let mut out = vec![-7.0f32; n * stride];
        multiply_packed::<Portable>(&packed_a, n, &packed_b, m, d, &mut out, stride, false);
        let expected = product_reference(&a, &b, n, m, d);
        for i in 0..n {
            for j in 0..m {
                let tolerance = 1e-6 * (d as f64).sqrt() * 4.0;
                assert_close(f64::from(out[i * stride + j]), expected[i * m + j], tolerance, &std::format!("{n}x{m}x{d} [{i},{j}]"));
            }
            assert_eq!(&out[i * stride + m..(i + 1) * stride], &[-7.0; 3], "padding columns untouched");
        }
        // accumulate = true adds the same product again.
        multiply_packed::<Portable>(&packed_a, n, &packed_b, m, d, &mut out, stride, true);
        for i in 0..n {
            for j in 0..m {
                assert_close(f64::from(out[i * stride + j]), 2.0 * expected[i * m + j], 1e-5 * (d as f64).sqrt(), "accumulate");
            }
        }
    }
}

#[test]
fn transposed_packing_gives_the_plain_product() {
    // (G·Z) with Z [k×d] packed as the rows of Zᵀ: row j of Zᵀ = column j of Z.
    let mut rng = TestRng::new(51);
    let (n, k, d) = (6, 9, 11);
    let g = rng.vector(n * k);
    let z = rng.vector(k * d);
    let scales: Vec<f32> = (0..d).map(|column| 0.5 + column as f32).collect();
    let packed_g = pack_plain(&g, n, k, TILE_ROWS);
    let mut packed_zt = vec![0.0f32; packed_len(d, k, TILE_COLUMNS).unwrap()];
    pack_strided(&z, d, k, 1, d, TILE_COLUMNS, Some(&scales), &mut packed_zt);
    let mut out = vec![0.0f32; n * d];
    multiply_packed::<Portable>(&packed_g, n, &packed_zt, d, k, &mut out, d, false);
    for i in 0..n {
        for j in 0..d {
            let expected: f64 = (0..k).map(|step| f64::from(g[i * k + step]) * f64::from(z[step * d + j])).sum::<f64>() * f64::from(scales[j]);
            assert_close(f64::from(out[i * d + j]), expected, 1e-5, "G·Z");
        }
    }
}

#[test]
fn normalized_packing_scales_rows_and_rescues_extremes() {
    let rows: Vec<f32> = [vec![3.0f32, 4.0], vec![0.0, 0.0], vec![3e38, 3e38], vec![1e-30, 0.0], vec![f32::NAN, 1.0]].concat();
    let mut packed = vec![0.0f32; packed_len(5, 2, TILE_ROWS).unwrap()];
    pack_normalized_rows::<Portable>(&rows, 5, 2, 2, TILE_ROWS, 2.0, 1e-8, &mut packed);
    let value = |row: usize, step: usize| packed[(row / 4) * 2 * TILE_ROWS + step * TILE_ROWS + row % 4];
    assert_close(f64::from(value(0, 0)), 1.2, 1e-6, "3/5 · 2");
    assert_close(f64::from(value(0, 1)), 1.6, 1e-6, "4/5 · 2");
    assert_eq!((value(1, 0), value(1, 1)), (0.0, 0.0), "zero row");
    assert_close(f64::from(value(2, 0)), 2.0f64.sqrt(), 1e-6, "overflowing row normalised in float64");
    assert_close(f64::from(value(3, 0)), 2.0 * 1e-30 / 1e-8, 1e-28, "norm below eps is clamped");
    assert!(value(4, 0).is_nan() && value(4, 1).is_nan(), "NaN row");
    assert_eq!(value(5, 0), 0.0, "padding row");
}

#[test]
fn normalized_packing_matches_a_value_by_value_reference_bit_for_bit() {
    // The four-row lane path and the one-value path must write every slot, with the same
    // float32 product as `value * (scale · inverse norm)` value by value.
    let mut rng = TestRng::new(53);
    for &width in &[TILE_ROWS, TILE_COLUMNS] {
        for &(rows, depth, row_stride) in &[(1, 1, 1), (3, 3, 5), (4, 4, 4), (5, 5, 7), (8, 8, 8), (9, 17, 20), (13, 6, 6), (16, 33, 40)] {
            let mut source = rng.vector(rows * row_stride);
            if rows > 5 {
                source[2 * row_stride] = 3e38; // an overflowing row: its group falls back to float64 factors
                source[5 * row_stride..5 * row_stride + depth].fill(0.0); // a zero row
            }
            for &(scale, eps) in &[(1.0f32, 1e-8f32), (2.5, 0.0), (0.5, 10.0)] {
                let mut packed = vec![f32::NAN; packed_len(rows, depth, width).unwrap()];
                pack_normalized_rows::<Portable>(&source, rows, depth, row_stride, width, scale, eps, &mut packed);
                for (slot, &got) in packed.iter().enumerate() {
                    let (panel, within) = (slot / (width * depth), slot % (width * depth));
                    let (step, lane) = (within / width, within % width);
                    let row = panel * width + lane;
                    let expected = if row < rows {
                        let values = &source[row * row_stride..row * row_stride + depth];
                        values[step] * (scale * inverse_norm::<Portable>(values, eps))
                    } else {
                        0.0
                    };
                    assert_eq!(got.to_bits(), expected.to_bits(), "width {width}, {rows}x{depth}, scale {scale}, eps {eps}: row {row} step {step}");
                }
            }
        }
    }
}

#[test]
fn symmetric_product_equals_the_general_one_mirrored() {
    let mut rng = TestRng::new(52);
    for &(n, d) in &[(1, 3), (5, 7), (13, 40), (70, 300), (257, 33)] {
        let a = rng.vector(n * d);
        let packed_a = pack_plain(&a, n, d, TILE_ROWS);
        let packed_b = pack_plain(&a, n, d, TILE_COLUMNS);
        let mut general = vec![0.0f32; n * n];
        multiply_packed::<Portable>(&packed_a, n, &packed_b, n, d, &mut general, n, false);
        let stride = n + 2;
        let mut symmetric = vec![9.0f32; n * stride];
        multiply_packed_symmetric::<Portable>(&packed_a, &packed_b, n, d, &mut symmetric, stride);
        for i in 0..n {
            for j in 0..n {
                let expected = if j >= i { general[i * n + j] } else { general[j * n + i] };
                assert_eq!(symmetric[i * stride + j], expected, "{n}x{d} [{i},{j}]");
            }
            assert_eq!(&symmetric[i * stride + n..(i + 1) * stride], &[9.0, 9.0]);
        }
    }
}

/// The position independence of the module's Numerics: a product entry depends only on its
/// packed A row, its packed B row and the depth. Sub-products of rows packed from other
/// first rows (not panel-aligned), in other numbers (other panel neighbours, other
/// padding), reproduce the full product's entries bit for bit, with scales folded into A,
/// a zero row and a NaN row, on both sides of the depth-block threshold (1280 is one
/// block; 1281 and 2600 are blocks of 1024 added in order), as does the upper-only product
/// on and above its diagonal with more B rows than A rows.
#[test]
fn entries_depend_only_on_their_two_rows_not_on_their_position() {
    let mut rng = TestRng::new(53);
    for &(n, d) in &[(23, 5), (21, 1280), (21, 1281), (13, 2600)] {
        let mut rows = rng.vector(n * d);
        rows[4 * d..5 * d].fill(0.0);
        rows[9 * d + d / 2] = f32::NAN;
        for &scale in &[1.0f32, 1.0 / 0.07, -2.5] {
            let pack = |first: usize, count: usize, width: usize, scale: f32| {
                let mut packed = vec![f32::NAN; packed_len(count, d, width).unwrap()];
                pack_normalized_rows::<Portable>(&rows[first * d..(first + count) * d], count, d, d, width, scale, 1e-8, &mut packed);
                packed
            };
            let mut full = vec![0.0f32; n * n];
            multiply_packed::<Portable>(&pack(0, n, TILE_ROWS, scale), n, &pack(0, n, TILE_COLUMNS, 1.0), n, d, &mut full, n, false);
            for &(a_first, a_count, b_first, b_count) in &[(3, 5, 0, n), (1, 1, 3, 9), (n - 3, 3, 2, n - 2), (5, n - 5, 5, n - 5), (0, n, 11, 1)] {
                let mut part = vec![7.0f32; a_count * b_count];
                let (packed_a, packed_b) = (pack(a_first, a_count, TILE_ROWS, scale), pack(b_first, b_count, TILE_COLUMNS, 1.0));
                multiply_packed::<Portable>(&packed_a, a_count, &packed_b, b_count, d, &mut part, b_count, false);
                for i in 0..a_count {
                    for j in 0..b_count {
                        let (got, want) = (part[i * b_count + j], full[(a_first + i) * n + b_first + j]);
                        assert_eq!(got.to_bits(), want.to_bits(), "D {d} scale {scale}: rows {a_first}+{i} x {b_first}+{j}");
                    }
                }
            }
            // Upper only: A rows 6.., B rows 6.. (more of them), diagonal at j = i.
            let (first, a_count) = (6, 6);
            let b_count = n - first;
            let mut upper = vec![7.0f32; a_count * b_count];
            multiply_packed_upper::<Portable>(&pack(first, a_count, TILE_ROWS, scale), a_count, &pack(first, b_count, TILE_COLUMNS, 1.0), b_count, d, &mut upper, b_count);
            for i in 0..a_count {
                for j in i..b_count {
                    let (got, want) = (upper[i * b_count + j], full[(first + i) * n + first + j]);
                    assert_eq!(got.to_bits(), want.to_bits(), "upper D {d} scale {scale} [{i},{j}]");
                }
            }
            // With scale 1 the packed A and B rows are equal and the product is exactly
            // symmetric; otherwise `(s·âᵢ)·b̂ⱼ` and `(s·âⱼ)·b̂ᵢ` differ somewhere (which the
            // mirror of a symmetric product decides). Row 9 (NaN) is left out.
            let asymmetric = (0..n).any(|i| (0..n).any(|j| i != 9 && j != 9 && full[i * n + j].to_bits() != full[j * n + i].to_bits()));
            assert_eq!(asymmetric, scale != 1.0, "D {d} scale {scale}");
        }
    }
}
