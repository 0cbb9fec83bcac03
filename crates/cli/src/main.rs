//! `trailscope`: offline CloudTrail inspection and verification from the command line.
//!
//! Exit codes follow one rule for every command: 0 when everything read (or verified) is fine,
//! 1 when some input failed or was found invalid (the rest is still reported), 2 on usage errors.
#![forbid(unsafe_code)]

mod inspect;
mod load;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Offline CloudTrail analysis: nothing leaves this machine.
#[derive(Parser, Debug)]
#[command(name = "trailscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read CloudTrail files, folders and ZIP archives and report what they hold.
    Inspect {
        /// Print a JSON report instead of a table.
        #[arg(long)]
        json: bool,
        /// Files, folders (read recursively) and ZIP archives.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { json, paths } => inspect::run(&paths, json),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trailscope: {e:#}");
            ExitCode::from(2)
        }
    }
}
