//! Native tests of the heap over a host buffer standing in for linear memory.

extern crate std;

use super::*;
use core::cell::Cell;
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::rc::Rc;
use std::vec::Vec;

/// Size of the buffer behind every test heap.
const TEST_MEMORY_BYTES: usize = 64 << 20;
/// The same buffer in pages: the most any test page source can ever commit.
const TEST_MEMORY_PAGES: usize = TEST_MEMORY_BYTES / PAGE_BYTES;
/// Number of distinct starting offsets into the pattern bytes.
const PATTERN_WINDOWS: usize = 4093;
/// Longest block any test fills with a pattern.
const LONGEST_PATTERNED_BLOCK_BYTES: usize = 5 * PAGE_BYTES;

/// A zeroed, 16-aligned buffer standing in for wasm linear memory.
struct TestMemory {
    base: *mut u8,
    layout: Layout,
}

impl TestMemory {
    fn new() -> Self {
        let layout = Layout::from_size_align(TEST_MEMORY_BYTES, ALIGNMENT_BYTES).unwrap();
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { alloc_zeroed(layout) };
        assert!(!base.is_null(), "test memory allocation failed");
        TestMemory { base, layout }
    }

    /// The buffer's address; exposing it lets the heap turn addresses back into pointers.
    fn base_address(&self) -> usize {
        self.base.expose_provenance()
    }
}

impl Drop for TestMemory {
    fn drop(&mut self) {
        // SAFETY: `base` was allocated in `new` with exactly this layout.
        unsafe { dealloc(self.base, self.layout) }
    }
}

/// Knobs and counters shared between a test and the page source the heap owns.
struct PageControls {
    /// Growth beyond this many committed pages is refused.
    page_limit: Cell<usize>,
    /// Pages "grown by someone else", appended to the end the source reports.
    foreign_pages: Cell<usize>,
    /// Number of `grow` calls, successful or not.
    grow_calls: Cell<usize>,
}

/// A page source over a prefix of a [`TestMemory`].
struct TestPages {
    base_address: usize,
    committed_pages: usize,
    controls: Rc<PageControls>,
}

impl PageSource for TestPages {
    fn current_end(&mut self) -> usize {
        let pages = self.committed_pages + self.controls.foreign_pages.get();
        self.base_address + pages * PAGE_BYTES
    }

    fn grow(&mut self, pages: usize) -> bool {
        self.controls
            .grow_calls
            .set(self.controls.grow_calls.get() + 1);
        let limit = self.controls.page_limit.get().min(TEST_MEMORY_PAGES);
        match self.committed_pages.checked_add(pages) {
            Some(total_pages) if total_pages <= limit => {
                self.committed_pages = total_pages;
                true
            }
            _ => false,
        }
    }
}

/// A heap over its own test memory. Field order makes the heap drop before the memory.
struct Fixture {
    heap: Heap<TestPages>,
    controls: Rc<PageControls>,
    memory: TestMemory,
}

impl Fixture {
    fn new(initial_pages: usize, page_limit: usize, heap_offset_in_bytes: usize) -> Self {
        let memory = TestMemory::new();
        let controls = Rc::new(PageControls {
            page_limit: Cell::new(page_limit),
            foreign_pages: Cell::new(0),
            grow_calls: Cell::new(0),
        });
        let source = TestPages {
            base_address: memory.base_address(),
            committed_pages: initial_pages,
            controls: Rc::clone(&controls),
        };
        let heap = Heap::new(source, memory.base_address() + heap_offset_in_bytes);
        Fixture {
            heap,
            controls,
            memory,
        }
    }

    fn base_address(&self) -> usize {
        self.memory.base_address()
    }

    fn grow_calls(&self) -> usize {
        self.controls.grow_calls.get()
    }

    /// Allocates `length_in_bytes`, fills the block with its pattern and returns it.
    fn allocate(
        &mut self,
        length_in_bytes: usize,
        id: usize,
        patterns: &Patterns,
    ) -> LiveBlock {
        let pointer = self
            .heap
            .alloc(length_in_bytes)
            .unwrap_or_else(|| panic!("alloc({length_in_bytes}) for block {id} failed"));
        let block = LiveBlock {
            pointer,
            length_in_bytes,
            id,
        };
        block.fill(patterns);
        block
    }

    /// Frees a pointer the heap must recognise as not allocated, asserting that nothing
    /// about the heap changes.
    fn free_ignored(&mut self, pointer: *mut u8) {
        let census_before = self.heap.census();
        let bytes_in_use_before = self.heap.bytes_in_use();
        // SAFETY: this deliberately breaks `free`'s contract, with pointers that `free`
        // documents as recognised and ignored (null, misaligned, outside the region, or
        // without an in-use header); it only reads headers inside the heap's region.
        unsafe { self.heap.free(pointer) };
        assert_eq!(
            self.heap.census(),
            census_before,
            "free({pointer:p}) changed the heap"
        );
        assert_eq!(self.heap.bytes_in_use(), bytes_in_use_before);
    }

    /// Checks the block's data, then frees it.
    fn release(&mut self, block: LiveBlock, patterns: &Patterns) {
        block.assert_intact(patterns);
        // SAFETY: the block came from this heap's `alloc` and is freed exactly once here.
        unsafe { self.heap.free(block.pointer.as_ptr()) };
    }
}

/// Deterministic xorshift64 generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut state = self.0;
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        self.0 = state;
        state
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// Pseudo-random bytes; each block id selects its own window into them.
struct Patterns {
    bytes: Vec<u8>,
}

impl Patterns {
    fn new() -> Self {
        let mut generator = XorShift(0x9E37_79B9_7F4A_7C15);
        let length = LONGEST_PATTERNED_BLOCK_BYTES + PATTERN_WINDOWS;
        let bytes = (0..length)
            .map(|_| (generator.next() >> 56) as u8)
            .collect();
        Patterns { bytes }
    }

    fn for_block(&self, id: usize, length_in_bytes: usize) -> &[u8] {
        let offset = id.wrapping_mul(7919) % PATTERN_WINDOWS;
        &self.bytes[offset..offset + length_in_bytes]
    }
}

/// A block a test holds, with the pattern id its bytes were filled from.
struct LiveBlock {
    pointer: NonNull<u8>,
    length_in_bytes: usize,
    id: usize,
}

impl LiveBlock {
    fn address(&self) -> usize {
        self.pointer.as_ptr().addr()
    }

    fn fill(&self, patterns: &Patterns) {
        let pattern = patterns.for_block(self.id, self.length_in_bytes);
        // SAFETY: the pointer came from `alloc(length_in_bytes)` and is live, so its
        // `length_in_bytes` payload bytes are writable and disjoint from the pattern.
        unsafe {
            core::ptr::copy_nonoverlapping(
                pattern.as_ptr(),
                self.pointer.as_ptr(),
                self.length_in_bytes,
            )
        };
    }

    fn assert_intact(&self, patterns: &Patterns) {
        let expected = patterns.for_block(self.id, self.length_in_bytes);
        // SAFETY: the pointer came from `alloc(length_in_bytes)` and is live, so its
        // `length_in_bytes` payload bytes are readable (and were initialized by `fill`).
        let actual =
            unsafe { core::slice::from_raw_parts(self.pointer.as_ptr(), self.length_in_bytes) };
        if actual != expected {
            let first_difference = actual.iter().zip(expected).position(|(a, b)| a != b);
            panic!(
                "block {} ({} bytes at {:#x}) corrupted at offset {:?}",
                self.id,
                self.length_in_bytes,
                self.address(),
                first_difference
            );
        }
    }
}

/// Every block is 16-aligned and no two blocks overlap (an empty block counts as one byte).
fn assert_aligned_and_disjoint(blocks: &[LiveBlock]) {
    let mut ranges: Vec<(usize, usize)> = blocks
        .iter()
        .map(|block| {
            (
                block.address(),
                block.address() + block.length_in_bytes.max(1),
            )
        })
        .collect();
    ranges.sort_unstable();
    for &(start, _) in &ranges {
        assert_eq!(
            start % ALIGNMENT_BYTES,
            0,
            "block at {start:#x} is misaligned"
        );
    }
    for pair in ranges.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "blocks {:#x?} and {:#x?} overlap",
            pair[0],
            pair[1]
        );
    }
}

fn assert_all_intact(blocks: &[LiveBlock], patterns: &Patterns) {
    for block in blocks {
        block.assert_intact(patterns);
    }
}

/// What a full walk of the heap found.
#[derive(Debug, PartialEq, Eq)]
struct Census {
    used_blocks: usize,
    free_blocks: usize,
    largest_free_block_bytes: usize,
}

impl<S: PageSource> Heap<S> {
    /// Walks every block and the free list, panicking on any broken invariant.
    fn census(&self) -> Census {
        let mut census = Census {
            used_blocks: 0,
            free_blocks: 0,
            largest_free_block_bytes: 0,
        };
        if !self.initialized {
            return census;
        }
        assert_eq!(self.region_begin % ALIGNMENT_BYTES, 0);
        assert!(self.region_begin >= self.heap_start && self.region_begin >= ALIGNMENT_BYTES);
        assert!(self.region_begin <= self.region_end && self.region_end <= self.claimed_end);
        assert!(self.claimed_end <= align_down(self.source_end_seen).max(self.region_begin));
        assert!(self.claimed_end - self.region_end < MINIMUM_BLOCK_BYTES);

        let mut free_block_starts = Vec::new();
        let mut used_payload_bytes = 0;
        let mut previous_was_free = false;
        let mut block_start = self.region_begin;
        while block_start < self.region_end {
            // SAFETY: `block_start` is 16-aligned and below `region_end` (also 16-aligned),
            // so its header lies inside the region.
            let (block_size_in_bytes, tag) = unsafe { self.header_at(block_start) };
            assert!(
                block_size_in_bytes % ALIGNMENT_BYTES == 0
                    && block_size_in_bytes >= MINIMUM_BLOCK_BYTES
                    && block_size_in_bytes <= self.region_end - block_start,
                "bad block size {block_size_in_bytes} at {block_start:#x}"
            );
            // SAFETY: the size was just checked to keep the block inside the region.
            let footer = unsafe { read_word(block_start + block_size_in_bytes - FOOTER_BYTES) };
            if tag == IN_USE_MAGIC ^ block_size_in_bytes {
                assert_eq!(footer, block_size_in_bytes | IN_USE_FLAG);
                census.used_blocks += 1;
                used_payload_bytes += block_size_in_bytes - BLOCK_OVERHEAD_BYTES;
                previous_was_free = false;
            } else if tag == FREE_MAGIC ^ block_size_in_bytes {
                assert_eq!(footer, block_size_in_bytes);
                assert!(
                    !previous_was_free,
                    "adjacent free blocks at {block_start:#x}"
                );
                census.free_blocks += 1;
                census.largest_free_block_bytes =
                    census.largest_free_block_bytes.max(block_size_in_bytes);
                free_block_starts.push(block_start);
                previous_was_free = true;
            } else {
                panic!("bad tag {tag:#x} at {block_start:#x}");
            }
            block_start += block_size_in_bytes;
        }
        assert_eq!(block_start, self.region_end);
        assert_eq!(used_payload_bytes, self.bytes_in_use);

        let mut listed_blocks = 0;
        let mut previous = NO_BLOCK;
        let mut current = self.free_list_head;
        while current != NO_BLOCK {
            listed_blocks += 1;
            assert!(
                listed_blocks <= census.free_blocks,
                "free list longer than free blocks"
            );
            assert!(
                free_block_starts.binary_search(&current).is_ok(),
                "free list entry {current:#x} is not a free block"
            );
            // SAFETY: `current` is the start of a free block found by the walk above, so
            // its two link words are inside the region.
            let (next, back) = unsafe {
                (
                    read_word(current + HEADER_BYTES),
                    read_word(current + HEADER_BYTES + WORD_BYTES),
                )
            };
            assert_eq!(back, previous, "broken back link at {current:#x}");
            previous = current;
            current = next;
        }
        assert_eq!(listed_blocks, census.free_blocks);
        census
    }
}

/// A page source that never has any memory.
struct NoPages;

impl PageSource for NoPages {
    fn current_end(&mut self) -> usize {
        0
    }

    fn grow(&mut self, _pages: usize) -> bool {
        false
    }
}

/// `Heap::new` is usable in a `static`.
static HEAP_IN_A_STATIC: Heap<NoPages> = Heap::new(NoPages, 4096);

#[test]
fn const_heap_without_memory_fails_cleanly() {
    assert_eq!(HEAP_IN_A_STATIC.bytes_claimed(), 0);
    assert_eq!(HEAP_IN_A_STATIC.bytes_in_use(), 0);
    let mut heap = Heap::new(NoPages, 4096);
    assert!(heap.alloc(0).is_none());
    assert!(heap.alloc(100).is_none());
    // SAFETY: null is always accepted.
    unsafe { heap.free(core::ptr::null_mut()) };
    assert_eq!(heap.bytes_claimed(), 0);
    assert_eq!(heap.bytes_in_use(), 0);
    heap.census();
}

#[test]
fn block_sizes_round_to_sixteen_and_reject_overflow() {
    assert_eq!(block_size_for_request(0), Some(MINIMUM_BLOCK_BYTES));
    assert_eq!(block_size_for_request(1), Some(MINIMUM_BLOCK_BYTES));
    let largest_minimum_request = MINIMUM_BLOCK_BYTES - BLOCK_OVERHEAD_BYTES;
    assert_eq!(
        block_size_for_request(largest_minimum_request),
        Some(MINIMUM_BLOCK_BYTES)
    );
    assert_eq!(
        block_size_for_request(largest_minimum_request + 1),
        Some(MINIMUM_BLOCK_BYTES + ALIGNMENT_BYTES)
    );
    // 1000 + 24 (32-bit: 1000 + 20) rounds to 1024; one more byte needs another 16 on 64-bit.
    assert_eq!(block_size_for_request(1000), Some(1024));
    assert_eq!(
        block_size_for_request(1024 - BLOCK_OVERHEAD_BYTES + 1),
        Some(1040)
    );
    for size in [
        usize::MAX,
        usize::MAX - 8,
        usize::MAX - 15,
        usize::MAX / 2 + 1,
    ] {
        assert_eq!(block_size_for_request(size), None, "size {size}");
    }
}

#[test]
fn zero_size_allocations_are_unique_aligned_minimum_blocks() {
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let mut addresses = Vec::new();
    for _ in 0..100 {
        let pointer = fixture.heap.alloc(0).expect("alloc(0)");
        assert_eq!(pointer.as_ptr().addr() % ALIGNMENT_BYTES, 0);
        addresses.push(pointer.as_ptr().addr());
    }
    addresses.sort_unstable();
    addresses.dedup();
    assert_eq!(addresses.len(), 100);
    let minimum_payload_bytes = MINIMUM_BLOCK_BYTES - BLOCK_OVERHEAD_BYTES;
    assert_eq!(fixture.heap.bytes_in_use(), 100 * minimum_payload_bytes);
    assert_eq!(fixture.heap.census().used_blocks, 100);
}

#[test]
fn live_blocks_are_aligned_disjoint_and_keep_their_data() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let mut generator = XorShift(0x1234_5678_9ABC_DEF1);
    let mut live = Vec::new();
    for id in 0..600 {
        let length_in_bytes = generator.below(3000);
        live.push(fixture.allocate(length_in_bytes, id, &patterns));
    }
    assert_aligned_and_disjoint(&live);
    assert_all_intact(&live, &patterns);

    // Free every third block, refill the holes with other sizes, and check everything.
    let mut kept = Vec::new();
    for (index, block) in live.drain(..).enumerate() {
        if index % 3 == 0 {
            fixture.release(block, &patterns);
        } else {
            kept.push(block);
        }
    }
    live = kept;
    fixture.heap.census();
    for id in 600..900 {
        let length_in_bytes = generator.below(1500);
        live.push(fixture.allocate(length_in_bytes, id, &patterns));
    }
    assert_aligned_and_disjoint(&live);
    assert_all_intact(&live, &patterns);
    let census = fixture.heap.census();
    assert_eq!(census.used_blocks, live.len());

    for block in live.drain(..) {
        fixture.release(block, &patterns);
    }
    assert_eq!(fixture.heap.bytes_in_use(), 0);
    assert_eq!(fixture.heap.census().free_blocks, 1);
}

#[test]
fn freeing_coalesces_with_both_neighbours() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let left = fixture.allocate(1000, 1, &patterns);
    let middle = fixture.allocate(2000, 2, &patterns);
    let right = fixture.allocate(3000, 3, &patterns);
    let guard = fixture.allocate(100, 4, &patterns);
    let left_address = left.address();
    let span_bytes = guard.address() - left_address;
    assert_eq!(fixture.heap.census().free_blocks, 1); // the trailing free block

    fixture.release(left, &patterns);
    fixture.release(right, &patterns);
    assert_eq!(fixture.heap.census().free_blocks, 3);
    // The middle block merges with its free left and right neighbours.
    fixture.release(middle, &patterns);
    let census = fixture.heap.census();
    assert_eq!(census.free_blocks, 2);
    assert_eq!(census.used_blocks, 1);

    // The three blocks now form one block that a single request fills exactly.
    let grow_calls_before = fixture.grow_calls();
    let whole = fixture
        .heap
        .alloc(span_bytes - BLOCK_OVERHEAD_BYTES)
        .expect("merged block fits");
    assert_eq!(whole.as_ptr().addr(), left_address);
    assert_eq!(fixture.grow_calls(), grow_calls_before);
    guard.assert_intact(&patterns);
    fixture.heap.census();
}

#[test]
fn randomized_alloc_free_sequence_keeps_data_and_coalesces_fully() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let mut generator = XorShift(0xDEAD_BEEF_CAFE_F00D);
    let mut live: Vec<LiveBlock> = Vec::new();
    let mut next_id = 0;
    for operation in 0..20_000 {
        let should_allocate =
            live.is_empty() || (live.len() < 160 && generator.below(100) < 55);
        if should_allocate {
            let length_in_bytes = match generator.below(4) {
                0 => generator.below(200_000),
                1 => generator.below(4096),
                _ => generator.below(256),
            };
            live.push(fixture.allocate(length_in_bytes, next_id, &patterns));
            next_id += 1;
        } else {
            let index = generator.below(live.len());
            let block = live.swap_remove(index);
            fixture.release(block, &patterns);
        }
        if operation % 500 == 0 {
            assert_aligned_and_disjoint(&live);
            assert_all_intact(&live, &patterns);
            assert_eq!(fixture.heap.census().used_blocks, live.len());
        }
    }
    assert_aligned_and_disjoint(&live);
    assert_all_intact(&live, &patterns);
    while !live.is_empty() {
        let index = generator.below(live.len());
        let block = live.swap_remove(index);
        fixture.release(block, &patterns);
    }
    assert_eq!(fixture.heap.bytes_in_use(), 0);
    let census = fixture.heap.census();
    assert_eq!(census.free_blocks, 1);
    assert_eq!(census.used_blocks, 0);

    // Everything merged back into one block: the whole claimed span is one allocation.
    let claimed_bytes = fixture.heap.bytes_claimed();
    let grow_calls_before = fixture.grow_calls();
    let everything = fixture
        .heap
        .alloc(claimed_bytes - BLOCK_OVERHEAD_BYTES)
        .expect("the whole heap is one free block");
    assert_eq!(
        everything.as_ptr().addr(),
        fixture.base_address() + HEADER_BYTES
    );
    assert_eq!(fixture.grow_calls(), grow_calls_before);
    assert_eq!(fixture.heap.bytes_claimed(), claimed_bytes);
    assert_eq!(fixture.heap.census().free_blocks, 0);
}

#[test]
fn repeated_alloc_free_does_not_grow_the_heap() {
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let sizes = [0, 24, 1000, 70_000, 300, 4096];
    let mut claimed_after_warm_up = 0;
    let mut grow_calls_after_warm_up = 0;
    for iteration in 0..100_000 {
        let mut pointers = [
            fixture.heap.alloc(sizes[iteration % 6]).expect("alloc"),
            fixture
                .heap
                .alloc(sizes[(iteration * 7 + 3) % 6])
                .expect("alloc"),
            fixture
                .heap
                .alloc(sizes[(iteration / 3) % 6])
                .expect("alloc"),
        ];
        for pointer in &pointers {
            // SAFETY: every allocation has at least one byte of payload (minimum block).
            unsafe { pointer.as_ptr().write(iteration as u8) };
        }
        pointers.rotate_left(iteration % 3);
        for pointer in pointers {
            // SAFETY: each pointer came from this heap's `alloc` and is freed once.
            unsafe { fixture.heap.free(pointer.as_ptr()) };
        }
        if iteration == 10 {
            claimed_after_warm_up = fixture.heap.bytes_claimed();
            grow_calls_after_warm_up = fixture.grow_calls();
        }
    }
    assert_eq!(fixture.heap.bytes_claimed(), claimed_after_warm_up);
    assert_eq!(fixture.grow_calls(), grow_calls_after_warm_up);
    assert_eq!(fixture.heap.bytes_in_use(), 0);
    assert_eq!(fixture.heap.census().free_blocks, 1);
}

#[test]
fn growth_extends_the_trailing_free_block_by_the_fewest_pages() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let first = fixture.allocate(1000, 1, &patterns);
    assert_eq!(fixture.heap.bytes_claimed(), PAGE_BYTES);
    assert_eq!(fixture.grow_calls(), 0);

    let first_block_bytes = block_size_for_request(1000).unwrap();
    let big_length = 3 * PAGE_BYTES;
    let trailing_free_bytes = PAGE_BYTES - first_block_bytes;
    let missing_bytes = block_size_for_request(big_length).unwrap() - trailing_free_bytes;
    let expected_pages = missing_bytes.div_ceil(PAGE_BYTES);

    let big = fixture.allocate(big_length, 2, &patterns);
    assert_eq!(fixture.grow_calls(), 1);
    assert_eq!(
        fixture.heap.bytes_claimed(),
        (1 + expected_pages) * PAGE_BYTES
    );
    // The big block starts in the old region: the new pages merged with the free tail.
    assert_eq!(big.address(), first.address() + first_block_bytes);
    assert_aligned_and_disjoint(&[first, big]);
    let census = fixture.heap.census();
    assert_eq!(census.used_blocks, 2);

    // Growth again from an exhausted trailing block, then everything merges back.
    let claimed_before = fixture.heap.bytes_claimed();
    let third = fixture.allocate(PAGE_BYTES, 3, &patterns);
    assert_eq!(fixture.grow_calls(), 2);
    assert!(fixture.heap.bytes_claimed() > claimed_before);
    third.assert_intact(&patterns);
    fixture.release(third, &patterns);
    let census = fixture.heap.census();
    assert_eq!(census.free_blocks, 1);
}

#[test]
fn growth_after_an_in_use_last_block_starts_a_new_block() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let whole_page = fixture.allocate(PAGE_BYTES - BLOCK_OVERHEAD_BYTES, 1, &patterns);
    assert_eq!(fixture.heap.census().free_blocks, 0);
    let next = fixture.allocate(100, 2, &patterns);
    assert_eq!(fixture.grow_calls(), 1);
    assert_eq!(fixture.heap.bytes_claimed(), 2 * PAGE_BYTES);
    assert_eq!(
        next.address(),
        fixture.base_address() + PAGE_BYTES + HEADER_BYTES
    );
    whole_page.assert_intact(&patterns);
    fixture.release(whole_page, &patterns);
    fixture.release(next, &patterns);
    assert_eq!(fixture.heap.census().free_blocks, 1);
}

#[test]
fn refused_growth_returns_none_and_keeps_live_blocks() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, 3, 0);
    let mut live = Vec::new();
    for id in 0..15 {
        live.push(fixture.allocate(10_000, id, &patterns));
    }
    assert_eq!(fixture.heap.bytes_claimed(), 3 * PAGE_BYTES);
    let claimed_bytes = fixture.heap.bytes_claimed();
    let bytes_in_use = fixture.heap.bytes_in_use();
    let census_before = fixture.heap.census();
    let grow_calls_before = fixture.grow_calls();

    for refused_length in [4 * PAGE_BYTES, 3 * PAGE_BYTES, PAGE_BYTES] {
        assert!(
            fixture.heap.alloc(refused_length).is_none(),
            "{refused_length}"
        );
    }
    assert!(
        fixture.grow_calls() > grow_calls_before,
        "the source was asked"
    );
    assert_eq!(fixture.heap.bytes_claimed(), claimed_bytes);
    assert_eq!(fixture.heap.bytes_in_use(), bytes_in_use);
    assert_eq!(fixture.heap.census(), census_before);
    assert_all_intact(&live, &patterns);

    // Space that is still free keeps working, and growth resumes when allowed.
    live.push(fixture.allocate(1000, 100, &patterns));
    fixture.controls.page_limit.set(TEST_MEMORY_PAGES);
    live.push(fixture.allocate(4 * PAGE_BYTES, 101, &patterns));
    assert_aligned_and_disjoint(&live);
    assert_all_intact(&live, &patterns);
    fixture.heap.census();
}

#[test]
fn oversized_requests_return_none_without_growing() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    for size in [usize::MAX, usize::MAX - 8] {
        assert!(
            fixture.heap.alloc(size).is_none(),
            "uninitialized, size {size}"
        );
    }
    let block = fixture.allocate(500, 1, &patterns);
    let claimed_bytes = fixture.heap.bytes_claimed();
    let bytes_in_use = fixture.heap.bytes_in_use();
    let overflowing_sizes = [
        usize::MAX,
        usize::MAX - 1,
        usize::MAX - 8,
        usize::MAX - 15,
        usize::MAX - 16,
        usize::MAX - BLOCK_OVERHEAD_BYTES,
        usize::MAX - BLOCK_OVERHEAD_BYTES - 15,
        usize::MAX - 64,
        usize::MAX / 2 + 1,
        isize::MAX as usize + 1,
        usize::MAX - fixture.base_address(),
    ];
    for size in overflowing_sizes {
        assert!(fixture.heap.alloc(size).is_none(), "size {size}");
    }
    assert_eq!(fixture.grow_calls(), 0);
    // Representable but absurd sizes may ask the source, which refuses.
    for size in [
        isize::MAX as usize,
        isize::MAX as usize - 64,
        TEST_MEMORY_BYTES,
    ] {
        assert!(fixture.heap.alloc(size).is_none(), "size {size}");
    }
    assert_eq!(fixture.heap.bytes_claimed(), claimed_bytes);
    assert_eq!(fixture.heap.bytes_in_use(), bytes_in_use);
    block.assert_intact(&patterns);
    assert_eq!(fixture.heap.census().used_blocks, 1);
}

#[test]
fn double_free_null_and_foreign_pointers_are_ignored() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    // Before the first allocation nothing belongs to the heap.
    fixture.free_ignored(core::ptr::with_exposed_provenance_mut(
        fixture.base_address() + 16,
    ));
    fixture.free_ignored(core::ptr::null_mut());

    let left = fixture.allocate(100, 1, &patterns);
    let middle = fixture.allocate(200, 2, &patterns);
    let right = fixture.allocate(300, 3, &patterns);
    let (left_pointer, middle_pointer, right_pointer) = (
        left.pointer.as_ptr(),
        middle.pointer.as_ptr(),
        right.pointer.as_ptr(),
    );

    let mut on_the_stack = [0u8; 64];
    let foreign_pointers = [
        core::ptr::null_mut(),
        left_pointer.wrapping_add(1),
        left_pointer.wrapping_add(16),
        left_pointer.wrapping_add(64),
        on_the_stack.as_mut_ptr(),
        core::ptr::with_exposed_provenance_mut(fixture.base_address() + TEST_MEMORY_BYTES - 16),
        core::ptr::with_exposed_provenance_mut(usize::MAX),
        core::ptr::with_exposed_provenance_mut(16),
    ];
    for pointer in foreign_pointers {
        fixture.free_ignored(pointer);
    }

    let in_use_with_three = fixture.heap.bytes_in_use();
    fixture.release(middle, &patterns);
    assert!(fixture.heap.bytes_in_use() < in_use_with_three);
    // Double free of a block whose header still carries the free tag.
    fixture.free_ignored(middle_pointer);

    // Freeing `left` merges the free `middle` into it; `middle`'s old header is now
    // interior memory with a cleared tag, and `left`'s header carries the free tag.
    fixture.release(left, &patterns);
    fixture.free_ignored(middle_pointer);
    fixture.free_ignored(left_pointer);
    right.assert_intact(&patterns);

    fixture.release(right, &patterns);
    for pointer in [left_pointer, middle_pointer, right_pointer] {
        fixture.free_ignored(pointer);
    }
    assert_eq!(fixture.heap.bytes_in_use(), 0);
    let census = fixture.heap.census();
    assert_eq!((census.used_blocks, census.free_blocks), (0, 1));
}

#[test]
fn nothing_below_heap_start_is_touched() {
    let patterns = Patterns::new();
    let heap_offset_in_bytes = 4096 + 8;
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, heap_offset_in_bytes);
    // SAFETY: the first `heap_offset_in_bytes` bytes lie inside the test memory.
    unsafe { core::ptr::write_bytes(fixture.memory.base, 0xAB, heap_offset_in_bytes) };

    let mut generator = XorShift(0x0123_4567_89AB_CDEF);
    let mut live: Vec<LiveBlock> = Vec::new();
    for id in 0..400 {
        if live.is_empty() || generator.below(3) != 0 {
            let block = fixture.allocate(generator.below(20_000), id, &patterns);
            assert!(block.address() >= fixture.base_address() + heap_offset_in_bytes);
            live.push(block);
        } else {
            let block = live.swap_remove(generator.below(live.len()));
            fixture.release(block, &patterns);
        }
    }
    assert_all_intact(&live, &patterns);
    for block in live.drain(..) {
        fixture.release(block, &patterns);
    }
    // SAFETY: same range as written above.
    let below_heap =
        unsafe { core::slice::from_raw_parts(fixture.memory.base, heap_offset_in_bytes) };
    assert!(below_heap.iter().all(|&byte| byte == 0xAB));
    let expected_region_begin = fixture.base_address() + 4096 + 16;
    let claimed_end = expected_region_begin + fixture.heap.bytes_claimed();
    assert_eq!(
        claimed_end % PAGE_BYTES,
        fixture.base_address() % PAGE_BYTES
    );
    assert_eq!(fixture.heap.census().free_blocks, 1);
}

#[test]
fn heap_start_beyond_the_current_end_grows_to_reach_it() {
    let heap_offset_in_bytes = 3 * PAGE_BYTES + 100;
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, heap_offset_in_bytes);
    let pointer = fixture.heap.alloc(10).expect("grows past heap_start");
    let region_begin = fixture.base_address() + 3 * PAGE_BYTES + 112;
    assert_eq!(pointer.as_ptr().addr(), region_begin + HEADER_BYTES);
    assert_eq!(fixture.grow_calls(), 1);
    let claimed_end = fixture.base_address() + 4 * PAGE_BYTES;
    assert_eq!(fixture.heap.bytes_claimed(), claimed_end - region_begin);
    fixture.heap.census();
}

#[test]
fn memory_grown_by_someone_else_is_left_alone() {
    let patterns = Patterns::new();
    let mut fixture = Fixture::new(1, TEST_MEMORY_PAGES, 0);
    let first = fixture.allocate(100, 1, &patterns);
    fixture.controls.foreign_pages.set(1);
    assert!(fixture.heap.alloc(2 * PAGE_BYTES).is_none());
    assert_eq!(fixture.grow_calls(), 0);
    assert_eq!(fixture.heap.bytes_claimed(), PAGE_BYTES);
    let second = fixture.allocate(1000, 2, &patterns);
    assert!(second.address() < fixture.base_address() + PAGE_BYTES);
    assert_all_intact(&[first, second], &patterns);
    fixture.heap.census();
}
