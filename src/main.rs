//! The `regdoctor` binary: a thin shell around [`regdoctor::cli::run`].
//!
//! All logic lives in the library so that tests can drive it in-process. `main` only
//! wires the process's arguments and standard streams to it and turns the result into
//! an exit status (0 pass/warn, 1 a check failed, 2 bad usage).

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    regdoctor::cli::run(std::env::args_os(), &mut stdout.lock(), &mut stderr.lock())
}
