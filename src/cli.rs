//! The command line: `scriptorium run [--config FILE] [--input PATH]... [--output DIR]
//! [--threads N] [--quiet] [--shard K/N]`, `scriptorium merge SHARD_DIR... [--output DIR]
//! [--config FILE]`, `scriptorium completions SHELL`, `scriptorium man`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Turn a folder of raw multilingual documents into clean, segmented, language-tagged,
/// deduplicated JSONL.
#[derive(Debug, Parser)]
#[command(name = "scriptorium", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline: decode, normalize, recover structure, segment, tag script and
    /// language, deduplicate, and write segments.jsonl, duplicates.jsonl, documents.jsonl and
    /// report.json into the output folder.
    ///
    /// Exit status: 0 success; 2 bad usage or bad configuration (also: two inputs that would
    /// have the same document id, e.g. `-` or one file given twice); 1 a fatal run error (an
    /// input root cannot be read, the output cannot be written). A single unreadable or
    /// undecodable input file, or a folder entry that is not read (an unreadable subfolder, a
    /// FIFO, a broken or looping link) is not fatal: it is recorded in documents.jsonl with its
    /// status, counted in the report and warned about on stderr.
    Run(RunArgs),
    /// Merge the shard folders of one sharded run (`run --shard K/N`, for every K) into one
    /// output set: the dedup decisions over all documents in input order, then the same files
    /// a single run writes, byte for byte (timing.json aside).
    ///
    /// Exit status: 0 success; 2 the folders are not all the shards of one run of this
    /// configuration (a shard missing or given twice, another shard count, configuration or
    /// input list); 1 a shard file cannot be read or is damaged, or the output cannot be
    /// written.
    Merge(MergeArgs),
    /// Print a shell completion script to stdout (e.g. `scriptorium completions bash >
    /// ~/.local/share/bash-completion/completions/scriptorium`).
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout (e.g. `scriptorium man | man -l -`).
    Man,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Configuration file [default: ./pipeline.toml if present, else built-in defaults].
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Input file or folder (repeatable; folders are walked recursively in sorted order,
    /// following links to folders; `-` is standard input; .gz and .zst are decompressed).
    /// Overrides `[input] paths`.
    #[arg(long, short = 'i', value_name = "PATH")]
    pub input: Vec<PathBuf>,
    /// Output folder. Overrides `[output] dir`.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Worker threads [default: one per core; at most 4 per core, more are capped with a
    /// warning]. The output is the same for any value.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar, warnings or summary on stderr (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Process only shard K of N (K from 0 to N-1): the K-th of N contiguous ranges of the
    /// sorted input files, written before the dedup decisions into the output folder, for
    /// `scriptorium merge`. A folder already holding this complete shard is left as it is.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<scriptorium::ShardSpec>,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shard folders (each written by `run --shard K/N`), in any order.
    #[arg(value_name = "SHARD_DIR", required = true)]
    pub shards: Vec<PathBuf>,
    /// Output folder. Overrides `[output] dir`.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Configuration file, the one the shards were run with [default: ./pipeline.toml if
    /// present, else built-in defaults].
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress bar or summary on stderr (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
