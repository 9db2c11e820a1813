//! A global allocator that counts allocations per thread, for the tests
//! that check that reading, mapping and batching allocate only while their
//! buffers grow. Shared by the crates' `alloc` test binaries with
//! `#[path]`, since each needs it as its own global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    // Per thread: the tests of a binary run in parallel.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCS.with(|a| a.set(a.get() + 1));
}

/// Allocations (and reallocations) made by this thread so far.
pub fn allocations() -> usize {
    ALLOCS.with(Cell::get)
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new)
    }
}
