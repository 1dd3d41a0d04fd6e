//! The blocked lane kernels of the quantised scores, written once over [`I8x16`],
//! [`F16x8`] and [`F32x4`]: int8/uint8 dot products and squared norms (several queries
//! against one corpus row, or one query against several rows),
//! Hamming distances of bit rows, and float16 dot products and norms in a fixed even/odd
//! order. See the Numerics of [`super::score`] for what each computes and why the results
//! do not depend on the blocking.

use crate::lanes::{F16x8, F32x4, HALF_REBIAS, I8x16, half_rebias_bits};

/// Codes per lane chunk.
pub const CODE_CHUNK: usize = 16;
/// Bytes of one widened chunk (sixteen i16).
pub const WIDE_CHUNK_BYTES: usize = 32;
/// Bit-row chunks counted into u8 lanes before they are flushed to i32 (31 · 8 ≤ 255).
const POPCOUNT_FLUSH_CHUNKS: usize = 31;
/// Halves per float16 step (one even and one odd quad).
pub const HALF_GROUP: usize = 8;

/// The value a stored code stands for: the i8 itself, or `u − 128` for uint8 (`flip`).
#[inline(always)]
pub fn code_value(byte: u8, flip: bool) -> i32 {
    if flip { i32::from(byte) - 128 } else { i32::from(byte as i8) }
}

#[inline(always)]
fn load_codes<V: I8x16, const FLIP: bool>(chunk: &[u8; CODE_CHUNK]) -> V {
    let codes = V::load(chunk);
    if FLIP { codes.xor(V::splat(0x80)) } else { codes }
}

/// `Σ code(first[t])·code(second[t])` over the elements after the last whole chunk.
#[inline(always)]
fn tail_dot(first: &[u8], second: &[u8], flip: bool) -> i32 {
    let start = first.len() / CODE_CHUNK * CODE_CHUNK;
    first[start..].iter().zip(&second[start..]).map(|(&left, &right)| code_value(left, flip) * code_value(right, flip)).sum()
}

/// The totals of `N` accumulators, four at a time.
#[inline(always)]
fn reduce_sums<V: I8x16, const N: usize>(sums: [V::Sums; N]) -> [i32; N] {
    let mut totals = [0i32; N];
    let mut start = 0;
    while start < N {
        let count = (N - start).min(4);
        let mut four = [V::zero_sums(); 4];
        four[..count].copy_from_slice(&sums[start..start + count]);
        let reduced = V::sum4(four);
        totals[start..start + count].copy_from_slice(&reduced[..count]);
        start += 4;
    }
    totals
}

/// Writes the whole chunks of a row of codes widened to i16 (as values: uint8 shifted by
/// −128), [`WIDE_CHUNK_BYTES`] bytes per chunk, into `out` (at least that many bytes).
pub fn widen_codes<V: I8x16, const FLIP: bool>(row: &[u8], out: &mut [u8]) {
    let (chunks, _) = row.as_chunks::<CODE_CHUNK>();
    let (slots, _) = out.as_chunks_mut::<WIDE_CHUNK_BYTES>();
    for (chunk, slot) in chunks.iter().zip(slots) {
        V::store_wide(load_codes::<V, FLIP>(chunk).widen(), slot);
    }
}

/// `Σ code²` of one row.
pub fn codes_squared_norm<V: I8x16, const FLIP: bool>(row: &[u8]) -> i32 {
    let (chunks, _) = row.as_chunks::<CODE_CHUNK>();
    let mut sums = [V::zero_sums(); 2];
    let mut pairs = chunks.chunks_exact(2);
    for pair in &mut pairs {
        for (sum, chunk) in sums.iter_mut().zip(pair) {
            let wide = load_codes::<V, FLIP>(chunk).widen();
            *sum = V::dot_add(*sum, wide, wide);
        }
    }
    for chunk in pairs.remainder() {
        let wide = load_codes::<V, FLIP>(chunk).widen();
        sums[0] = V::dot_add(sums[0], wide, wide);
    }
    let [first, second] = reduce_sums::<V, 2>(sums);
    first + second + tail_dot(row, row, FLIP)
}

/// Dot products of `QUERIES` query rows with one corpus row: `query_codes[j]` is query
/// `j`'s stored row (its tail is read from it), `query_wide[j]` its widened whole chunks
/// ([`widen_codes`]). The corpus row is loaded and widened once per chunk for all queries.
///
/// The loop walks raw pointers (no bounds check per load, which V8 cannot hoist and which
/// made TurboFan spill the accumulators); the step count is the smallest whole-chunk count
/// of the operands, which the callers make equal.
#[inline(always)]
pub fn codes_dot_queries<V: I8x16, const FLIP: bool, const QUERIES: usize>(query_codes: [&[u8]; QUERIES], query_wide: [&[u8]; QUERIES], row: &[u8]) -> [i32; QUERIES] {
    let (chunks, _) = row.as_chunks::<CODE_CHUNK>();
    let wides = query_wide.map(|wide| wide.as_chunks::<WIDE_CHUNK_BYTES>().0);
    let steps = wides.iter().fold(chunks.len(), |steps, wide| steps.min(wide.len()));
    let mut sums = [V::zero_sums(); QUERIES];
    let mut row_next: *const [u8; CODE_CHUNK] = chunks.as_ptr();
    let mut query_next: [*const [u8; WIDE_CHUNK_BYTES]; QUERIES] = wides.map(<[[u8; WIDE_CHUNK_BYTES]]>::as_ptr);
    for _ in 0..steps {
        // SAFETY: the loop runs `steps` times, at most the whole-chunk count of the row and
        // of every query, and each pointer advances one chunk per iteration, so each points
        // at a whole chunk inside its slice here.
        let corpus = load_codes::<V, FLIP>(unsafe { &*row_next }).widen();
        for query in 0..QUERIES {
            // SAFETY: as above.
            sums[query] = V::dot_add(sums[query], corpus, V::load_wide(unsafe { &*query_next[query] }));
        }
        // SAFETY: after the last step each pointer is one past its last chunk, inside the
        // slice or one past its end: `add` stays in bounds.
        unsafe {
            row_next = row_next.add(1);
            for pointer in query_next.iter_mut() {
                *pointer = pointer.add(1);
            }
        }
    }
    let mut totals = reduce_sums::<V, QUERIES>(sums);
    for query in 0..QUERIES {
        totals[query] += tail_dot(query_codes[query], row, FLIP);
    }
    totals
}


/// One query against `ROWS` corpus rows, dot products only (the row norms come from a
/// cache or from [`codes_squared_norm`]): the accumulation of [`codes_dot_queries`] with
/// the roles of query and row swapped, so both give the same (exact) dots. Raw pointer walk
/// as [`codes_dot_queries`].
#[inline(always)]
pub fn codes_dot_rows<V: I8x16, const FLIP: bool, const ROWS: usize>(query_codes: &[u8], query_wide: &[u8], rows: [&[u8]; ROWS]) -> [i32; ROWS] {
    let wide_chunks = query_wide.as_chunks::<WIDE_CHUNK_BYTES>().0;
    let row_chunks = rows.map(|row| row.as_chunks::<CODE_CHUNK>().0);
    let steps = row_chunks.iter().fold(wide_chunks.len(), |steps, chunks| steps.min(chunks.len()));
    let mut dots = [V::zero_sums(); ROWS];
    let mut query_next: *const [u8; WIDE_CHUNK_BYTES] = wide_chunks.as_ptr();
    let mut row_next: [*const [u8; CODE_CHUNK]; ROWS] = row_chunks.map(<[[u8; CODE_CHUNK]]>::as_ptr);
    for _ in 0..steps {
        // SAFETY: `steps` is at most the whole-chunk count of the query and of every row,
        // one chunk per iteration, so each pointer is at a whole chunk inside its slice.
        let query = V::load_wide(unsafe { &*query_next });
        for row in 0..ROWS {
            // SAFETY: as above.
            let corpus = load_codes::<V, FLIP>(unsafe { &*row_next[row] }).widen();
            dots[row] = V::dot_add(dots[row], corpus, query);
        }
        // SAFETY: one past the last chunk at most: `add` stays in bounds.
        unsafe {
            query_next = query_next.add(1);
            for pointer in row_next.iter_mut() {
                *pointer = pointer.add(1);
            }
        }
    }
    let mut dot_totals = reduce_sums::<V, ROWS>(dots);
    for row in 0..ROWS {
        dot_totals[row] += tail_dot(query_codes, rows[row], FLIP);
    }
    dot_totals
}

/// Hamming distances of `PAIRS` pairs of bit rows of equal length (`lefts[p]` with
/// `rights[p]`). Sixteen bytes per step, counted per byte lane (`i8x16.popcnt` of the XOR)
/// and flushed to i32 every 31 steps; the last `len % 16` bytes are counted in scalar.
/// Raw pointer walk as [`codes_dot_queries`].
#[inline(always)]
pub fn hamming_pairs<V: I8x16, const PAIRS: usize>(lefts: [&[u8]; PAIRS], rights: [&[u8]; PAIRS]) -> [u32; PAIRS] {
    let left_chunks = lefts.map(|row| row.as_chunks::<CODE_CHUNK>().0);
    let right_chunks = rights.map(|row| row.as_chunks::<CODE_CHUNK>().0);
    let steps = left_chunks.iter().chain(&right_chunks).fold(usize::MAX, |steps, chunks| steps.min(chunks.len()));
    let steps = if PAIRS == 0 { 0 } else { steps };
    let mut left_next: [*const [u8; CODE_CHUNK]; PAIRS] = left_chunks.map(<[[u8; CODE_CHUNK]]>::as_ptr);
    let mut right_next: [*const [u8; CODE_CHUNK]; PAIRS] = right_chunks.map(<[[u8; CODE_CHUNK]]>::as_ptr);
    let mut totals = [0u32; PAIRS];
    let mut done = 0;
    while done < steps {
        let run = (steps - done).min(POPCOUNT_FLUSH_CHUNKS);
        let mut counts = [V::splat(0); PAIRS];
        for _ in 0..run {
            for pair in 0..PAIRS {
                // SAFETY: at most `steps` iterations in all, `steps` being the smallest
                // whole-chunk count of the rows, one chunk per iteration per pointer, so
                // both pointers are at whole chunks inside their slices.
                let (left, right) = unsafe { (V::load(&*left_next[pair]), V::load(&*right_next[pair])) };
                counts[pair] = V::xor_popcount_add(counts[pair], left, right);
                // SAFETY: one past the last chunk at most: `add` stays in bounds.
                unsafe {
                    left_next[pair] = left_next[pair].add(1);
                    right_next[pair] = right_next[pair].add(1);
                }
            }
        }
        let mut first = 0;
        while first < PAIRS {
            let count = (PAIRS - first).min(4);
            let mut four = [V::splat(0); 4];
            four[..count].copy_from_slice(&counts[first..first + count]);
            let sums = V::byte_sum4(four);
            for lane in 0..count {
                totals[first + lane] += sums[lane] as u32;
            }
            first += 4;
        }
        done += run;
    }
    for pair in 0..PAIRS {
        let tail_start = steps * CODE_CHUNK;
        let tail = lefts[pair][tail_start.min(lefts[pair].len())..].iter().zip(&rights[pair][tail_start.min(rights[pair].len())..]);
        totals[pair] += tail.map(|(&left, &right)| (left ^ right).count_ones()).sum::<u32>();
    }
    totals
}

/// Hamming distances of four pairs of bit rows of equal length, eight bytes at a time
/// with scalar `i64.popcnt` (one instruction per word on x86-64 and Arm), then the last
/// `len % 8` bytes one by one. Exact, like [`hamming_pairs`], and faster in V8: its
/// `i8x16.popcnt` is a nibble-table sequence of about eight instructions plus two constant
/// loads, and the per-pair byte-lane reduction costs as much again for short rows.
///
/// Written with named scalars and a compiler-only barrier per step (no instruction is
/// emitted): without it LLVM's loop vectoriser pairs the words into v128 loads whose lanes
/// it extracts again for `popcnt`, and with arrays instead of named scalars the totals
/// stayed in linear memory; both measured 1.5–2× slower in V8.
#[inline(always)]
pub fn hamming_words4(lefts: [&[u8]; 4], rights: [&[u8]; 4]) -> [u32; 4] {
    let words = |row: &[u8]| row.len() / 8;
    let steps = lefts.iter().chain(&rights).fold(usize::MAX, |steps, row| steps.min(words(row)));
    let (mut l0, mut l1, mut l2, mut l3) = (lefts[0].as_ptr(), lefts[1].as_ptr(), lefts[2].as_ptr(), lefts[3].as_ptr());
    let (mut r0, mut r1, mut r2, mut r3) = (rights[0].as_ptr(), rights[1].as_ptr(), rights[2].as_ptr(), rights[3].as_ptr());
    let (mut t0, mut t1, mut t2, mut t3) = (0u32, 0u32, 0u32, 0u32);
    let word = |pointer: *const u8| {
        // SAFETY: each pointer is at word `i < steps` of its row (see the loop), `steps`
        // being the smallest whole-word count of the eight rows, so 8 bytes are readable;
        // `read_unaligned` has no alignment requirement.
        unsafe { pointer.cast::<u64>().read_unaligned() }
    };
    for _ in 0..steps {
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        t0 += (word(l0) ^ word(r0)).count_ones();
        t1 += (word(l1) ^ word(r1)).count_ones();
        t2 += (word(l2) ^ word(r2)).count_ones();
        t3 += (word(l3) ^ word(r3)).count_ones();
        // SAFETY: one past the last word at most: `add` stays in bounds.
        unsafe {
            (l0, l1, l2, l3) = (l0.add(8), l1.add(8), l2.add(8), l3.add(8));
            (r0, r1, r2, r3) = (r0.add(8), r1.add(8), r2.add(8), r3.add(8));
        }
    }
    let mut totals = [t0, t1, t2, t3];
    let tail_start = steps * 8;
    for pair in 0..4 {
        let tail = lefts[pair][tail_start.min(lefts[pair].len())..].iter().zip(&rights[pair][tail_start.min(rights[pair].len())..]);
        totals[pair] += tail.map(|(&left, &right)| (left ^ right).count_ones()).sum::<u32>();
    }
    totals
}

/// Bytes of one bit-row word.
pub const BIT_WORD_BYTES: usize = 8;

/// Writes the whole 8-byte words of `ROWS` bit rows of equal length interleaved — word `w`
/// of row 0, of row 1, …, then word `w + 1` — into `out`, which holds at least
/// `ROWS · 8 · (len / 8)` bytes; the last `len % 8` bytes of each row are not copied.
pub fn interleave_words<const ROWS: usize>(rows: [&[u8]; ROWS], out: &mut [u8]) {
    let words = rows.iter().fold(usize::MAX, |words, row| words.min(row.len() / BIT_WORD_BYTES));
    let (slots, _) = out.as_chunks_mut::<BIT_WORD_BYTES>();
    for word in 0..words {
        for (member, row) in rows.iter().enumerate() {
            slots[ROWS * word + member].copy_from_slice(&row[word * BIT_WORD_BYTES..(word + 1) * BIT_WORD_BYTES]);
        }
    }
}

/// Hamming distances of `QUERIES` query bit rows with one corpus row: `interleaved` holds
/// the queries' whole words as [`interleave_words`] writes them, `queries` the rows
/// themselves (for the last `len % 8` bytes). Each corpus word is loaded once and XORed
/// with the query words at constant offsets from one pointer (so V8 keeps one query
/// pointer, one row pointer and the totals in registers), counted with scalar
/// `i64.popcnt`; exact, the same distances as [`hamming_words4`]. A compiler-only barrier
/// per step keeps LLVM from vectorising the loop (as in [`hamming_words4`]).
#[inline(always)]
pub fn hamming_interleaved<const QUERIES: usize>(interleaved: &[u8], queries: [&[u8]; QUERIES], row: &[u8]) -> [u32; QUERIES] {
    let stride = QUERIES * BIT_WORD_BYTES;
    let steps = if QUERIES == 0 { 0 } else { (interleaved.len() / stride).min(row.len() / BIT_WORD_BYTES) };
    let mut query_next = interleaved.as_ptr();
    let mut row_next = row.as_ptr();
    let mut totals = [0u32; QUERIES];
    let word = |pointer: *const u8, offset: usize| {
        // SAFETY: at step `i < steps`, `query_next` is at byte `stride·i` of `interleaved`
        // (which holds at least `stride·steps` bytes) and `offset` < `stride` is a multiple
        // of 8, and `row_next` at byte 8·i of `row` (at least 8·steps bytes): 8 readable
        // bytes either way; `read_unaligned` has no alignment requirement.
        unsafe { pointer.add(offset).cast::<u64>().read_unaligned() }
    };
    for _ in 0..steps {
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        let corpus = word(row_next, 0);
        for (member, total) in totals.iter_mut().enumerate() {
            // A barrier per member too: without it LLVM's SLP vectoriser packs members'
            // words into v128 lanes and extracts them again for `popcnt`.
            core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
            *total += (word(query_next, member * BIT_WORD_BYTES) ^ corpus).count_ones();
        }
        // SAFETY: one past the last word at most: `add` stays in bounds.
        unsafe {
            query_next = query_next.add(stride);
            row_next = row_next.add(BIT_WORD_BYTES);
        }
    }
    let tail_start = steps * BIT_WORD_BYTES;
    for (total, query) in totals.iter_mut().zip(queries) {
        let tail = query[tail_start.min(query.len())..].iter().zip(&row[tail_start.min(row.len())..]);
        *total += tail.map(|(&left, &right)| (left ^ right).count_ones()).sum::<u32>();
    }
    totals
}

/// The Hamming distance of one pair of bit rows, as [`hamming_words4`].
#[inline(always)]
pub fn hamming_words1(left: &[u8], right: &[u8]) -> u32 {
    let length = left.len().min(right.len());
    let (words, _) = left[..length].as_chunks::<8>();
    let (right_words, _) = right[..length].as_chunks::<8>();
    let mut total = 0u32;
    for (left_word, right_word) in words.iter().zip(right_words) {
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        total += (u64::from_ne_bytes(*left_word) ^ u64::from_ne_bytes(*right_word)).count_ones();
    }
    let tail_start = words.len() * 8;
    total + left[tail_start..length].iter().zip(&right[tail_start..length]).map(|(&left, &right)| (left ^ right).count_ones()).sum::<u32>()
}

/// The float32 value of an IEEE binary16 (bit manipulation only; exact, ±∞ and NaN kept,
/// NaN payloads moved to the top of the f32 mantissa).
#[inline]
pub fn f32_from_f16_bits(half: u16) -> f32 {
    if half & 0x7C00 == 0x7C00 {
        f32::from_bits(((u32::from(half) & 0x8000) << 16) | 0x7F80_0000 | ((u32::from(half) & 0x03FF) << 13))
    } else {
        f32::from_bits(half_rebias_bits(half)) * HALF_REBIAS
    }
}

/// Reorders float32 values into the float16 kernels' order: within each group of eight,
/// the four even positions then the four odd ones; the last `len % 8` values unchanged.
pub fn permute_even_odd(values: &[f32], out: &mut [f32]) {
    let (groups, tail) = values.as_chunks::<HALF_GROUP>();
    let (out_groups, out_tail) = out[..values.len()].as_chunks_mut::<HALF_GROUP>();
    for (group, slot) in groups.iter().zip(out_groups) {
        for lane in 0..4 {
            slot[lane] = group[2 * lane];
            slot[4 + lane] = group[2 * lane + 1];
        }
    }
    out_tail.copy_from_slice(tail);
}

/// Float32 sums over a float16 row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HalfRowSums {
    /// `Σ query·row` (0 where no query is involved).
    pub dot: f32,
    /// `Σ row²`.
    pub squared: f32,
    /// Whether the row holds a half with exponent 31 (±∞ or NaN).
    pub non_finite: bool,
}

#[inline(always)]
fn even_odd_quads(group: &[f32; HALF_GROUP]) -> (&[f32; 4], &[f32; 4]) {
    let (quads, _) = group.as_chunks::<4>();
    (&quads[0], &quads[1])
}

/// The value of a half times 2⁻¹¹² (its f32 bits before the rebias; exact).
#[inline(always)]
pub fn f32_from_f16_bits_unscaled(half: u16) -> f32 {
    f32::from_bits(half_rebias_bits(half))
}


/// Dot products of one permuted float32 query, pre-scaled by 2¹¹² (see
/// [`super::super::topk`]), with `ROWS` float16 rows decoded in registers without their
/// rebias: per row an even and an odd accumulator (`query.mul_add(row, accumulator)`),
/// combined as `(even + odd).reduce_sum()`, then the tail in scalar order — exactly the
/// accumulation of [`f32_dot_even_odd`] over a row decoded by [`half_decode_row`]
/// (unscaled), so both give the same dots bit for bit. The norms come from a cache or from
/// [`half_row_sums`].
#[inline(always)]
pub fn half_dot_rows<H: F16x8, const ROWS: usize>(query_permuted: &[f32], rows: [&[u16]; ROWS]) -> [f32; ROWS] {
    let (query_groups, query_tail) = query_permuted.as_chunks::<HALF_GROUP>();
    let row_groups = rows.map(|row| &row.as_chunks::<HALF_GROUP>().0[..query_groups.len()]);
    let mut dots = [[H::Float::zero(); 2]; ROWS];
    for (index, group) in query_groups.iter().enumerate() {
        let (even, odd) = even_odd_quads(group);
        let (query_even, query_odd) = (H::Float::load(even), H::Float::load(odd));
        for row in 0..ROWS {
            let [row_even, row_odd] = H::load(&row_groups[row][index]).decode_even_odd_unscaled();
            dots[row][0] = query_even.mul_add(row_even, dots[row][0]);
            dots[row][1] = query_odd.mul_add(row_odd, dots[row][1]);
        }
    }
    let tail_start = query_groups.len() * HALF_GROUP;
    core::array::from_fn(|row| {
        let mut dot = dots[row][0].add(dots[row][1]).reduce_sum();
        for (&query, &half) in query_tail.iter().zip(&rows[row][tail_start..]) {
            dot += query * f32_from_f16_bits_unscaled(half);
        }
        dot
    })
}

/// Decodes a float16 row into `out` in the permuted order of [`permute_even_odd`] and
/// returns its squared norm (`dot` 0), by exactly the operations of [`half_row_sums`], so
/// both give the same norm bit for bit. `UNSCALED`: `out`
/// gets the values times 2⁻¹¹² (for dots with a pre-scaled query); the norm is that of
/// the values either way.
pub fn half_decode_row<H: F16x8, const UNSCALED: bool>(row: &[u16], out: &mut [f32]) -> HalfRowSums {
    let (groups, tail) = row.as_chunks::<HALF_GROUP>();
    let (out_groups, out_tail) = out[..row.len()].as_chunks_mut::<HALF_GROUP>();
    let rebias = H::Float::splat(HALF_REBIAS);
    let mut squares = [H::Float::zero(); 2];
    let mut flags = H::no_flags();
    for (group, slot) in groups.iter().zip(out_groups) {
        let halves = H::load(group);
        flags = halves.track_non_finite(flags);
        let [even_unscaled, odd_unscaled] = halves.decode_even_odd_unscaled();
        let (even, odd) = (even_unscaled.mul(rebias), odd_unscaled.mul(rebias));
        squares[0] = even.mul_add(even, squares[0]);
        squares[1] = odd.mul_add(odd, squares[1]);
        let (quads, _) = slot.as_chunks_mut::<4>();
        if UNSCALED {
            even_unscaled.store(&mut quads[0]);
            odd_unscaled.store(&mut quads[1]);
        } else {
            even.store(&mut quads[0]);
            odd.store(&mut quads[1]);
        }
    }
    let mut sums = HalfRowSums { dot: 0.0, squared: squares[0].add(squares[1]).reduce_sum(), non_finite: H::any_non_finite(flags) };
    for (&half, slot) in tail.iter().zip(out_tail) {
        let value = f32_from_f16_bits(half);
        sums.non_finite |= !value.is_finite();
        sums.squared += value * value;
        *slot = if UNSCALED { f32_from_f16_bits_unscaled(half) } else { value };
    }
    sums
}

/// The squared norm of a float16 row (and whether it holds ±∞ or NaN): float32 sums of the
/// values (unscaled decode times 2¹¹²) with an even and an odd accumulator, combined as
/// `(even + odd).reduce_sum()`, then the tail in order; the operations of
/// [`half_decode_row`], writing nothing.
pub fn half_row_sums<H: F16x8>(row: &[u16]) -> HalfRowSums {
    let (groups, tail) = row.as_chunks::<HALF_GROUP>();
    let rebias = H::Float::splat(HALF_REBIAS);
    let mut squares = [H::Float::zero(); 2];
    let mut flags = H::no_flags();
    for group in groups {
        let halves = H::load(group);
        flags = halves.track_non_finite(flags);
        let [even, odd] = halves.decode_even_odd_unscaled().map(|values| values.mul(rebias));
        squares[0] = even.mul_add(even, squares[0]);
        squares[1] = odd.mul_add(odd, squares[1]);
    }
    let mut sums = HalfRowSums { dot: 0.0, squared: squares[0].add(squares[1]).reduce_sum(), non_finite: H::any_non_finite(flags) };
    for &half in tail {
        let value = f32_from_f16_bits(half);
        sums.non_finite |= !value.is_finite();
        sums.squared += value * value;
    }
    sums
}

/// Dot products of `QUERIES` permuted float32 rows with one permuted float32 row (a
/// decoded float16 row): the accumulation of [`half_dot_rows`] (`query.mul_add(row, even or
/// odd accumulator)`, combined the same way, tail in scalar order), so the same pair gives
/// the same dot bit for bit.
#[inline(always)]
pub fn f32_dot_even_odd<V: F32x4, const QUERIES: usize>(queries: [&[f32]; QUERIES], row: &[f32]) -> [f32; QUERIES] {
    let (row_groups, row_tail) = row.as_chunks::<HALF_GROUP>();
    let query_groups = queries.map(|query| &query.as_chunks::<HALF_GROUP>().0[..row_groups.len()]);
    let mut dots = [[V::zero(); 2]; QUERIES];
    for (index, group) in row_groups.iter().enumerate() {
        let (even, odd) = even_odd_quads(group);
        let (row_even, row_odd) = (V::load(even), V::load(odd));
        for query in 0..QUERIES {
            let (query_even, query_odd) = even_odd_quads(&query_groups[query][index]);
            dots[query][0] = V::load(query_even).mul_add(row_even, dots[query][0]);
            dots[query][1] = V::load(query_odd).mul_add(row_odd, dots[query][1]);
        }
    }
    let tail_start = row_groups.len() * HALF_GROUP;
    core::array::from_fn(|query| {
        let mut dot = dots[query][0].add(dots[query][1]).reduce_sum();
        for (&left, &right) in queries[query][tail_start..].iter().zip(row_tail) {
            dot += left * right;
        }
        dot
    })
}
