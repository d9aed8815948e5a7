// ferry allocates many small strings and maps and frees them soon after; mimalloc does that
// markedly faster than the system allocator (README "Performance").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(ferry_cli::run());
}

#[path = "cli.rs"]
mod ferry_cli;
#[path = "show.rs"]
mod show;
