//! A certificate as the report shows it. Data only: the pki module fills it from a parsed
//! certificate; the report and the checks' evidence carry it.

use serde::Serialize;

/// One certificate of the presented chain, as shown in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CertSummary {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SANs, as `DNS:name` and `IP:addr` (the first `text::EVIDENCE_ITEMS` in the report).
    #[serde(serialize_with = "crate::text::ser_clipped_list")]
    pub san: Vec<String>,
    /// How many SANs it has, when there are more than the report lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub san_total: Option<usize>,
    /// SHA-256 fingerprint of the DER, hex with colons.
    pub sha256: String,
    /// Key type and size, e.g. "RSA 2048" or "ECDSA P-256".
    pub key: String,
    /// Signature algorithm, Go's name (e.g. "SHA256-RSA", "ECDSA-SHA256").
    pub signature: String,
    /// Whether basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// Whether subject equals issuer.
    pub self_signed: bool,
    /// The certificate's dates at the time of the run (what the date colour shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
}

/// A certificate's dates against the time of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// Within its dates, for more than 30 days.
    Valid,
    /// Within its dates, for less than 30 days.
    ExpiresSoon,
    /// Past its notAfter.
    Expired,
    /// Before its notBefore.
    NotYetValid,
}
