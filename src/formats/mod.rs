//! Parsers of the file formats regdoctor reads, with positions where users need them,
//! and the rules Go applies to them. Pure: text in, data out.

pub mod httpproxy;
pub mod systemd;
pub mod toml;
