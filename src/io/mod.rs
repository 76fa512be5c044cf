//! The pipeline's edges: the inputs listed and read, the output files written and committed, the
//! run report.

pub mod checkpoint;
pub mod html;
pub mod input;
pub mod outdir;
pub mod output;
pub mod parquet;
pub mod records;
pub mod report;
pub mod shard;
