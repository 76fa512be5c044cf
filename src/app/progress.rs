//! The progress line on stderr: documents (the bar and the ETA), input bytes and MB/s,
//! segments written and duplicates found, with rates rounded to what a person reads.
//!
//! Shown only when stderr is a terminal, the run is not `--quiet` and the crate is built with
//! the `cli` feature (the library without it has no terminal dependencies); otherwise every
//! call is a no-op.

use std::time::{Duration, Instant};

/// The progress of a run.
pub(crate) struct Progress {
    #[cfg(feature = "cli")]
    bar: Option<indicatif::ProgressBar>,
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    started: Instant,
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    last: Instant,
    bytes: u64,
    segments: u64,
    duplicates: u64,
}

/// How often the counters are redrawn.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
const REDRAW: Duration = Duration::from_millis(100);

impl Progress {
    /// A progress line over `documents` documents (`None` when their number is known only at
    /// the end, as for collections of records), hidden unless `visible`.
    pub(crate) fn new(documents: Option<u64>, visible: bool) -> Progress {
        #[cfg(not(feature = "cli"))]
        let _ = (documents, visible);
        let now = Instant::now();
        Progress {
            #[cfg(feature = "cli")]
            bar: visible.then(|| match documents {
                Some(n) => {
                    let pb = indicatif::ProgressBar::new(n);
                    pb.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} [{elapsed_precise}] {bar:30} {human_pos}/{human_len} \
                             documents, {msg}, eta {eta}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    pb
                }
                None => {
                    let pb = indicatif::ProgressBar::no_length();
                    pb.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} [{elapsed_precise}] {human_pos} documents, {msg}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                    );
                    pb
                }
            }),
            started: now,
            last: now,
            bytes: 0,
            segments: 0,
            duplicates: 0,
        }
    }

    /// Prints `line` on stderr above the progress line.
    pub(crate) fn println(&self, line: &str) {
        #[cfg(feature = "cli")]
        if let Some(pb) = &self.bar {
            pb.suspend(|| eprintln!("{line}"));
            return;
        }
        eprintln!("{line}");
    }

    /// One more document done: its raw bytes, written segments and duplicates found.
    pub(crate) fn document(&mut self, bytes: u64, segments: u64, duplicates: u64) {
        self.bytes += bytes;
        self.segments += segments;
        self.duplicates += duplicates;
        #[cfg(feature = "cli")]
        if let Some(pb) = &self.bar {
            pb.inc(1);
            let now = Instant::now();
            if now.duration_since(self.last) >= REDRAW {
                self.last = now;
                pb.set_message(counters(
                    self.bytes,
                    now.duration_since(self.started),
                    self.segments,
                    self.duplicates,
                ));
            }
        }
    }

    /// Removes the progress line.
    pub(crate) fn finish(&self) {
        #[cfg(feature = "cli")]
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// `12.3 MB at 4.1 MB/s, 10,345 segments, 210 duplicates`.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) fn counters(bytes: u64, elapsed: Duration, segments: u64, duplicates: u64) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        bytes as f64 / 1e6 / secs
    } else {
        0.0
    };
    format!(
        "{} at {}/s, {} segments, {} duplicates",
        megabytes(bytes),
        round_mb(rate),
        thousands(segments),
        thousands(duplicates)
    )
}

/// Bytes as megabytes, to three significant digits or one decimal.
pub(crate) fn megabytes(bytes: u64) -> String {
    round_mb(bytes as f64 / 1e6)
}

fn round_mb(mb: f64) -> String {
    if mb >= 100.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_counters() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(megabytes(12_345_678), "12.3 MB");
        assert_eq!(megabytes(523_456_789), "523 MB");
        assert_eq!(
            counters(50_000_000, Duration::from_secs(4), 10_345, 210),
            "50.0 MB at 12.5 MB/s, 10,345 segments, 210 duplicates"
        );
    }
}
