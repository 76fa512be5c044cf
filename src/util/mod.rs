//! Helpers with no text logic: stage clocks, CPU time, memory advice.

pub mod clock;
pub mod cputime;
pub mod hugepages;
