//! The `glimpse` command line: the same core as the web app, on files.

#[cfg(not(target_family = "wasm"))]
mod cli;

#[cfg(not(target_family = "wasm"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(target_family = "wasm")]
fn main() {}
