//! Deterministic random data and float64 references for the native tests.

use std::vec::Vec;

/// xorshift64*: small, seedable, good enough for test data.
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1), as f32.
    pub fn signed_f32(&mut self) -> f32 {
        (self.unit() * 2.0 - 1.0) as f32
    }

    pub fn vector(&mut self, length: usize) -> Vec<f32> {
        (0..length).map(|_| self.signed_f32()).collect()
    }
}

/// Cosine similarity of two equal-length vectors in float64, eps per norm.
pub fn cosine_reference_f64(first: &[f32], second: &[f32], eps: f64) -> f64 {
    let mut dot = 0.0f64;
    let mut first_squared = 0.0f64;
    let mut second_squared = 0.0f64;
    for (&left, &right) in first.iter().zip(second) {
        let (left, right) = (f64::from(left), f64::from(right));
        dot += left * right;
        first_squared += left * left;
        second_squared += right * right;
    }
    let first_norm = first_squared.sqrt();
    let second_norm = second_squared.sqrt();
    let first_norm = if first_norm < eps { eps } else { first_norm };
    let second_norm = if second_norm < eps { eps } else { second_norm };
    dot / (first_norm * second_norm)
}

/// Asserts |actual − expected| ≤ tolerance, treating NaN as equal only to NaN.
pub fn assert_close(actual: f64, expected: f64, tolerance: f64, context: &str) {
    if expected.is_nan() {
        assert!(actual.is_nan(), "{context}: expected NaN, got {actual}");
        return;
    }
    assert!((actual - expected).abs() <= tolerance, "{context}: got {actual}, expected {expected} (tolerance {tolerance})");
}
