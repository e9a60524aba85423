//! The known error signatures: texts the Go-based runtimes (and Karbon) print, most
//! specific first. Each is a finding code, whose meaning and fix are on its check page
//! (`regdoctor explain CODE`), or one of the few signatures that are no finding of a check.

use crate::codes::Code;

/// What to run next for a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The registry's TLS: `--ca`.
    Tls,
    /// Plain HTTP: with daemon.json.
    PlainHttp,
    /// Authentication: with credentials.
    Auth,
    /// daemon.json alone.
    DaemonJson,
    /// containerd's hosts directory.
    Containerd,
    /// registries.conf.
    Containers,
    /// Karbon's runtime.
    Karbon,
    /// Docker's certs.d.
    CertsD,
}

/// What a signature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    /// A finding code: its page says what it means and how to fix it.
    Code(Code),
    /// Karbon's "private registry addition prechecks" failed: the cause is on another line.
    KarbonPrecheck,
}

/// Karbon's precheck: what it means (no check page has it).
const KARBON_MEANING: &str = "Karbon could not reach the registry when adding it; the cause is the Go error on the PrivateRegistryConnectivityCheck line of karbon_core.out";
/// Karbon's precheck: what to do.
const KARBON_FIX: &str = "diagnose the registry with the command below; Karbon 2.1.1 also cannot use registries that require authentication";

impl Id {
    /// The name in the triage report: the code's, or the signature's own.
    pub fn as_str(self) -> &'static str {
        match self {
            Id::Code(c) => c.as_str(),
            Id::KarbonPrecheck => "karbon_precheck",
        }
    }

    /// The finding code, when it is one.
    pub fn code(self) -> Option<Code> {
        match self {
            Id::Code(c) => Some(c),
            Id::KarbonPrecheck => None,
        }
    }

    /// What it means: the code page's "Meaning" paragraph.
    pub fn meaning(self) -> String {
        match self {
            Id::Code(c) => crate::checks::pages::meaning(c).unwrap_or_default(),
            Id::KarbonPrecheck => KARBON_MEANING.to_string(),
        }
    }

    /// How to fix it: the code page's "How to fix" paragraph.
    pub fn fix(self) -> String {
        match self {
            Id::Code(c) => crate::checks::pages::fix(c).unwrap_or_default(),
            Id::KarbonPrecheck => KARBON_FIX.to_string(),
        }
    }
}

/// One signature: the texts that identify it, and what to run next.
#[derive(Debug)]
pub struct Signature {
    /// What it is.
    pub id: Id,
    /// Substrings of a log line, any of which identifies it.
    pub needles: &'static [&'static str],
    /// What to run next.
    pub next: Next,
}

/// Most specific first: a line matching several signatures is reported under the first.
pub const SIGNATURES: &[Signature] = &[
    Signature {
        id: Id::Code(Code::WrongCa),
        needles: &[
            "possibly because of \"crypto/rsa: verification error\"",
            "possibly because of \"x509: ECDSA verification failure\"",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::WeakSignature),
        needles: &[
            "insecure algorithm SHA1",
            "insecure algorithm MD5",
            "insecure algorithm ECDSA-SHA1",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::SanIpMissing),
        needles: &[
            "doesn't contain any IP SANs",
            "x509: cannot validate certificate",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::CnOnly),
        needles: &["relies on legacy Common Name field"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::SanMismatch),
        needles: &[
            "x509: certificate is valid for",
            "x509: certificate is not valid for any names",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::Expired),
        needles: &["certificate has expired or is not yet valid"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::NotACa),
        needles: &["certificate is not authorized to sign other certificates"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::IncompatibleUsage),
        needles: &["certificate specifies an incompatible key usage"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::UnknownAuthority),
        needles: &["certificate signed by unknown authority"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::PlainHttp),
        needles: &["server gave HTTP response to HTTPS client"],
        next: Next::PlainHttp,
    },
    Signature {
        id: Id::Code(Code::HttpToTlsPort),
        needles: &["malformed HTTP response \"\\x15\\x03"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::NotTls),
        needles: &["first record does not look like a TLS handshake"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TlsClientCertRequired),
        needles: &[
            "remote error: tls: certificate required",
            "remote error: tls: bad certificate",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TlsProtocolTooOld),
        needles: &[
            "protocol version not supported",
            "server selected unsupported protocol version",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TlsAlert),
        needles: &["remote error: tls: handshake failure"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TlsHandshakeTimeout),
        needles: &["TLS handshake timeout"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TcpRefused),
        needles: &["connect: connection refused"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TcpUnreachable),
        needles: &[
            "connect: no route to host",
            "connect: network is unreachable",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::TcpTimeout),
        needles: &[
            "i/o timeout",
            "Client.Timeout exceeded while awaiting headers",
            "context deadline exceeded",
        ],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::DnsFailed),
        needles: &["no such host"],
        next: Next::Tls,
    },
    Signature {
        id: Id::Code(Code::CertsDClientPair),
        needles: &["for client certificate", "missing client certificate"],
        next: Next::CertsD,
    },
    Signature {
        id: Id::Code(Code::DaemonJsonUnknownKey),
        needles: &["the following directives don't match any configuration option"],
        next: Next::DaemonJson,
    },
    Signature {
        id: Id::Code(Code::DaemonJsonType),
        needles: &["into Go struct field Config."],
        next: Next::DaemonJson,
    },
    Signature {
        id: Id::Code(Code::DaemonJsonRemovedKey),
        needles: &[
            "the \"graph\" config file option is deprecated",
            "config parameter and the dockerd",
        ],
        next: Next::DaemonJson,
    },
    Signature {
        id: Id::Code(Code::DaemonJsonBadInsecureRegistry),
        needles: &[
            "should not contain '://'",
            "is not valid: invalid host",
            "is not valid: invalid port",
        ],
        next: Next::DaemonJson,
    },
    Signature {
        id: Id::Code(Code::DaemonJsonBadMirror),
        needles: &["invalid mirror:"],
        next: Next::DaemonJson,
    },
    Signature {
        id: Id::Code(Code::DaemonJsonSyntax),
        needles: &["unable to configure the Docker daemon with file"],
        next: Next::DaemonJson,
    },
    Signature {
        id: Id::Code(Code::HostsTomlSyntax),
        needles: &[
            "failed to decode hosts.toml",
            "hosts.toml\" error=",
            "/hosts.toml: ",
        ],
        next: Next::Containerd,
    },
    Signature {
        id: Id::Code(Code::HostsTomlCaUnreadable),
        needles: &["unable to read CA cert", "unable to load CA cert"],
        next: Next::Containerd,
    },
    Signature {
        id: Id::Code(Code::RegistriesConfMixedVersions),
        needles: &["mixing sysregistry v1/v2 is not supported"],
        next: Next::Containers,
    },
    Signature {
        id: Id::Code(Code::InsufficientScope),
        needles: &["insufficient_scope"],
        next: Next::Auth,
    },
    Signature {
        id: Id::Code(Code::TokenFailed),
        needles: &[
            "authorization server did not include a token",
            "failed to fetch oauth token",
            "failed to fetch anonymous token",
        ],
        next: Next::Auth,
    },
    Signature {
        id: Id::Code(Code::LoginFailed),
        needles: &[
            "unauthorized: incorrect username or password",
            "failed with status: 401 Unauthorized",
        ],
        next: Next::Auth,
    },
    Signature {
        id: Id::Code(Code::AuthRequired),
        needles: &[
            "no basic auth credentials",
            "unauthorized: authentication required",
            "pull access denied",
            "may require 'docker login'",
            "may require authorization",
        ],
        next: Next::Auth,
    },
    Signature {
        id: Id::KarbonPrecheck,
        needles: &[
            "Failed to pass private registry addition prechecks",
            "Failed to connect to private registry",
        ],
        next: Next::Karbon,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_has_a_meaning_and_a_fix_on_its_page() {
        let ids = SIGNATURES
            .iter()
            .map(|s| s.id)
            .chain([Id::Code(Code::NotYetValid)]);
        for id in ids {
            assert!(
                !id.meaning().is_empty(),
                "{}: no **Meaning:** on its page",
                id.as_str()
            );
            assert!(
                !id.fix().is_empty(),
                "{}: no **How to fix:** on its page",
                id.as_str()
            );
        }
    }

    #[test]
    fn ids_are_distinct() {
        let mut ids: Vec<&str> = SIGNATURES.iter().map(|s| s.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), SIGNATURES.len());
    }
}
