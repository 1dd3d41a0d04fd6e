//! Raw memory regions from the C ABI: every pointer/length pair is checked here before a
//! slice is made from it.

/// Status codes of the ABI layer itself (the kernel errors use 1–5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum AbiError {
    /// A pointer is null, not aligned for its element type, or past the end of memory.
    BadPointer = 16,
    /// A length whose byte size overflows the address space.
    BadLength = 17,
    /// The output overlaps an input in a way the kernel cannot handle.
    Overlap = 18,
}

impl AbiError {
    /// The code returned through the ABI.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

impl From<AbiError> for i32 {
    fn from(error: AbiError) -> i32 {
        error.code()
    }
}

/// Folds an export's result into its status code (0 = success).
pub fn status(result: Result<(), i32>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// A checked byte range of linear memory: non-null (unless empty), aligned to its element
/// type, end computed without overflow, and (on wasm32) inside the current memory size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    address: usize,
    element_count: usize,
    byte_length: usize,
}

/// The end of the address space slices may use: the current linear-memory size on wasm32;
/// unbounded natively, where tests pass pointers into their own buffers.
fn memory_end() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0).saturating_mul(65536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        usize::MAX
    }
}

impl Region {
    fn checked(address: usize, element_count: usize, element_bytes: usize) -> Result<Region, AbiError> {
        let byte_length = element_count.checked_mul(element_bytes).ok_or(AbiError::BadLength)?;
        if element_count == 0 {
            // An empty slice needs only a non-null, aligned pointer; use a dangling one.
            return Ok(Region { address: element_bytes, element_count: 0, byte_length: 0 });
        }
        if address == 0 || address % element_bytes != 0 {
            return Err(AbiError::BadPointer);
        }
        let end = address.checked_add(byte_length).ok_or(AbiError::BadLength)?;
        if end > memory_end() {
            return Err(AbiError::BadPointer);
        }
        Ok(Region { address, element_count, byte_length })
    }

    /// A region of `element_count` f32 values at byte address `address`.
    pub fn of_f32(address: usize, element_count: usize) -> Result<Region, AbiError> {
        Region::checked(address, element_count, 4)
    }

    /// A region of `element_count` u32 values at byte address `address`.
    pub fn of_u32(address: usize, element_count: usize) -> Result<Region, AbiError> {
        Region::checked(address, element_count, 4)
    }

    /// A region of `element_count` i32 values at byte address `address`.
    pub fn of_i32(address: usize, element_count: usize) -> Result<Region, AbiError> {
        Region::checked(address, element_count, 4)
    }

    /// A region of `element_count` f64 values at byte address `address` (8-aligned).
    pub fn of_f64(address: usize, element_count: usize) -> Result<Region, AbiError> {
        Region::checked(address, element_count, 8)
    }

    /// Whether the two byte ranges share a byte (empty regions overlap nothing).
    pub fn overlaps(&self, other: &Region) -> bool {
        self.byte_length != 0
            && other.byte_length != 0
            && self.address < other.address + other.byte_length
            && other.address < self.address + self.byte_length
    }

    /// # Safety
    /// The region must hold initialised f32 values that nothing mutates while the slice
    /// lives (the checks above establish bounds and alignment, not exclusivity).
    pub unsafe fn as_f32_slice<'a>(&self) -> &'a [f32] {
        // SAFETY: non-null, 4-aligned, `element_count` f32 inside linear memory (checked at
        // construction); no mutation during the borrow is the caller's contract.
        unsafe { core::slice::from_raw_parts(self.address as *const f32, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice`], for u32 values.
    pub unsafe fn as_u32_slice<'a>(&self) -> &'a [u32] {
        // SAFETY: as for as_f32_slice; u32 has the same size and alignment as f32.
        unsafe { core::slice::from_raw_parts(self.address as *const u32, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice`], and no other borrow of any byte of the region may exist
    /// while the slice lives.
    pub unsafe fn as_f32_slice_mut<'a>(&self) -> &'a mut [f32] {
        // SAFETY: bounds and alignment checked at construction; exclusivity is the caller's
        // contract (the exports check overlaps first).
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut f32, self.element_count) }
    }
}

impl Region {
    /// # Safety
    /// As [`Region::as_f32_slice_mut`], for i32 values (the region came from `of_i32`).
    pub unsafe fn as_i32_slice_mut<'a>(&self) -> &'a mut [i32] {
        // SAFETY: non-null, 4-aligned, `element_count` i32 inside linear memory (checked at
        // construction); exclusivity is the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut i32, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice_mut`], for f64 values (the region came from `of_f64`, so
    /// the address is 8-aligned).
    pub unsafe fn as_f64_slice_mut<'a>(&self) -> &'a mut [f64] {
        // SAFETY: non-null, 8-aligned, `element_count` f64 inside linear memory (checked at
        // construction); exclusivity is the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut f64, self.element_count) }
    }
}

/// The module's single heap. A wasm instance runs one thread, so exclusive access holds
/// as long as no export re-enters another (none does).
#[cfg(target_arch = "wasm32")]
pub fn with_heap<T>(action: impl FnOnce(&mut crate::alloc::Heap<crate::alloc::WasmMemoryPages>) -> T) -> T {
    use core::cell::UnsafeCell;
    struct HeapCell(UnsafeCell<Option<crate::alloc::Heap<crate::alloc::WasmMemoryPages>>>);
    // SAFETY: wasm32 instances are single-threaded; the cell is never shared across threads.
    unsafe impl Sync for HeapCell {}
    static HEAP: HeapCell = HeapCell(UnsafeCell::new(None));
    unsafe extern "C" {
        static __heap_base: u8;
    }
    // SAFETY: single-threaded and not re-entrant (the allocator calls no export), so this is
    // the only live reference to the heap.
    let heap = unsafe { &mut *HEAP.0.get() };
    let heap = heap.get_or_insert_with(|| {
        let start = &raw const __heap_base as usize;
        crate::alloc::Heap::new(crate::alloc::WasmMemoryPages, start)
    });
    action(heap)
}
