//! Fuzz targets for regdoctor's parsers (see docs/fuzzing.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod mutate;
pub mod targets;

pub use targets::{TARGETS, Target, by_name};
