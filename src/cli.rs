//! The command line: `scriptorium run [--config FILE] [--input PATH]... [--output DIR]
//! [--threads N] [--quiet]`, `scriptorium completions SHELL`, `scriptorium man`.

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
}
