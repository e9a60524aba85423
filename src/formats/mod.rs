//! Parsers of the file formats regdoctor reads, with positions where users need them.
//! Pure: text in, data out.

pub mod systemd;
