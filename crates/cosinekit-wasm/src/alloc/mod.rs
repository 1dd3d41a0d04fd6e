//! The wasm heap: a boundary-tag, first-fit free-list allocator over one contiguous region.
//!
//! **Block layout.** The region `[heap_start rounded up to 16, claimed end)` is tiled, with no
//! gaps, by blocks whose sizes are multiples of 16 bytes and whose starts are 16-aligned:
//!
//! ```text
//! block start ─┬─ header (16 bytes; two words, padded on wasm32):
//!              │     word 0 = block size in bytes (header + payload + footer)
//!              │     word 1 = tag = MAGIC ^ block size (in-use magic or free magic)
//! start + 16 ──┼─ payload (16-aligned; this is the pointer `alloc` returns)
//!              │   while the block is free: word 0 = next free block, word 1 = previous free block
//! end - word ──┴─ footer (one word): block size | 1 when in use, block size when free
//! ```
//!
//! The tag lets `free` reject pointers whose header is not an in-use block (double free, a
//! pointer into the middle of a block), and the footer lets `free` find the block to the left.
//!
//! **Allocation** walks the doubly linked free list (LIFO) and takes the first block that fits,
//! splitting off the rest as a new free block when it is at least the minimum block size.
//! **Freeing** is O(1): the block is merged with a free right neighbour and a free left
//! neighbour, so two free blocks are never adjacent. **Growth** happens only when no free block
//! fits: the heap asks its [`PageSource`] for the fewest 64 KiB pages that make the trailing free
//! block (or the new space alone, when the last block is in use) large enough, and merges the new
//! space into that trailing free block. All size arithmetic is checked, so absurd requests fail
//! without growing and without touching any existing block.

use core::ptr::NonNull;

/// Where the heap gets more address space (wasm: `memory.grow`).
pub trait PageSource {
    /// Current end of the address space the heap may use (wasm: memory.size * 65536).
    fn current_end(&mut self) -> usize;
    /// Grow by `pages` 64 KiB pages; returns false when the engine refuses. New space is contiguous, right after the previous end.
    fn grow(&mut self, pages: usize) -> bool;
}

/// Size of one wasm memory page, the unit in which a [`PageSource`] grows.
pub const PAGE_BYTES: usize = 65536;

/// Alignment of every block start and every returned pointer.
const ALIGNMENT_BYTES: usize = 16;
/// Size of one machine word (4 on wasm32, 8 on 64-bit hosts).
const WORD_BYTES: usize = core::mem::size_of::<usize>();
/// Header size: two words, padded to 16 so that the payload stays 16-aligned.
const HEADER_BYTES: usize = 16;
/// Footer size: one word holding the block size and the in-use flag.
const FOOTER_BYTES: usize = WORD_BYTES;
/// Bytes of every block that are not payload.
const BLOCK_OVERHEAD_BYTES: usize = HEADER_BYTES + FOOTER_BYTES;
/// Smallest block: header, two free-list links, footer, rounded up to the alignment.
const MINIMUM_BLOCK_BYTES: usize =
    (HEADER_BYTES + 2 * WORD_BYTES + FOOTER_BYTES).div_ceil(ALIGNMENT_BYTES) * ALIGNMENT_BYTES;
/// Largest payload `alloc` accepts: Rust objects may not exceed `isize::MAX` bytes.
const MAXIMUM_PAYLOAD_BYTES: usize = isize::MAX as usize;

/// Footer bit set while the block is handed out (block sizes are multiples of 16).
const IN_USE_FLAG: usize = 1;
/// Header tag of an in-use block is `IN_USE_MAGIC ^ block size`.
const IN_USE_MAGIC: usize = 0xA110_C8ED;
/// Header tag of a free block is `FREE_MAGIC ^ block size`. The low four bits differ from
/// `IN_USE_MAGIC`, so for sizes that are multiples of 16 the two kinds of tag never collide.
const FREE_MAGIC: usize = 0x0F4E_EB1C;
/// Tag written over the header of a block that was merged into its left neighbour. Its low
/// four bits are zero, so it equals neither kind of tag for any multiple-of-16 size.
const CLEARED_TAG: usize = 0;
/// "No block" in free-list links. Address 0 never holds a header (the region starts at >= 16).
const NO_BLOCK: usize = 0;

/// Rounds `address` up to a multiple of 16, or `None` when that overflows.
const fn align_up(address: usize) -> Option<usize> {
    match address.checked_add(ALIGNMENT_BYTES - 1) {
        Some(padded) => Some(padded & !(ALIGNMENT_BYTES - 1)),
        None => None,
    }
}

/// Rounds `address` down to a multiple of 16.
const fn align_down(address: usize) -> usize {
    address & !(ALIGNMENT_BYTES - 1)
}

/// Block size that serves a request of `size_in_bytes`, or `None` when it cannot exist.
fn block_size_for_request(size_in_bytes: usize) -> Option<usize> {
    if size_in_bytes > MAXIMUM_PAYLOAD_BYTES {
        return None;
    }
    let unaligned_block_bytes = size_in_bytes.checked_add(BLOCK_OVERHEAD_BYTES)?;
    Some(align_up(unaligned_block_bytes)?.max(MINIMUM_BLOCK_BYTES))
}

/// Reads the word at `address`.
///
/// # Safety
/// `address` is word-aligned and `[address, address + WORD_BYTES)` lies inside memory the
/// heap has claimed from its page source.
unsafe fn read_word(address: usize) -> usize {
    // SAFETY: the caller guarantees the word is aligned and inside claimed heap memory, which
    // is readable for the whole life of the heap.
    unsafe { core::ptr::with_exposed_provenance::<usize>(address).read() }
}

/// Writes `value` to the word at `address`.
///
/// # Safety
/// Same as [`read_word`], and the word is heap metadata (a header, footer or free-list link),
/// never part of a payload that has been handed out.
unsafe fn write_word(address: usize, value: usize) {
    // SAFETY: the caller guarantees the word is aligned, inside claimed heap memory, and owned
    // by the allocator rather than by a live allocation.
    unsafe { core::ptr::with_exposed_provenance_mut::<usize>(address).write(value) }
}

/// A boundary-tag free-list heap over address space obtained from a [`PageSource`].
///
/// Single-threaded by design (one wasm instance is one thread): every mutating method takes
/// `&mut self`. Every pointer it returns is 16-byte aligned and non-null.
pub struct Heap<S: PageSource> {
    /// Where more address space comes from.
    source: S,
    /// The first address the heap may touch, as given to [`Heap::new`].
    heap_start: usize,
    /// Whether the region fields below have been set up by the first `alloc`.
    initialized: bool,
    /// Start of the first block: `heap_start` rounded up to 16 (and at least 16).
    region_begin: usize,
    /// End of the last block; `[region_begin, region_end)` is tiled by blocks.
    region_end: usize,
    /// End of the space the heap owns (16-aligned, `>= region_end`). A tail shorter than a
    /// minimum block may remain between `region_end` and `claimed_end` until growth absorbs it.
    claimed_end: usize,
    /// `source.current_end()` as last observed; growth is only contiguous from this address.
    source_end_seen: usize,
    /// First block of the free list, or `NO_BLOCK`.
    free_list_head: usize,
    /// Sum of the payload sizes of all in-use blocks.
    bytes_in_use: usize,
}

impl<S: PageSource> Heap<S> {
    /// `heap_start` = first usable address (wasm: &__heap_base); nothing below it is touched.
    ///
    /// Nothing is claimed until the first [`Heap::alloc`], so this is usable in a `static`.
    pub const fn new(source: S, heap_start: usize) -> Self {
        Heap {
            source,
            heap_start,
            initialized: false,
            region_begin: 0,
            region_end: 0,
            claimed_end: 0,
            source_end_seen: 0,
            free_list_head: NO_BLOCK,
            bytes_in_use: 0,
        }
    }

    /// Returns a 16-byte aligned block of at least `size_in_bytes` bytes (a minimum-size,
    /// unique block for 0), growing the page source when no free block fits.
    ///
    /// Returns `None` when the size cannot be represented (more than `isize::MAX` bytes, or
    /// header + size + alignment overflows), when the page source refuses to grow, or when the
    /// page source was grown by someone else since the heap last looked (the new space would
    /// not be contiguous with the heap). A failed call leaves every existing block untouched.
    pub fn alloc(&mut self, size_in_bytes: usize) -> Option<NonNull<u8>> {
        let block_size_in_bytes = block_size_for_request(size_in_bytes)?;
        if !self.ensure_initialized() {
            return None;
        }
        let block_start = match self.find_free_block(block_size_in_bytes) {
            Some(block_start) => block_start,
            None => self.grow_for(block_size_in_bytes)?,
        };
        let payload_address = block_start + HEADER_BYTES;
        let payload = NonNull::new(core::ptr::with_exposed_provenance_mut::<u8>(
            payload_address,
        ))?;
        // SAFETY: `block_start` is a free block of at least `block_size_in_bytes` bytes inside
        // the tiled region: it came from the free list or from `grow_for`.
        unsafe { self.take_free_block(block_start, block_size_in_bytes) };
        Some(payload)
    }

    /// Returns a block to the heap, merging it with free neighbours on both sides.
    ///
    /// Null is a no-op. So is any pointer that visibly is not the payload of an in-use block
    /// of this heap: misaligned, outside the heap's region, or whose header does not carry the
    /// in-use tag and a matching footer. In particular a double free of a block that has not
    /// been handed out again is ignored. This is a defence against obvious mistakes, not a
    /// guarantee: a stale pointer whose old header now lies inside another live payload that
    /// happens to contain a valid-looking header can still corrupt the heap.
    ///
    /// # Safety
    /// SAFETY contract: ptr came from this heap's alloc and was not freed. Null is a no-op.
    pub unsafe fn free(&mut self, ptr: *mut u8) {
        if ptr.is_null() || !self.initialized {
            return;
        }
        let payload_address = ptr.addr();
        if payload_address % ALIGNMENT_BYTES != 0 {
            return;
        }
        let Some(block_start) = payload_address.checked_sub(HEADER_BYTES) else {
            return;
        };
        if block_start < self.region_begin || block_start >= self.region_end {
            return;
        }
        // SAFETY: `block_start` is 16-aligned and in `[region_begin, region_end)`, whose ends
        // are 16-aligned too, so the 16-byte header range lies inside the tiled region.
        let (block_size_in_bytes, tag) = unsafe { self.header_at(block_start) };
        if tag != IN_USE_MAGIC ^ block_size_in_bytes
            || block_size_in_bytes % ALIGNMENT_BYTES != 0
            || block_size_in_bytes < MINIMUM_BLOCK_BYTES
            || block_size_in_bytes > self.region_end - block_start
        {
            return;
        }
        let block_end = block_start + block_size_in_bytes;
        // SAFETY: `block_end` is 16-aligned and at most `region_end`, and a block is at least
        // `MINIMUM_BLOCK_BYTES` long, so the footer word before it is inside the region.
        let footer = unsafe { read_word(block_end - FOOTER_BYTES) };
        if footer != block_size_in_bytes | IN_USE_FLAG {
            return;
        }
        // SAFETY: the header and footer checks above identify an in-use block of this size.
        unsafe { self.release_block(block_start, block_size_in_bytes) };
    }

    /// Bytes currently handed out (sum of block payloads), for leak tests.
    ///
    /// A block's payload is its usable size, which can exceed the requested size by the
    /// rounding to 16 bytes and by a tail too small to split off.
    pub fn bytes_in_use(&self) -> usize {
        self.bytes_in_use
    }

    /// Total bytes the heap spans (heap_start..end it has claimed), for growth tests.
    ///
    /// Measured from `heap_start` rounded up to 16 to the end of the owned space. With no live
    /// blocks, all of it is one free block, so a single allocation of `bytes_claimed()` minus
    /// one block's header and footer fits without growth. Zero before the first allocation.
    pub fn bytes_claimed(&self) -> usize {
        if self.initialized {
            self.claimed_end - self.region_begin
        } else {
            0
        }
    }

    /// Sets up the region on first use. Returns false when `heap_start` is too close to the
    /// end of the address space to hold anything.
    fn ensure_initialized(&mut self) -> bool {
        if self.initialized {
            return true;
        }
        // Address 0 never holds a header: it doubles as `NO_BLOCK` and as the null pointer.
        let Some(region_begin) = align_up(self.heap_start.max(ALIGNMENT_BYTES)) else {
            return false;
        };
        let current_end = self.source.current_end();
        self.region_begin = region_begin;
        self.region_end = region_begin;
        self.claimed_end = align_down(current_end).max(region_begin);
        self.source_end_seen = current_end;
        self.initialized = true;
        self.absorb_claimed_tail();
        true
    }

    /// First free block of at least `block_size_in_bytes`, walking the free list.
    fn find_free_block(&self, block_size_in_bytes: usize) -> Option<usize> {
        let mut candidate = self.free_list_head;
        while candidate != NO_BLOCK {
            // SAFETY: every free-list entry is the start of a free block inside the region.
            let (candidate_size_in_bytes, _) = unsafe { self.header_at(candidate) };
            if candidate_size_in_bytes >= block_size_in_bytes {
                return Some(candidate);
            }
            // SAFETY: as above; a free block's first payload word is its `next` link.
            candidate = unsafe { read_word(candidate + HEADER_BYTES) };
        }
        None
    }

    /// Grows the page source so that the trailing free block can hold `block_size_in_bytes`,
    /// and returns that block's start. On failure the heap is unchanged apart from possibly
    /// having absorbed space it already owned.
    fn grow_for(&mut self, block_size_in_bytes: usize) -> Option<usize> {
        self.absorb_claimed_tail();
        // The block that new space would extend: the trailing free block, or a new block at
        // `region_end` (which then also covers any short unabsorbed tail).
        let extended_block_start = match self.trailing_free_block() {
            Some((block_start, _)) => block_start,
            None => self.region_end,
        };
        let available_bytes = self.claimed_end - extended_block_start;
        if available_bytes >= block_size_in_bytes {
            // Absorbing a short tail made the trailing free block large enough.
            return self.trailing_block_of_at_least(block_size_in_bytes);
        }
        let missing_bytes = block_size_in_bytes - available_bytes;
        let needed_end = self.claimed_end.checked_add(missing_bytes)?;
        if self.source.current_end() != self.source_end_seen {
            // Someone else grew the memory: new pages would not be adjacent to the heap.
            return None;
        }
        let bytes_to_request = needed_end.checked_sub(self.source_end_seen)?.max(1);
        let pages = bytes_to_request.div_ceil(PAGE_BYTES);
        if !self.source.grow(pages) {
            return None;
        }
        let new_end = self.source.current_end();
        if new_end <= self.source_end_seen {
            // The source claims success but did not grow; treat it as a refusal.
            return None;
        }
        self.source_end_seen = new_end;
        self.claimed_end = self.claimed_end.max(align_down(new_end));
        self.absorb_claimed_tail();
        self.trailing_block_of_at_least(block_size_in_bytes)
    }

    /// The trailing free block if it holds at least `block_size_in_bytes`, else `None`.
    fn trailing_block_of_at_least(&self, block_size_in_bytes: usize) -> Option<usize> {
        match self.trailing_free_block() {
            Some((block_start, trailing_size_in_bytes))
                if trailing_size_in_bytes >= block_size_in_bytes =>
            {
                Some(block_start)
            }
            _ => None,
        }
    }

    /// The last block of the region, as `(start, size)`, when it is free.
    fn trailing_free_block(&self) -> Option<(usize, usize)> {
        if self.region_end == self.region_begin {
            return None;
        }
        // SAFETY: the region is non-empty and ends with a block, so the word before
        // `region_end` is that block's footer.
        let footer = unsafe { read_word(self.region_end - FOOTER_BYTES) };
        if footer & IN_USE_FLAG != 0 {
            return None;
        }
        Some((self.region_end - footer, footer))
    }

    /// Turns owned space after the last block, `[region_end, claimed_end)`, into free space:
    /// extends a trailing free block, or creates a new free block when the span is at least a
    /// minimum block. A shorter span after an in-use block stays pending.
    fn absorb_claimed_tail(&mut self) {
        let span_bytes = self.claimed_end - self.region_end;
        if span_bytes == 0 {
            return;
        }
        if let Some((block_start, block_size_in_bytes)) = self.trailing_free_block() {
            // SAFETY: the trailing free block plus the span ends at `claimed_end`, inside owned
            // memory; rewriting its header and footer keeps its free-list links in place.
            unsafe { self.write_block(block_start, block_size_in_bytes + span_bytes, false) };
        } else if span_bytes >= MINIMUM_BLOCK_BYTES {
            let block_start = self.region_end;
            // SAFETY: `[region_end, claimed_end)` is owned, 16-aligned, unused memory of at
            // least a minimum block.
            unsafe {
                self.write_block(block_start, span_bytes, false);
                self.link_free_block(block_start);
            }
        } else {
            return;
        }
        self.region_end = self.claimed_end;
    }

    /// Marks `block_size_in_bytes` at the start of the free block `block_start` as in use,
    /// splitting the remainder into a new free block when it is large enough.
    ///
    /// # Safety
    /// `block_start` is a free block (on the free list) of at least `block_size_in_bytes`.
    unsafe fn take_free_block(&mut self, block_start: usize, block_size_in_bytes: usize) {
        // SAFETY: the caller guarantees `block_start` is a free block inside the region.
        let (free_size_in_bytes, _) = unsafe { self.header_at(block_start) };
        let remainder_bytes = free_size_in_bytes - block_size_in_bytes;
        let used_size_in_bytes = if remainder_bytes >= MINIMUM_BLOCK_BYTES {
            block_size_in_bytes
        } else {
            free_size_in_bytes
        };
        // SAFETY: the block is free and on the list; `[block_start, block_start +
        // free_size_in_bytes)` is inside the region, and the split point is 16-aligned with at
        // least a minimum block on either side.
        unsafe {
            self.unlink_free_block(block_start);
            self.write_block(block_start, used_size_in_bytes, true);
            if used_size_in_bytes < free_size_in_bytes {
                let remainder_start = block_start + used_size_in_bytes;
                self.write_block(remainder_start, remainder_bytes, false);
                self.link_free_block(remainder_start);
            }
        }
        self.bytes_in_use += used_size_in_bytes - BLOCK_OVERHEAD_BYTES;
    }

    /// Frees an in-use block and merges it with free neighbours on both sides.
    ///
    /// # Safety
    /// `block_start` is an in-use block of `block_size_in_bytes` inside the region.
    unsafe fn release_block(&mut self, block_start: usize, block_size_in_bytes: usize) {
        self.bytes_in_use -= block_size_in_bytes - BLOCK_OVERHEAD_BYTES;
        let mut merged_size_in_bytes = block_size_in_bytes;

        let next_start = block_start + block_size_in_bytes;
        if next_start < self.region_end {
            // SAFETY: blocks tile the region, so a block starts at `next_start`.
            let (next_size_in_bytes, next_tag) = unsafe { self.header_at(next_start) };
            if next_tag == FREE_MAGIC ^ next_size_in_bytes {
                // SAFETY: the right neighbour is a free block on the list; after unlinking it,
                // its header is interior to the merged block and gets a cleared tag.
                unsafe {
                    self.unlink_free_block(next_start);
                    write_word(next_start + WORD_BYTES, CLEARED_TAG);
                }
                merged_size_in_bytes += next_size_in_bytes;
            }
        }

        if block_start > self.region_begin {
            // SAFETY: blocks tile the region, so the word before `block_start` is the footer of
            // the left neighbour.
            let previous_footer = unsafe { read_word(block_start - FOOTER_BYTES) };
            if previous_footer & IN_USE_FLAG == 0 {
                let previous_start = block_start - previous_footer;
                debug_assert!(previous_start >= self.region_begin);
                // SAFETY: the left neighbour is a free block already on the list; growing it in
                // place keeps its links. The freed block's header becomes interior memory and
                // is cleared so a stale pointer to it is rejected by `free`.
                unsafe {
                    self.write_block(
                        previous_start,
                        previous_footer + merged_size_in_bytes,
                        false,
                    );
                    write_word(block_start + WORD_BYTES, CLEARED_TAG);
                }
                return;
            }
        }

        // SAFETY: `[block_start, block_start + merged_size_in_bytes)` is the freed block plus
        // possibly its free right neighbour, all inside the region and owned by the allocator.
        unsafe {
            self.write_block(block_start, merged_size_in_bytes, false);
            self.link_free_block(block_start);
        }
    }

    /// Reads `(block size, tag)` from the header at `block_start`.
    ///
    /// # Safety
    /// `[block_start, block_start + HEADER_BYTES)` is inside the claimed region and
    /// `block_start` is 16-aligned.
    unsafe fn header_at(&self, block_start: usize) -> (usize, usize) {
        // SAFETY: the caller guarantees the two header words are aligned and inside the region.
        unsafe { (read_word(block_start), read_word(block_start + WORD_BYTES)) }
    }

    /// Writes the header and footer of a block (free-list links are left untouched).
    ///
    /// # Safety
    /// `[block_start, block_start + block_size_in_bytes)` is 16-aligned owned memory whose
    /// header and footer words are not part of any live payload.
    unsafe fn write_block(&mut self, block_start: usize, block_size_in_bytes: usize, in_use: bool) {
        let (tag, footer) = if in_use {
            (
                IN_USE_MAGIC ^ block_size_in_bytes,
                block_size_in_bytes | IN_USE_FLAG,
            )
        } else {
            (FREE_MAGIC ^ block_size_in_bytes, block_size_in_bytes)
        };
        // SAFETY: the caller guarantees the block range is owned; the header words are its first
        // two words and the footer is its last word.
        unsafe {
            write_word(block_start, block_size_in_bytes);
            write_word(block_start + WORD_BYTES, tag);
            write_word(block_start + block_size_in_bytes - FOOTER_BYTES, footer);
        }
    }

    /// Pushes the free block `block_start` onto the front of the free list.
    ///
    /// # Safety
    /// `block_start` is a free block inside the region, not currently on the list.
    unsafe fn link_free_block(&mut self, block_start: usize) {
        let old_head = self.free_list_head;
        // SAFETY: the block is free and at least a minimum block, so its first two payload
        // words hold links; `old_head`, when present, is a free block on the list.
        unsafe {
            write_word(block_start + HEADER_BYTES, old_head);
            write_word(block_start + HEADER_BYTES + WORD_BYTES, NO_BLOCK);
            if old_head != NO_BLOCK {
                write_word(old_head + HEADER_BYTES + WORD_BYTES, block_start);
            }
        }
        self.free_list_head = block_start;
    }

    /// Removes the free block `block_start` from the free list.
    ///
    /// # Safety
    /// `block_start` is a free block currently on the list.
    unsafe fn unlink_free_block(&mut self, block_start: usize) {
        // SAFETY: the block is on the list, so its link words are valid, and so are the link
        // words of its list neighbours.
        unsafe {
            let next = read_word(block_start + HEADER_BYTES);
            let previous = read_word(block_start + HEADER_BYTES + WORD_BYTES);
            if previous == NO_BLOCK {
                self.free_list_head = next;
            } else {
                write_word(previous + HEADER_BYTES, next);
            }
            if next != NO_BLOCK {
                write_word(next + HEADER_BYTES + WORD_BYTES, previous);
            }
        }
    }
}

/// The [`PageSource`] of a wasm32 module: linear memory 0, grown with `memory.grow`.
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmMemoryPages;

#[cfg(target_arch = "wasm32")]
impl PageSource for WasmMemoryPages {
    fn current_end(&mut self) -> usize {
        // A full 4 GiB memory ends at 2^32, one past `usize::MAX`; saturate to stay in range.
        core::arch::wasm32::memory_size(0).saturating_mul(PAGE_BYTES)
    }

    fn grow(&mut self, pages: usize) -> bool {
        core::arch::wasm32::memory_grow(0, pages) != usize::MAX
    }
}

#[cfg(test)]
mod tests;
