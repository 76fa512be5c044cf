//! The CPU time of the calling thread, for the per-stage timings of `report.json`.
//!
//! Wall-clock laps count the time a thread waits for a core: with `--threads 2` on two cores
//! the workers and the thread that writes the output share them, and on a busy machine every
//! lap grows. The thread's own CPU clock (user + system time) measures the work alone.
//! Platforms without a per-thread CPU clock fall back to wall time, for the whole process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
))]
fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes one `timespec` through the valid pointer it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0 && ts.tv_sec >= 0 && (0..1_000_000_000).contains(&ts.tv_nsec))
        .then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
)))]
fn thread_cpu() -> Option<Duration> {
    None
}

/// Whether this process measures thread CPU time (decided once, so laps never mix clocks).
fn cpu_clock_works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| thread_cpu().is_some())
}

/// What the stage laps are measured in: `"thread_cpu"` or `"wall"`.
pub fn clock_name() -> &'static str {
    if cpu_clock_works() {
        "thread_cpu"
    } else {
        "wall"
    }
}

/// A reading of the lap clock: the calling thread's CPU time, or wall time since the process
/// first asked. Only differences of two readings on one thread mean anything.
pub fn now() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    if cpu_clock_works() {
        if let Some(d) = thread_cpu() {
            return d;
        }
    }
    START.get_or_init(Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clock counts work done and never runs backwards.
    #[test]
    fn counts_work_monotonically() {
        let a = now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = now();
        assert!(b > a, "{a:?} -> {b:?}");
    }
}
