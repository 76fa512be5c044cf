//! The `scriptorium` binary: parse the command line, call the library, map the result to an
//! exit code (0 success, 1 fatal run error, 2 bad usage or configuration).

use std::path::Path;
use std::process::ExitCode;

mod cli;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use scriptorium::{merge, run, run_shard, Config, RunError, RunOptions, ShardOutcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "scriptorium",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (`| head`) is not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("scriptorium: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Run(args) => {
            let mut cfg = match load_config(args.config.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if !args.input.is_empty() {
                cfg.input.paths = args.input.clone();
            }
            if let Some(o) = &args.output {
                cfg.output.dir = o.clone();
            }
            let opts = RunOptions {
                threads: args.threads.unwrap_or(0),
                quiet: args.quiet,
            };
            let lines = match args.shard {
                None => run(&cfg, &opts).map(|s| s.lines()),
                Some(spec) => run_shard(&cfg, &opts, spec).map(|o| match o {
                    ShardOutcome::Written(s) => s.lines(),
                    ShardOutcome::AlreadyComplete => vec![format!(
                        "shard {spec} already complete in {}",
                        cfg.output.dir.display()
                    )],
                }),
            };
            finish(lines, args.quiet)
        }
        Command::Merge(args) => {
            let mut cfg = match load_config(args.config.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if let Some(o) = &args.output {
                cfg.output.dir = o.clone();
            }
            let opts = RunOptions {
                threads: 1,
                quiet: args.quiet,
            };
            finish(
                merge(&cfg, &args.shards, &opts).map(|s| s.lines()),
                args.quiet,
            )
        }
    }
}

/// The configuration: `path`, else `./pipeline.toml` if present, else the defaults. A bad one is
/// reported and gives exit status 2.
fn load_config(path: Option<&Path>) -> Result<Config, ExitCode> {
    let cfg = match path {
        Some(p) => Config::from_file(p),
        None if Path::new("pipeline.toml").is_file() => {
            Config::from_file(Path::new("pipeline.toml"))
        }
        None => Ok(Config::default()),
    };
    cfg.map_err(|e| {
        eprintln!("scriptorium: {e}");
        ExitCode::from(2)
    })
}

/// Prints the summary (unless `quiet`) or the error, and maps the result to the exit status.
fn finish(result: Result<Vec<String>, RunError>, quiet: bool) -> ExitCode {
    match result {
        Ok(lines) => {
            if !quiet {
                for line in lines {
                    eprintln!("scriptorium: {line}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scriptorium: {e}");
            // Inputs that cannot be told apart (the same one twice), shard folders that do not
            // belong together: usage errors.
            if e.is_usage() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
