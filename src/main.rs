fn main() {
    std::process::exit(ferry_cli::run());
}

#[path = "cli.rs"]
mod ferry_cli;
