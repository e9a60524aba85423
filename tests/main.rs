//! The one integration-test binary (one link of tokio, rustls and hyper on a 2-core CI).

// Tests stop loudly on unexpected errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod bounded;
mod cli;
mod common;
mod fidelity;
mod httpproxy_go;
// The fuzz targets and their mutation loop, shared with fuzz/ (docs/fuzzing.md).
#[path = "../fuzz/src/mutate.rs"]
#[allow(dead_code)]
mod fuzz_mutate;
mod fuzz_smoke;
#[path = "../fuzz/src/targets.rs"]
#[allow(dead_code)]
mod fuzz_targets;
mod image;
mod node_config;
mod node_runtimes;
mod registry;
mod runtimes;
mod schema;
mod snapshots;
mod tls;
mod triage;
mod watch;
