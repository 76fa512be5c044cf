//! The CPU time of the calling thread, for the per-stage timings of `report.json`.
//!
//! Wall-clock laps count the time a thread waits for a core: with `--threads 2` on two cores
//! the workers and the thread that writes the output share them, and on a busy machine every
//! lap grows. The thread's own CPU clock (user + system time) measures the work alone. Reading
//! it is a system call (about a microsecond), too dear for every lap of every document, so a
//! [`Meter`] reads it once at the start and once at the end of a document and gives each
//! wall-clock lap its share of the CPU time. Platforms without a per-thread CPU clock fall back
//! to wall time.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The calling thread's CPU time, on the platforms with a per-thread CPU clock.
#[allow(unreachable_code)]
fn thread_cpu() -> Option<Duration> {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    ))]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes one `timespec` through the valid pointer it is given.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        return (rc == 0 && ts.tv_sec >= 0 && (0..1_000_000_000).contains(&ts.tv_nsec))
            .then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
    }
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

/// The calling thread's CPU time, when the platform has the clock.
fn now() -> Option<Duration> {
    if cpu_clock_works() {
        thread_cpu()
    } else {
        None
    }
}

/// Measures a stretch of work on one thread in wall time and CPU time.
pub struct Meter {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Meter {
    pub fn start() -> Meter {
        Meter {
            cpu: now(),
            wall: Instant::now(),
        }
    }

    /// The wall time since the start (no system call).
    pub fn wall(&self) -> Duration {
        self.wall.elapsed()
    }

    /// The wall time since the start, and the part of it the thread spent on a core (in
    /// `[0, 1]`; 1 without a CPU clock): the factor that turns the stretch's wall-clock laps
    /// into CPU time.
    pub fn finish(&self) -> (Duration, f64) {
        let wall = self.wall.elapsed();
        let share = match (self.cpu, now()) {
            (Some(a), Some(b)) if !wall.is_zero() => {
                (b.saturating_sub(a).as_secs_f64() / wall.as_secs_f64()).clamp(0.0, 1.0)
            }
            _ => 1.0,
        };
        (wall, share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work counts as CPU time; sleeping does not.
    #[test]
    fn work_counts_sleep_does_not() {
        let m = Meter::start();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let (wall, share) = m.finish();
        assert!(!wall.is_zero() && share > 0.0 && share <= 1.0);
        let m = Meter::start();
        std::thread::sleep(Duration::from_millis(50));
        let (wall, share) = m.finish();
        assert!(wall >= Duration::from_millis(50));
        if clock_name() == "thread_cpu" {
            assert!(share < 0.5, "{share}");
        }
    }
}
