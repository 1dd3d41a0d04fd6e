//! Raw memory regions from the C ABI: every pointer/length pair is checked here before a
//! slice is made from it.

use cosinekit_core::KernelError;

/// Status codes of the ABI layer itself (the kernel errors, [`KernelError`], use 1–6).
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
    /// Every error, in code order.
    pub const ALL: [AbiError; 3] = [AbiError::BadPointer, AbiError::BadLength, AbiError::Overlap];

    /// The code returned through the ABI.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The error with this code, if any.
    pub const fn from_code(code: i32) -> Option<AbiError> {
        let mut index = 0;
        while index < AbiError::ALL.len() {
            if AbiError::ALL[index].code() == code {
                return Some(AbiError::ALL[index]);
            }
            index += 1;
        }
        None
    }

    /// What went wrong, as a noun phrase for messages ("… failed: a bad pointer").
    pub const fn text(self) -> &'static str {
        match self {
            AbiError::BadPointer => "a bad pointer",
            AbiError::BadLength => "a length overflowing memory",
            AbiError::Overlap => "an output overlapping an input",
        }
    }
}

/// The text of a status code: a [`KernelError`]'s or an [`AbiError`]'s, `None` for 0
/// (success) and unknown codes.
pub const fn status_text(code: i32) -> Option<&'static str> {
    if let Some(error) = KernelError::from_code(code) {
        Some(error.text())
    } else if let Some(error) = AbiError::from_code(code) {
        Some(error.text())
    } else {
        None
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
/// type, end computed without overflow, and (on wasm32) between the heap base and the
/// current memory size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    address: usize,
    element_count: usize,
    byte_length: usize,
}

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// Defined by wasm-ld: the first byte after the stack and the static data, where the
    /// heap starts.
    static __heap_base: u8;
}

/// The address of `__heap_base`: the start of the heap on wasm32.
#[cfg(target_arch = "wasm32")]
pub fn heap_base() -> usize {
    // SAFETY: only the address of the extern static is taken, never its byte (taking the
    // address of an extern static needs no `unsafe` block since Rust 1.82).
    &raw const __heap_base as usize
}

/// The start of the address space slices may use: the heap base on wasm32, so no export
/// can be pointed at the stack or the static data (every block of `ck_alloc` lies above
/// it); unbounded natively (0), where tests pass pointers into their own buffers.
fn memory_start() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        heap_base()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
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
        Region::checked_within(address, element_count, element_bytes, memory_start(), memory_end())
    }

    /// The checks of every constructor, against the usable address range `[start, end_of_memory)`
    /// (separate from `memory_start`/`memory_end` so native tests can exercise the wasm32
    /// bounds).
    pub(crate) fn checked_within(address: usize, element_count: usize, element_bytes: usize, start: usize, end_of_memory: usize) -> Result<Region, AbiError> {
        let byte_length = element_count.checked_mul(element_bytes).ok_or(AbiError::BadLength)?;
        if element_count == 0 {
            // An empty slice needs only a non-null, aligned pointer; use a dangling one. Any
            // address is accepted (nothing is read or written through it).
            return Ok(Region { address: element_bytes, element_count: 0, byte_length: 0 });
        }
        if address == 0 || address % element_bytes != 0 || address < start {
            return Err(AbiError::BadPointer);
        }
        let end = address.checked_add(byte_length).ok_or(AbiError::BadLength)?;
        if end > end_of_memory {
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

    /// A region of `byte_count` bytes at byte address `address`.
    pub fn of_u8(address: usize, byte_count: usize) -> Result<Region, AbiError> {
        Region::checked(address, byte_count, 1)
    }

    /// A region of `element_count` u16 values at byte address `address` (2-aligned).
    pub fn of_u16(address: usize, element_count: usize) -> Result<Region, AbiError> {
        Region::checked(address, element_count, 2)
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
    /// As [`Region::as_f32_slice`], for i32 values (the region came from `of_i32`).
    pub unsafe fn as_i32_slice<'a>(&self) -> &'a [i32] {
        // SAFETY: non-null, 4-aligned, `element_count` i32 inside linear memory (checked at
        // construction); no mutation during the borrow is the caller's contract.
        unsafe { core::slice::from_raw_parts(self.address as *const i32, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice_mut`], for bytes (the region came from `of_u8`).
    pub unsafe fn as_u8_slice_mut<'a>(&self) -> &'a mut [u8] {
        // SAFETY: non-null, `element_count` bytes inside linear memory (checked at
        // construction); exclusivity is the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut u8, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice`], for bytes (the region came from `of_u8`).
    pub unsafe fn as_u8_slice<'a>(&self) -> &'a [u8] {
        // SAFETY: non-null, `element_count` bytes inside linear memory (checked at
        // construction); no mutation during the borrow is the caller's contract.
        unsafe { core::slice::from_raw_parts(self.address as *const u8, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice`], for bytes read as i8 (the region came from `of_u8`).
    pub unsafe fn as_i8_slice<'a>(&self) -> &'a [i8] {
        // SAFETY: as for as_u8_slice; i8 has the size and alignment of u8.
        unsafe { core::slice::from_raw_parts(self.address as *const i8, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice_mut`], for bytes written as i8 (the region came from `of_u8`).
    pub unsafe fn as_i8_slice_mut<'a>(&self) -> &'a mut [i8] {
        // SAFETY: as for as_u8_slice_mut; i8 has the size and alignment of u8.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut i8, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice`], for u16 values (the region came from `of_u16`).
    pub unsafe fn as_u16_slice<'a>(&self) -> &'a [u16] {
        // SAFETY: non-null, 2-aligned, `element_count` u16 inside linear memory (checked at
        // construction); no mutation during the borrow is the caller's contract.
        unsafe { core::slice::from_raw_parts(self.address as *const u16, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice_mut`], for u16 values (the region came from `of_u16`).
    pub unsafe fn as_u16_slice_mut<'a>(&self) -> &'a mut [u16] {
        // SAFETY: non-null, 2-aligned, `element_count` u16 inside linear memory (checked at
        // construction); exclusivity is the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut u16, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice_mut`], for i32 values (the region came from `of_i32`).
    pub unsafe fn as_i32_slice_mut<'a>(&self) -> &'a mut [i32] {
        // SAFETY: non-null, 4-aligned, `element_count` i32 inside linear memory (checked at
        // construction); exclusivity is the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut i32, self.element_count) }
    }

    /// # Safety
    /// As [`Region::as_f32_slice`], for f64 values (the region came from `of_f64`, so the
    /// address is 8-aligned).
    pub unsafe fn as_f64_slice<'a>(&self) -> &'a [f64] {
        // SAFETY: non-null, 8-aligned, `element_count` f64 inside linear memory (checked at
        // construction); no mutation during the borrow is the caller's contract.
        unsafe { core::slice::from_raw_parts(self.address as *const f64, self.element_count) }
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
    // SAFETY: single-threaded and not re-entrant (the allocator calls no export), so this is
    // the only live reference to the heap.
    let heap = unsafe { &mut *HEAP.0.get() };
    let heap = heap.get_or_insert_with(|| crate::alloc::Heap::new(crate::alloc::WasmMemoryPages, heap_base()));
    action(heap)
}
