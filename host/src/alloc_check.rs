//! (Unit tests only.) The test binary's allocator, which can tell whether
//! memory went back to the system while it still held given bytes: a copy
//! of a secret that nobody wiped. Off, it only passes calls to the system
//! allocator; on ([`freed_holding`]), every block freed or moved by a
//! reallocation is searched first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// At most this many byte strings are looked for, each at most
/// [`NEEDLE_MAX`] bytes (fixed arrays: the allocator must not allocate).
const NEEDLES: usize = 4;
const NEEDLE_MAX: usize = 128;

struct Needles {
    bytes: [[u8; NEEDLE_MAX]; NEEDLES],
    lens: [usize; NEEDLES],
}

static ARMED: AtomicBool = AtomicBool::new(false);
static LOOKING_FOR: Mutex<Needles> = Mutex::new(Needles {
    bytes: [[0; NEEDLE_MAX]; NEEDLES],
    lens: [0; NEEDLES],
});
static FOUND: AtomicUsize = AtomicUsize::new(0);
/// One search at a time.
static SESSION: Mutex<()> = Mutex::new(());

struct Checking;

impl Checking {
    /// Counts a block about to be given back that holds a needle.
    ///
    /// # Safety
    /// `ptr` must point to `size` readable bytes.
    unsafe fn inspect(ptr: *const u8, size: usize) {
        if !ARMED.load(Ordering::Acquire) || size == 0 {
            return;
        }
        // SAFETY: the caller's promise.
        let block = unsafe { std::slice::from_raw_parts(ptr, size) };
        let needles = LOOKING_FOR.lock().unwrap_or_else(|e| e.into_inner());
        for (bytes, &len) in needles.bytes.iter().zip(&needles.lens) {
            if len > 0 && memchr::memmem::find(block, &bytes[..len]).is_some() {
                FOUND.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}

// SAFETY: every call is passed on to `System` with the same arguments; a
// reallocation while armed is an allocation, a copy and a free.
unsafe impl GlobalAlloc for Checking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: a live block of `layout.size()` bytes.
        unsafe {
            Checking::inspect(ptr, layout.size());
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !ARMED.load(Ordering::Acquire) {
            // SAFETY: as the caller promised.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: `new_size` with the old alignment is a valid layout (the
        // caller's promise); the old block is live for `layout.size()`.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = System.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[global_allocator]
static ALLOCATOR: Checking = Checking;

/// Runs `run` and returns how many blocks were freed (or moved away from
/// by a reallocation) while still holding one of `needles`, by any thread
/// of the test binary. Needles must be specific to the caller (random
/// secrets), so that other tests running meanwhile cannot match them.
pub(crate) fn freed_holding(needles: &[&[u8]], run: impl FnOnce()) -> usize {
    assert!(needles.len() <= NEEDLES);
    let _one = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    {
        let mut looking = LOOKING_FOR.lock().unwrap_or_else(|e| e.into_inner());
        for (i, needle) in needles.iter().enumerate() {
            assert!(!needle.is_empty() && needle.len() <= NEEDLE_MAX);
            looking.bytes[i][..needle.len()].copy_from_slice(needle);
            looking.lens[i] = needle.len();
        }
    }
    FOUND.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Release);
    run();
    ARMED.store(false, Ordering::Release);
    let mut looking = LOOKING_FOR.lock().unwrap_or_else(|e| e.into_inner());
    looking.lens = [0; NEEDLES];
    FOUND.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checker finds what it looks for: a copy dropped unwiped, and
    /// the old block of a growing vector.
    #[test]
    fn unwiped_copies_are_found_and_wiped_ones_are_not() {
        let needle = *b"alloc-check needle 5b1f0c7e9a";
        let dropped = freed_holding(&[&needle], || {
            drop(needle.to_vec());
        });
        assert_eq!(dropped, 1);
        let grown = freed_holding(&[&needle], || {
            let mut v = Vec::with_capacity(needle.len());
            v.extend_from_slice(&needle);
            v.extend_from_slice(&[0; 4096]);
            zeroize::Zeroize::zeroize(&mut v);
        });
        assert_eq!(grown, 1, "the moved-from block held the needle");
        let wiped = freed_holding(&[&needle], || {
            drop(zeroize::Zeroizing::new(needle.to_vec()));
        });
        assert_eq!(wiped, 0);
    }
}
