//! The process's allocator: small blocks from mimalloc, blocks of [`LARGE`] and more from glibc
//! — in the services, each in a mapping of its own that goes back to the system when freed.
//!
//! Why two. An API request is a few hundred small allocations on whichever tokio thread runs it;
//! glibc's per-thread arenas, their locks and the consolidation of freed chunks were a tenth of
//! the API's CPU, and with mimalloc the same load took a fifth less CPU per request
//! (`bench/api.sh`). But mimalloc keeps freed memory to reuse it and purges it only as the
//! thread that freed it allocates again: one password hash (Argon2's 19 MiB, on a blocking
//! thread that then sits idle) stayed resident in an idle API. glibc with a fixed mapping
//! threshold unmaps such a block the moment it is freed. No allocator crate splits by size, and
//! the split is a comparison, so it is written here.

use std::alloc::{GlobalAlloc, Layout, System};

/// From this size on, a block is glibc's, in its own mapping.
const LARGE: usize = 1 << 20;

pub struct SplitBySize;

#[global_allocator]
static ALLOCATOR: SplitBySize = SplitBySize;

/// Sets glibc's mapping threshold to [`LARGE`], once, before any thread starts (the services
/// call it). By default the threshold rises to the size of every mapped block freed, after
/// which the next such block comes from a thread's heap and stays resident when freed.
#[allow(unsafe_code)]
pub fn return_large_blocks_when_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE as libc::c_int);
    }
}

fn is_large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: every block is freed, resized and zeroed by the allocator that made it: which one is
// decided by the block's size, which the caller passes back unchanged (`GlobalAlloc`'s
// contract), and a resize that crosses `LARGE` moves the block from one to the other.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for SplitBySize {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe {
            if is_large(layout.size()) {
                System.alloc(layout)
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe {
            if is_large(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `layout` is the one the block was made with, so its size names its allocator.
        unsafe {
            if is_large(layout.size()) {
                System.dealloc(ptr, layout)
            } else {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: resized by its own allocator when it stays on one side; otherwise copied into
        // a block of the other side's (the smaller of the two sizes) and freed by its own.
        unsafe {
            match (is_large(layout.size()), is_large(new_size)) {
                (true, true) => System.realloc(ptr, layout, new_size),
                (false, false) => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
                _ => {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_bytes_across_the_size_line() {
        // Grown from small to large and shrunk back: each move keeps what was written.
        let mut v: Vec<u8> = (0..=255).cycle().take(1000).collect();
        v.reserve_exact(LARGE * 2);
        v.extend((0..=255u8).cycle().take(LARGE));
        assert!(v.capacity() >= LARGE);
        assert!(v[..1000].iter().zip((0..=255u8).cycle()).all(|(a, b)| *a == b));
        v.truncate(500);
        v.shrink_to_fit();
        assert!(v.capacity() < LARGE);
        assert!(v.iter().zip((0..=255u8).cycle()).all(|(a, b)| *a == b));
        let zeroed = vec![0u64; LARGE / 4];
        assert!(zeroed.iter().all(|&x| x == 0));
        #[allow(clippy::useless_vec)] // on the heap on purpose: mimalloc's zeroed blocks
        let small_zeroed = vec![0u64; 16];
        assert!(small_zeroed.iter().all(|&x| x == 0));
    }
}
