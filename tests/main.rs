//! The one integration-test binary (one link of tokio, rustls and hyper on a 2-core CI).

// Tests stop loudly on unexpected errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod cli;
mod common;
mod fidelity;
mod httpproxy_go;
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
