//! regdoctor finds out why a container runtime cannot talk to a private registry.
//!
//! Data flows one way:
//!
//! ```text
//! cli → target → probe (network, async, one deadline) ─┐
//!              → local (files: --ca, system roots)  ───┴→ facts → checks → report → render
//! ```
//!
//! | module | owns | must not |
//! |---|---|---|
//! | [`cli`] | argument parsing, exit codes, colour decision | hold diagnosis logic |
//! | [`target`] | parsing `host:port` / URLs | do I/O |
//! | [`probe`] | DNS, TCP, TLS, HTTP under one deadline → facts | judge anything |
//! | [`local`] | reading files into facts | judge anything |
//! | [`pki`] | Go-compatible (crypto/x509) certificate analysis | do I/O or read the clock |
//! | [`facts`] | plain data: the evidence | do I/O |
//! | [`checks`] | pure functions of facts → findings | do I/O, read env or clock |
//! | [`report`] | the serde model and JSON contract | know about colours |
//! | [`render`] | report → text (human, JSON) | read env, terminal or clock |

pub mod challenge;
pub mod checks;
pub mod cli;
pub mod codes;
pub mod explain;
pub mod facts;
pub mod formats;
pub mod jsonpos;
pub mod local;
pub mod pki;
pub mod probe;
pub mod render;
pub mod report;
pub mod runtimes;
pub mod secret;
pub mod target;
pub mod triage;
