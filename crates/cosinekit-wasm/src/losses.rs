//! C-ABI exports of the losses (`cosinekit_core::loss`): InfoNCE, CLIP, the cosine
//! embedding loss, SigLIP, the multiple negatives ranking loss, the cosine triplet loss,
//! MoCo and SupCon. Pointers are byte addresses; f32 regions 4-byte and
//! f64 regions 8-byte aligned; gradient pointers both 0 (no gradients) or both non-zero
//! (one alone is `AbiError::BadPointer`). Written regions may overlap neither each other
//! nor the inputs. Status: 0, a `KernelError` code, or an `AbiError` code.

use crate::check_disjoint;
use crate::raw::{AbiError, Region, status};
use cosinekit_core::KernelError;
use cosinekit_core::loss::{
    PairLayout, clip_f32, clip_scratch_len, cosine_embedding_f32, infonce_f32, infonce_scratch_len, moco_f32, moco_scratch_len, multiple_negatives_ranking_f32, ranking_scratch_len, siglip_f32, siglip_scratch_len, supcon_f32, supcon_scratch_len, supcon_wide_len,
    triplet_cosine_f32,
};

/// Both gradient regions, or two empty ones when both pointers are 0.
fn gradient_regions(first_pointer: usize, first_count: usize, second_pointer: usize, second_count: usize) -> Result<(bool, Region, Region), AbiError> {
    if first_pointer == 0 && second_pointer == 0 {
        return Ok((false, Region::of_f32(0, 0)?, Region::of_f32(0, 0)?));
    }
    Ok((true, Region::of_f32(first_pointer, first_count)?, Region::of_f32(second_pointer, second_count)?))
}

/// Floats of scratch `ck_infonce_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_infonce_scratch_floats(rows: usize, depth: usize) -> usize {
    infonce_scratch_len(rows, depth).unwrap_or(0)
}

/// NT-Xent over `features` `[rows, depth]`: per-row losses (f64) into `row_losses_pointer`;
/// when `gradient_pointer` ≠ 0, d(Σ row_weight·lossᵢ)/d features (f32 `[rows, depth]`).
/// `layout`: 0 interleaved, 1 halves.
#[unsafe(no_mangle)]
pub extern "C" fn ck_infonce_f32(
    features_pointer: usize,
    rows: usize,
    depth: usize,
    temperature: f32,
    layout: u32,
    row_weight: f64,
    row_losses_pointer: usize,
    gradient_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let layout = PairLayout::from_code(layout).map_err(KernelError::code)?;
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let features = Region::of_f32(features_pointer, count)?;
        let row_losses = Region::of_f64(row_losses_pointer, rows)?;
        let gradient = if gradient_pointer == 0 { None } else { Some(Region::of_f32(gradient_pointer, count)?) };
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        let empty = Region::of_f32(0, 0)?;
        check_disjoint(&[&row_losses, gradient.as_ref().unwrap_or(&empty), &scratch], &[&features])?;
        // SAFETY: every region was checked; the written ones (row losses, gradient, scratch)
        // overlap neither each other nor the features.
        let (features, row_losses, gradient, scratch) = unsafe {
            (features.as_f32_slice(), row_losses.as_f64_slice_mut(), gradient.map(|region| region.as_f32_slice_mut()), scratch.as_f32_slice_mut())
        };
        infonce_f32(features, rows, depth, temperature, layout, row_weight, row_losses, gradient, scratch).map_err(KernelError::code)
    })())
}

/// Floats of scratch `ck_clip_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_clip_scratch_floats(rows: usize, depth: usize) -> usize {
    clip_scratch_len(rows, depth).unwrap_or(0)
}

/// CLIP loss of `image`, `text` `[rows, depth]`: writes `[loss, d loss/d log scale]` (f64)
/// to `results_pointer`; when the gradient pointers are ≠ 0, d loss/d image and d loss/d
/// text (f32 `[rows, depth]`); both or neither (one alone is [`AbiError::BadPointer`]).
/// `wide_pointer`: f64 scratch of `3·rows`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_clip_f32(
    image_pointer: usize,
    text_pointer: usize,
    rows: usize,
    depth: usize,
    logit_scale: f32,
    image_gradient_pointer: usize,
    text_gradient_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
    wide_pointer: usize,
    results_pointer: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let image = Region::of_f32(image_pointer, count)?;
        let text = Region::of_f32(text_pointer, count)?;
        let with_gradients = image_gradient_pointer != 0 || text_gradient_pointer != 0;
        let empty = Region::of_f32(0, 0)?;
        let (image_gradient, text_gradient) = if with_gradients {
            (Region::of_f32(image_gradient_pointer, count)?, Region::of_f32(text_gradient_pointer, count)?)
        } else {
            (empty, empty)
        };
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        let wide = Region::of_f64(wide_pointer, rows.checked_mul(3).ok_or(AbiError::BadLength)?)?;
        let results = Region::of_f64(results_pointer, 2)?;
        check_disjoint(&[&image_gradient, &text_gradient, &scratch, &wide, &results], &[&image, &text])?;
        // SAFETY: every region was checked; the written ones overlap neither each other nor
        // the inputs.
        let (image, text, scratch, wide, results) =
            unsafe { (image.as_f32_slice(), text.as_f32_slice(), scratch.as_f32_slice_mut(), wide.as_f64_slice_mut(), results.as_f64_slice_mut()) };
        let gradients = if with_gradients {
            // SAFETY: as above; both gradient regions are disjoint from everything else.
            Some(unsafe { (image_gradient.as_f32_slice_mut(), text_gradient.as_f32_slice_mut()) })
        } else {
            None
        };
        let output = clip_f32(image, text, rows, depth, logit_scale, gradients, scratch, wide).map_err(KernelError::code)?;
        results[0] = output.loss;
        results[1] = output.gradient_log_scale;
        Ok(())
    })())
}

/// `nn.CosineEmbeddingLoss` per row of `first`, `second` `[rows, depth]` with `targets`
/// (f32, each ±1): per-row losses (f64) into `row_losses_pointer`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_cosine_embedding_f32(
    first_pointer: usize,
    second_pointer: usize,
    rows: usize,
    depth: usize,
    targets_pointer: usize,
    margin: f32,
    row_losses_pointer: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let first = Region::of_f32(first_pointer, count)?;
        let second = Region::of_f32(second_pointer, count)?;
        let targets = Region::of_f32(targets_pointer, rows)?;
        let row_losses = Region::of_f64(row_losses_pointer, rows)?;
        check_disjoint(&[&row_losses], &[&first, &second, &targets])?;
        // SAFETY: every region was checked; the only written one overlaps no input.
        let (first, second, targets, row_losses) =
            unsafe { (first.as_f32_slice(), second.as_f32_slice(), targets.as_f32_slice(), row_losses.as_f64_slice_mut()) };
        cosine_embedding_f32(first, second, rows, depth, targets, margin, row_losses).map_err(KernelError::code)
    })())
}

/// Floats of scratch `ck_siglip_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_siglip_scratch_floats(rows: usize, depth: usize) -> usize {
    siglip_scratch_len(rows, depth).unwrap_or(0)
}

/// SigLIP loss of `image`, `text` `[rows, depth]` with logits `logit_scale·ÎT̂ᵀ +
/// logit_bias`: writes `[loss, d loss/d log logit_scale, d loss/d logit_bias]` (f64) to
/// `results_pointer`; when the gradient pointers are ≠ 0, d loss/d image and d loss/d text
/// (f32 `[rows, depth]`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_siglip_f32(
    image_pointer: usize,
    text_pointer: usize,
    rows: usize,
    depth: usize,
    logit_scale: f32,
    logit_bias: f32,
    image_gradient_pointer: usize,
    text_gradient_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
    results_pointer: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let image = Region::of_f32(image_pointer, count)?;
        let text = Region::of_f32(text_pointer, count)?;
        let (with_gradients, image_gradient, text_gradient) = gradient_regions(image_gradient_pointer, count, text_gradient_pointer, count)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        let results = Region::of_f64(results_pointer, 3)?;
        check_disjoint(&[&image_gradient, &text_gradient, &scratch, &results], &[&image, &text])?;
        // SAFETY: every region was checked (aligned, inside memory, no overflow); the written
        // ones (scratch, results) overlap neither each other nor the inputs.
        let (image, text, scratch, results) = unsafe { (image.as_f32_slice(), text.as_f32_slice(), scratch.as_f32_slice_mut(), results.as_f64_slice_mut()) };
        let gradients = if with_gradients {
            // SAFETY: as above; both gradient regions are disjoint from everything else.
            Some(unsafe { (image_gradient.as_f32_slice_mut(), text_gradient.as_f32_slice_mut()) })
        } else {
            None
        };
        let output = siglip_f32(image, text, rows, depth, logit_scale, logit_bias, gradients, scratch).map_err(KernelError::code)?;
        results.copy_from_slice(&[output.loss, output.gradient_log_scale, output.gradient_bias]);
        Ok(())
    })())
}

/// Floats of scratch `ck_ranking_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_ranking_scratch_floats(anchor_rows: usize, candidate_rows: usize, depth: usize) -> usize {
    ranking_scratch_len(anchor_rows, candidate_rows, depth).unwrap_or(0)
}

/// Multiple negatives ranking loss of `anchors` `[anchor_rows, depth]` against
/// `candidates` `[candidate_rows ≥ anchor_rows, depth]` (scores `scale·cos`, positive of
/// anchor i = candidate i): per-anchor losses (f64) into `row_losses_pointer`; when the
/// gradient pointers are ≠ 0, d(mean loss)/d anchors and d(mean loss)/d candidates (f32).
#[unsafe(no_mangle)]
pub extern "C" fn ck_ranking_f32(
    anchors_pointer: usize,
    anchor_rows: usize,
    candidates_pointer: usize,
    candidate_rows: usize,
    depth: usize,
    scale: f32,
    row_losses_pointer: usize,
    anchor_gradient_pointer: usize,
    candidate_gradient_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let anchor_count = anchor_rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let candidate_count = candidate_rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let anchors = Region::of_f32(anchors_pointer, anchor_count)?;
        let candidates = Region::of_f32(candidates_pointer, candidate_count)?;
        let row_losses = Region::of_f64(row_losses_pointer, anchor_rows)?;
        let (with_gradients, anchor_gradient, candidate_gradient) =
            gradient_regions(anchor_gradient_pointer, anchor_count, candidate_gradient_pointer, candidate_count)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        check_disjoint(&[&row_losses, &anchor_gradient, &candidate_gradient, &scratch], &[&anchors, &candidates])?;
        // SAFETY: every region was checked; the written ones (row losses, scratch) overlap
        // neither each other nor the inputs.
        let (anchors, candidates, row_losses, scratch) =
            unsafe { (anchors.as_f32_slice(), candidates.as_f32_slice(), row_losses.as_f64_slice_mut(), scratch.as_f32_slice_mut()) };
        let gradients = if with_gradients {
            // SAFETY: as above; both gradient regions are disjoint from everything else.
            Some(unsafe { (anchor_gradient.as_f32_slice_mut(), candidate_gradient.as_f32_slice_mut()) })
        } else {
            None
        };
        multiple_negatives_ranking_f32(anchors, anchor_rows, candidates, candidate_rows, depth, scale, row_losses, gradients, scratch).map_err(KernelError::code)
    })())
}

/// Cosine triplet loss (`nn.TripletMarginWithDistanceLoss` with `1 − cosine_similarity`)
/// of `anchor`, `positive`, `negative` `[rows, depth]` each: per-row losses (f64) into
/// `row_losses_pointer`; when the three gradient pointers are ≠ 0 (all or none),
/// d(Σ row_weight·lossᵢ)/d each input (f32 `[rows, depth]`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_triplet_f32(
    anchor_pointer: usize,
    positive_pointer: usize,
    negative_pointer: usize,
    rows: usize,
    depth: usize,
    margin: f32,
    row_weight: f64,
    row_losses_pointer: usize,
    anchor_gradient_pointer: usize,
    positive_gradient_pointer: usize,
    negative_gradient_pointer: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let anchor = Region::of_f32(anchor_pointer, count)?;
        let positive = Region::of_f32(positive_pointer, count)?;
        let negative = Region::of_f32(negative_pointer, count)?;
        let row_losses = Region::of_f64(row_losses_pointer, rows)?;
        let (with_gradients, anchor_gradient, positive_gradient) =
            gradient_regions(anchor_gradient_pointer, count, positive_gradient_pointer, count)?;
        let negative_gradient = match (with_gradients, negative_gradient_pointer) {
            (false, 0) => Region::of_f32(0, 0)?,
            (true, pointer) if pointer != 0 => Region::of_f32(pointer, count)?,
            _ => return Err(AbiError::BadPointer.into()),
        };
        check_disjoint(&[&row_losses, &anchor_gradient, &positive_gradient, &negative_gradient], &[&anchor, &positive, &negative])?;
        // SAFETY: every region was checked (aligned, inside memory, no overflow); the written
        // one (row losses) overlaps neither the gradients nor the inputs.
        let (anchor, positive, negative, row_losses) =
            unsafe { (anchor.as_f32_slice(), positive.as_f32_slice(), negative.as_f32_slice(), row_losses.as_f64_slice_mut()) };
        let gradients = if with_gradients {
            // SAFETY: as above; the three gradient regions are disjoint from everything else.
            Some(unsafe { (anchor_gradient.as_f32_slice_mut(), positive_gradient.as_f32_slice_mut(), negative_gradient.as_f32_slice_mut()) })
        } else {
            None
        };
        triplet_cosine_f32(anchor, positive, negative, rows, depth, margin, row_weight, row_losses, gradients).map_err(KernelError::code)
    })())
}

/// Floats of scratch `ck_moco_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_moco_scratch_floats(rows: usize, queue_rows: usize, depth: usize) -> usize {
    moco_scratch_len(rows, queue_rows, depth).unwrap_or(0)
}

/// MoCo loss of `query`, `key` `[rows, depth]` against `queue` `[queue_rows ≥ 1, depth]`
/// (logits `[q̂·k̂, q̂·Q̂ᵀ]/temperature`, label 0): per-query losses (f64) into
/// `row_losses_pointer`; when `query_gradient_pointer` ≠ 0, d(mean loss)/d query (f32).
#[unsafe(no_mangle)]
pub extern "C" fn ck_moco_f32(
    query_pointer: usize,
    key_pointer: usize,
    queue_pointer: usize,
    rows: usize,
    queue_rows: usize,
    depth: usize,
    temperature: f32,
    row_losses_pointer: usize,
    query_gradient_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let queue_count = queue_rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let query = Region::of_f32(query_pointer, count)?;
        let key = Region::of_f32(key_pointer, count)?;
        let queue = Region::of_f32(queue_pointer, queue_count)?;
        let row_losses = Region::of_f64(row_losses_pointer, rows)?;
        let gradient = if query_gradient_pointer == 0 { None } else { Some(Region::of_f32(query_gradient_pointer, count)?) };
        let empty = Region::of_f32(0, 0)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        check_disjoint(&[&row_losses, gradient.as_ref().unwrap_or(&empty), &scratch], &[&query, &key, &queue])?;
        // SAFETY: every region was checked (aligned, inside memory, no overflow); the written
        // ones (row losses, gradient, scratch) overlap neither each other nor the inputs.
        let (query, key, queue, row_losses, gradient, scratch) = unsafe {
            (
                query.as_f32_slice(),
                key.as_f32_slice(),
                queue.as_f32_slice(),
                row_losses.as_f64_slice_mut(),
                gradient.map(|region| region.as_f32_slice_mut()),
                scratch.as_f32_slice_mut(),
            )
        };
        moco_f32(query, key, queue, rows, queue_rows, depth, temperature, row_losses, gradient, scratch).map_err(KernelError::code)
    })())
}

/// Floats of scratch `ck_supcon_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_supcon_scratch_floats(rows: usize, depth: usize) -> usize {
    supcon_scratch_len(rows, depth).unwrap_or(0)
}

/// SupCon loss of `features` `[rows ≥ 2, depth]` with the i32 `labels` `[rows]` (positives
/// of row i: the other rows with its label; mean over the rows that have one): writes the
/// loss (f64) to `results_pointer`; when `gradient_pointer` ≠ 0, d loss/d features (f32
/// `[rows, depth]`). `wide_pointer`: f64 scratch of `3·rows`. All labels distinct is
/// `KernelError::InvalidArgument`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_supcon_f32(
    features_pointer: usize,
    rows: usize,
    depth: usize,
    labels_pointer: usize,
    temperature: f32,
    base_temperature: f32,
    gradient_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
    wide_pointer: usize,
    results_pointer: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(depth).ok_or(AbiError::BadLength)?;
        let features = Region::of_f32(features_pointer, count)?;
        let labels = Region::of_i32(labels_pointer, rows)?;
        let gradient = if gradient_pointer == 0 { None } else { Some(Region::of_f32(gradient_pointer, count)?) };
        let empty = Region::of_f32(0, 0)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        let wide = Region::of_f64(wide_pointer, supcon_wide_len(rows).ok_or(AbiError::BadLength)?)?;
        let results = Region::of_f64(results_pointer, 1)?;
        check_disjoint(&[gradient.as_ref().unwrap_or(&empty), &scratch, &wide, &results], &[&features, &labels])?;
        // SAFETY: every region was checked (aligned, inside memory, no overflow); the written
        // ones (gradient, scratch, wide, results) overlap neither each other nor the inputs.
        let (features, labels, gradient, scratch, wide, results) = unsafe {
            (
                features.as_f32_slice(),
                labels.as_i32_slice(),
                gradient.map(|region| region.as_f32_slice_mut()),
                scratch.as_f32_slice_mut(),
                wide.as_f64_slice_mut(),
                results.as_f64_slice_mut(),
            )
        };
        results[0] = supcon_f32(features, rows, depth, labels, temperature, base_temperature, gradient, scratch, wide).map_err(KernelError::code)?;
        Ok(())
    })())
}
