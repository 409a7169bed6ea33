//! `chaos`: the command line. Argument parsing and wiring only; every
//! concern lives in a library crate (experiment, engine, drivers).

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod console;
mod logfile;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Usage errors exit 2 through clap; everything else returns its own code.
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            console::error_line(&format!("{e:#}"));
            ExitCode::from(1)
        }
    }
}
