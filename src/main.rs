//! The `sigmoid-kernels` command: `bench` (the default), `accuracy`, `plot`
//! and `apply`. Everything lives in the `cli` module; `--help` explains each
//! subcommand.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
