//! The `scriptorium` binary: parse the command line, call the library, map the result to an
//! exit code (0 success, 1 fatal run error, 2 bad usage or configuration).

use std::path::Path;
use std::process::ExitCode;

mod cli;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use scriptorium::{run, Config, RunError, RunOptions};

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
            let cfg = match &args.config {
                Some(p) => Config::from_file(p),
                None if Path::new("pipeline.toml").is_file() => {
                    Config::from_file(Path::new("pipeline.toml"))
                }
                None => Ok(Config::default()),
            };
            let mut cfg = match cfg {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("scriptorium: {e}");
                    return ExitCode::from(2);
                }
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
            match run(&cfg, &opts) {
                Ok(s) => {
                    if !args.quiet {
                        for line in s.lines() {
                            eprintln!("scriptorium: {line}");
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("scriptorium: {e}");
                    // Inputs that cannot be told apart (the same one twice) are a usage error.
                    match &e {
                        RunError::Input(ie) if ie.is_usage() => ExitCode::from(2),
                        _ => ExitCode::from(1),
                    }
                }
            }
        }
    }
}
