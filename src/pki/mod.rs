//! Certificate analysis with Go's crypto/x509 rules, on x509-parser.
//!
//! Docker, containerd and CRI-O are Go programs, so a certificate is good or bad by Go's
//! rules: [`verify`] reproduces `Certificate.Verify` (validity of the leaf, then the host
//! name, then leaf-in-roots, then chain building with Go's candidate order and its
//! "possibly because of" hint) and yields the single error line Go would print.
//! Pure: takes `now` as an argument, does no I/O.

pub mod bundle;
pub mod cert;
pub mod goparse;
pub mod summary;
pub mod verify;

pub use cert::{Cert, KeyKind, SigAlg};
pub use verify::{GoError, GoVerdict, HostnameError, Node, verify, verify_chain};

/// Formats a unix timestamp the way Go's `time.RFC3339` does for UTC times.
pub fn rfc3339(ts: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| ts.to_string()),
        Err(_) => ts.to_string(),
    }
}

/// A date for people: `2026-01-31 12:00:00 UTC`.
pub fn human_date(ts: i64) -> String {
    let fmt =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => t.format(&fmt).unwrap_or_else(|_| ts.to_string()),
        Err(_) => ts.to_string(),
    }
}
