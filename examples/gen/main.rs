//! Write a synthetic compose project of N services (for benchmarks):
//!
//! ```sh
//! cargo run --release --example gen -- 1000 target/bench/1000
//! ```
//!
//! writes `compose.yaml`, `.env` and `common.env` into the directory (default
//! `target/bench/<N>`) and prints the compose file's path.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod project;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (n, dir) = match args.as_slice() {
        [n] => (n, None),
        [n, dir] => (n, Some(PathBuf::from(dir))),
        _ => {
            eprintln!("usage: cargo run --example gen -- N [DIR]");
            return ExitCode::from(2);
        }
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("gen: N must be a number of services, got `{n}`");
        return ExitCode::from(2);
    };
    if n == 0 {
        eprintln!("gen: N must be at least 1");
        return ExitCode::from(2);
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from(format!("target/bench/{n}")));
    match project::write_project(&dir, n) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen: cannot write {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
