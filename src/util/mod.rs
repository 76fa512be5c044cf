//! Helpers with no text logic: stage clocks, CPU time, CPU features, memory advice.

pub mod clock;
pub mod cpu;
pub mod cputime;
pub mod hugepages;
