//! Large tables probed at random (the dedup index's band buckets and signatures, tens of
//! megabytes on a large corpus) spend much of their time in address translation: every probe
//! lands on another 4 KB page, and each miss of the translation cache walks the page tables —
//! twice over in a virtual machine. Backing them with 2 MB pages lets the translation cache
//! cover them. On Linux, where transparent huge pages are often enabled only for memory that
//! asks for them, this asks; elsewhere it does nothing.

/// Asks the kernel to back the whole 2 MB pages inside `v`'s buffer with huge pages. Best
/// called while the buffer is still mostly untouched; a hint only, never an error.
pub fn advise<T>(v: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let end = start + v.capacity() * std::mem::size_of::<T>();
        let (lo, hi) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if hi > lo {
            // SAFETY: madvise only changes how the kernel backs these pages, which lie inside
            // the vector's allocation; MADV_HUGEPAGE never changes their contents.
            unsafe {
                libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    /// Advising leaves the contents alone, for buffers large and small.
    #[test]
    fn contents_unchanged() {
        for n in [0usize, 10, 3 << 20] {
            let v: Vec<u32> = (0..n as u32).collect();
            super::advise(&v);
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
        }
    }
}
