//! `regdoctor triage`: reads log text (karbon_core.out, `journalctl -u docker` or
//! `-u containerd`, `kubectl describe pod` events), finds every known registry error
//! signature, and for each distinct one says what it means, how to fix it, and which
//! regdoctor command to run next. Streams the input once, matching all signatures at the
//! same time (Aho-Corasick), so multi-megabyte logs take linear time.

use std::io::BufRead;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;

use crate::codes::Code;

/// The most of one line held in memory at once.
const MAX_LINE: u64 = 1 << 20;

/// What to run next for a signature.
#[derive(Debug, Clone, Copy)]
enum Next {
    Tls,
    PlainHttp,
    Auth,
    DaemonJson,
    Containerd,
    Containers,
    Karbon,
    CertsD,
}

struct Signature {
    id: &'static str,
    needles: &'static [&'static str],
    code: Option<Code>,
    meaning: &'static str,
    fix: &'static str,
    next: Next,
}

/// Most specific first: a line matching several signatures is reported under the first.
const SIGNATURES: &[Signature] = &[
    Signature {
        id: "wrong_ca",
        needles: &[
            "possibly because of \"crypto/rsa: verification error\"",
            "possibly because of \"x509: ECDSA verification failure\"",
        ],
        code: Some(Code::WrongCa),
        meaning: "a trusted CA has the issuer's name but a different key: the CA was re-created after the server's certificate was issued",
        fix: "install the CA that really issued the registry's certificate (or re-issue the certificate with the current CA)",
        next: Next::Tls,
    },
    Signature {
        id: "weak_signature",
        needles: &[
            "insecure algorithm SHA1",
            "insecure algorithm MD5",
            "insecure algorithm ECDSA-SHA1",
        ],
        code: Some(Code::WeakSignature),
        meaning: "a certificate is signed with SHA-1/MD5, which Go 1.24+ refuses",
        fix: "re-issue the certificate with -sha256",
        next: Next::Tls,
    },
    Signature {
        id: "san_ip_missing",
        needles: &[
            "doesn't contain any IP SANs",
            "x509: cannot validate certificate",
        ],
        code: Some(Code::SanIpMissing),
        meaning: "the registry is dialled by IP and its certificate has no IP SANs",
        fix: "re-issue the certificate with subjectAltName=IP:<the registry's IP>",
        next: Next::Tls,
    },
    Signature {
        id: "cn_only",
        needles: &["relies on legacy Common Name field"],
        code: Some(Code::CnOnly),
        meaning: "the certificate has only a Common Name, which Go ignores since 1.15",
        fix: "re-issue it with a subjectAltName",
        next: Next::Tls,
    },
    Signature {
        id: "san_mismatch",
        needles: &[
            "x509: certificate is valid for",
            "x509: certificate is not valid for any names",
        ],
        code: Some(Code::SanMismatch),
        meaning: "the certificate's names do not include the name or IP the runtime dialled",
        fix: "re-issue the certificate with the right SAN, or pull by a name it holds",
        next: Next::Tls,
    },
    Signature {
        id: "expired",
        needles: &["certificate has expired or is not yet valid"],
        code: Some(Code::Expired),
        meaning: "a certificate of the chain is outside its validity dates",
        fix: "renew it (or fix this node's clock if the time is before its start)",
        next: Next::Tls,
    },
    Signature {
        id: "not_a_ca",
        needles: &["certificate is not authorized to sign other certificates"],
        code: Some(Code::NotACa),
        meaning: "a non-CA certificate is used as an issuer in the chain",
        fix: "send only the server certificate and its real intermediates",
        next: Next::Tls,
    },
    Signature {
        id: "incompatible_usage",
        needles: &["certificate specifies an incompatible key usage"],
        code: Some(Code::IncompatibleUsage),
        meaning: "the certificate is not for TLS servers (extended key usage)",
        fix: "re-issue it with extendedKeyUsage=serverAuth",
        next: Next::Tls,
    },
    Signature {
        id: "unknown_authority",
        needles: &["certificate signed by unknown authority"],
        code: Some(Code::UnknownAuthority),
        meaning: "the registry's CA is not trusted on this node (or the server does not send its intermediate)",
        fix: "install the registry's CA on every node (certs.d / hosts.toml), or serve the full chain",
        next: Next::Tls,
    },
    Signature {
        id: "plain_http",
        needles: &["server gave HTTP response to HTTPS client"],
        code: Some(Code::PlainHttp),
        meaning: "the registry speaks plain HTTP and the runtime insists on HTTPS",
        fix: "serve TLS, or declare the registry insecure (insecure-registries / hosts.toml server = \"http://…\" / registries.conf insecure = true)",
        next: Next::PlainHttp,
    },
    Signature {
        id: "http_to_tls_port",
        needles: &["malformed HTTP response \"\\x15\\x03"],
        code: None,
        meaning: "plain HTTP was spoken to a TLS port (the registry is listed insecure but serves HTTPS)",
        fix: "remove the registry from insecure-registries and trust its CA instead",
        next: Next::Tls,
    },
    Signature {
        id: "not_tls",
        needles: &["first record does not look like a TLS handshake"],
        code: Some(Code::NotTls),
        meaning: "the port serves something that is neither TLS nor HTTP: probably the wrong port",
        fix: "use the registry's port",
        next: Next::Tls,
    },
    Signature {
        id: "tls_client_cert_required",
        needles: &[
            "remote error: tls: certificate required",
            "remote error: tls: bad certificate",
        ],
        code: Some(Code::TlsClientCertRequired),
        meaning: "the registry requires a client certificate (mutual TLS)",
        fix: "install the client certificate and key for the registry on every node",
        next: Next::Tls,
    },
    Signature {
        id: "tls_protocol_too_old",
        needles: &[
            "protocol version not supported",
            "server selected unsupported protocol version",
        ],
        code: Some(Code::TlsProtocolTooOld),
        meaning: "the registry only speaks TLS older than 1.2",
        fix: "enable TLS 1.2/1.3 on the registry or its proxy",
        next: Next::Tls,
    },
    Signature {
        id: "tls_alert",
        needles: &["remote error: tls: handshake failure"],
        code: Some(Code::TlsAlert),
        meaning: "the registry refused the TLS handshake",
        fix: "check the registry's TLS log (ciphers, client certificate)",
        next: Next::Tls,
    },
    Signature {
        id: "tls_handshake_timeout",
        needles: &["TLS handshake timeout"],
        code: Some(Code::TlsHandshakeTimeout),
        meaning: "TCP connected but no TLS handshake completed",
        fix: "check what listens on the port and any proxy or firewall in between",
        next: Next::Tls,
    },
    Signature {
        id: "tcp_refused",
        needles: &["connect: connection refused"],
        code: Some(Code::TcpRefused),
        meaning: "nothing listens on the registry's port",
        fix: "start the registry or fix the port; check firewalls that reject it",
        next: Next::Tls,
    },
    Signature {
        id: "tcp_unreachable",
        needles: &[
            "connect: no route to host",
            "connect: network is unreachable",
        ],
        code: Some(Code::TcpUnreachable),
        meaning: "the node has no route to the registry",
        fix: "check the address and routing (`ip route get <ip>`)",
        next: Next::Tls,
    },
    Signature {
        id: "tcp_timeout",
        needles: &[
            "i/o timeout",
            "Client.Timeout exceeded while awaiting headers",
            "context deadline exceeded",
        ],
        code: Some(Code::TcpTimeout),
        meaning: "no answer from the registry in time: a firewall drops the traffic, or the IP is wrong",
        fix: "open the port between node and registry; check the IP",
        next: Next::Tls,
    },
    Signature {
        id: "dns_failed",
        needles: &["no such host"],
        code: Some(Code::DnsFailed),
        meaning: "the registry's name does not resolve on this node",
        fix: "add it to DNS or /etc/hosts on every node",
        next: Next::Tls,
    },
    Signature {
        id: "certs_d_client_pair",
        needles: &["for client certificate", "missing client certificate"],
        code: Some(Code::CertsDClientPair),
        meaning: "certs.d holds a .cert without its .key (often a CA saved as ca.cert) or a .key without its .cert",
        fix: "rename a CA to .crt, or add the missing half of the pair",
        next: Next::CertsD,
    },
    Signature {
        id: "daemon_json_unknown_key",
        needles: &["the following directives don't match any configuration option"],
        code: Some(Code::DaemonJsonUnknownKey),
        meaning: "daemon.json has a key dockerd does not know: dockerd does not start",
        fix: "rename or delete the key",
        next: Next::DaemonJson,
    },
    Signature {
        id: "daemon_json_type",
        needles: &["into Go struct field Config."],
        code: Some(Code::DaemonJsonType),
        meaning: "a daemon.json value has the wrong JSON type: dockerd does not start",
        fix: "write the value with the right type",
        next: Next::DaemonJson,
    },
    Signature {
        id: "daemon_json_removed_key",
        needles: &[
            "the \"graph\" config file option is deprecated",
            "config parameter and the dockerd",
        ],
        code: Some(Code::DaemonJsonRemovedKey),
        meaning: "daemon.json uses a key this Docker version removed",
        fix: "replace it (graph → data-root) or delete it",
        next: Next::DaemonJson,
    },
    Signature {
        id: "daemon_json_bad_insecure_registry",
        needles: &[
            "should not contain '://'",
            "is not valid: invalid host",
            "is not valid: invalid port",
        ],
        code: Some(Code::DaemonJsonBadInsecureRegistry),
        meaning: "an insecure-registries entry is invalid: dockerd does not start",
        fix: "write host, host:port or a CIDR",
        next: Next::DaemonJson,
    },
    Signature {
        id: "daemon_json_bad_mirror",
        needles: &["invalid mirror:"],
        code: Some(Code::DaemonJsonBadMirror),
        meaning: "a registry-mirrors entry is invalid: dockerd does not start",
        fix: "write the mirror as https://host[:port]",
        next: Next::DaemonJson,
    },
    Signature {
        id: "daemon_json_syntax",
        needles: &["unable to configure the Docker daemon with file"],
        code: Some(Code::DaemonJsonSyntax),
        meaning: "dockerd cannot read daemon.json: it does not start",
        fix: "fix the file (the line regdoctor names)",
        next: Next::DaemonJson,
    },
    Signature {
        id: "hosts_toml_syntax",
        needles: &[
            "failed to decode hosts.toml",
            "hosts.toml\" error=",
            "/hosts.toml: ",
        ],
        code: Some(Code::HostsTomlSyntax),
        meaning: "containerd could not parse a hosts.toml and silently fell back to defaults",
        fix: "fix the hosts.toml (regdoctor names the line)",
        next: Next::Containerd,
    },
    Signature {
        id: "hosts_toml_ca_unreadable",
        needles: &["unable to read CA cert", "unable to load CA cert"],
        code: Some(Code::HostsTomlCaUnreadable),
        meaning: "a CA file named in hosts.toml is missing or not PEM",
        fix: "copy the CA there or fix the path",
        next: Next::Containerd,
    },
    Signature {
        id: "registries_conf_mixed_versions",
        needles: &["mixing sysregistry v1/v2 is not supported"],
        code: Some(Code::RegistriesConfMixedVersions),
        meaning: "registries.conf mixes the v1 and v2 formats",
        fix: "convert it to [[registry]] entries",
        next: Next::Containers,
    },
    Signature {
        id: "insufficient_scope",
        needles: &["insufficient_scope"],
        code: Some(Code::InsufficientScope),
        meaning: "the token does not grant the access asked for (private repository, wrong account, or it does not exist)",
        fix: "grant the account pull on the repository, and check the image name",
        next: Next::Auth,
    },
    Signature {
        id: "token_failed",
        needles: &[
            "authorization server did not include a token",
            "failed to fetch oauth token",
            "failed to fetch anonymous token",
        ],
        code: Some(Code::TokenFailed),
        meaning: "the registry's token service refused or could not be reached",
        fix: "check the credentials and that the token realm is reachable and trusted",
        next: Next::Auth,
    },
    Signature {
        id: "login_failed",
        needles: &[
            "unauthorized: incorrect username or password",
            "failed with status: 401 Unauthorized",
        ],
        code: Some(Code::LoginFailed),
        meaning: "the registry rejected the user name or password",
        fix: "check the credentials (`docker login`)",
        next: Next::Auth,
    },
    Signature {
        id: "auth_required",
        needles: &[
            "no basic auth credentials",
            "unauthorized: authentication required",
            "pull access denied",
            "may require 'docker login'",
            "may require authorization",
        ],
        code: Some(Code::AuthRequired),
        meaning: "the registry requires authentication and the runtime sent none (or the repository does not exist)",
        fix: "give the nodes credentials (docker login / imagePullSecrets), and check the image name",
        next: Next::Auth,
    },
    Signature {
        id: "karbon_precheck",
        needles: &[
            "Failed to pass private registry addition prechecks",
            "Failed to connect to private registry",
        ],
        code: None,
        meaning: "Karbon could not reach the registry when adding it; the cause is the Go error on the PrivateRegistryConnectivityCheck line of karbon_core.out",
        fix: "diagnose the registry with the command below; Karbon 2.1.1 also cannot use registries that require authentication",
        next: Next::Karbon,
    },
];

/// One distinct signature found.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// The signature id.
    pub signature: &'static str,
    /// The finding code it corresponds to.
    pub code: Option<Code>,
    /// How many lines matched it (for this host).
    pub count: u64,
    /// The first matching line number.
    pub first_line: u64,
    /// That line (at most 400 characters).
    pub line: String,
    /// The registry it concerns, when the line names one.
    pub host: Option<String>,
    /// What it means.
    pub meaning: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// The regdoctor command to run next.
    pub command: String,
}

/// The triage result.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    /// Always "regdoctor.triage/v1".
    pub schema: &'static str,
    /// Where the text came from.
    pub source: String,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Distinct signatures, in order of first appearance.
    pub matches: Vec<Match>,
}

/// The matcher, built once.
pub struct Matcher {
    ac: AhoCorasick,
    owner: Vec<usize>,
}

impl Matcher {
    /// Builds the automaton over every signature's needles.
    pub fn new() -> Matcher {
        let mut needles = Vec::new();
        let mut owner = Vec::new();
        for (i, s) in SIGNATURES.iter().enumerate() {
            for n in s.needles {
                needles.push(*n);
                owner.push(i);
            }
        }
        // The needles are fixed, valid literals: building cannot fail.
        #[allow(clippy::expect_used)]
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&needles)
            .expect("static needles build an automaton");
        Matcher { ac, owner }
    }

    /// The most specific signature matching a line.
    fn classify(&self, line: &[u8]) -> Option<usize> {
        self.ac
            .find_overlapping_iter(line)
            .map(|m| self.owner[m.pattern().as_usize()])
            .min()
    }
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::new()
    }
}

/// Reads `input` to the end and triages it.
pub fn triage(input: &mut dyn BufRead, source: &str) -> std::io::Result<Triage> {
    let matcher = Matcher::new();
    let mut out = Triage {
        schema: "regdoctor.triage/v1",
        source: source.to_string(),
        lines: 0,
        bytes: 0,
        matches: Vec::new(),
    };
    let mut buf = Vec::with_capacity(4096);
    let mut last_host: Option<String> = None;
    loop {
        buf.clear();
        // A line longer than MAX_LINE is read in pieces, so memory stays bounded.
        let n = std::io::Read::take(&mut *input, MAX_LINE).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') || n < MAX_LINE as usize {
            out.lines += 1;
        }
        out.bytes += n as u64;
        let Some(idx) = matcher.classify(&buf) else {
            // Karbon names the registry on lines before its precheck error.
            if buf.windows(10).any(|w| w == b"endpoint: ") {
                last_host = host_in(&String::from_utf8_lossy(&buf));
            }
            continue;
        };
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end();
        let sig = &SIGNATURES[idx];
        let (sig_id, code) = if sig.id == "expired" && text.contains(" is before ") {
            ("not_yet_valid", Some(Code::NotYetValid))
        } else {
            (sig.id, sig.code)
        };
        let mut host = host_in(text);
        if host.is_none() && sig.id == "karbon_precheck" {
            host = last_host.clone();
        }
        if host.is_some() {
            last_host = host.clone();
        }
        if let Some(m) = out
            .matches
            .iter_mut()
            .find(|m| m.signature == sig_id && m.host == host)
        {
            m.count += 1;
            continue;
        }
        out.matches.push(Match {
            signature: sig_id,
            code,
            count: 1,
            first_line: out.lines,
            line: excerpt(text),
            command: command(sig.next, host.as_deref()),
            host,
            meaning: if sig_id == "not_yet_valid" {
                "a certificate is not valid yet: this node's clock is behind, or the certificate was issued moments ago"
            } else {
                sig.meaning
            },
            fix: sig.fix,
        });
    }
    Ok(out)
}

/// The line, or its start and its end (where Go puts the cause) when it is long.
fn excerpt(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 400 {
        return text.to_string();
    }
    let head: String = chars[..120].iter().collect();
    let tail: String = chars[chars.len() - 270..].iter().collect();
    format!("{head} … {tail}")
}

fn command(next: Next, host: Option<&str>) -> String {
    let h = host.unwrap_or("HOST:PORT");
    match next {
        Next::Tls => format!("regdoctor {h} --ca ca.crt"),
        Next::PlainHttp => format!("regdoctor {h} --daemon-json /etc/docker/daemon.json"),
        Next::Auth => format!("regdoctor {h} --user USER --password-stdin"),
        Next::DaemonJson => "regdoctor --daemon-json /etc/docker/daemon.json".into(),
        Next::Containerd => format!("regdoctor {h} --containerd-certs-d /etc/containerd/certs.d"),
        Next::Containers => {
            format!("regdoctor {h} --registries-conf /etc/containers/registries.conf")
        }
        Next::Karbon => format!("regdoctor {h} --ca cacert.pem --runtime karbon"),
        Next::CertsD => format!("regdoctor {h} --docker-certs-d /etc/docker/certs.d"),
    }
}

/// The registry `host[:port]` a log line concerns.
pub fn host_in(line: &str) -> Option<String> {
    let token_after = |start: usize, stops: &[char]| -> String {
        line[start..]
            .chars()
            .take_while(|c| !stops.contains(c))
            .collect()
    };
    for scheme in ["https://", "http://"] {
        if let Some(i) = line.find(scheme) {
            let h = token_after(i + scheme.len(), &['/', '"', ' ', '\'', ')', ',', '?']);
            let h = h.rsplit('@').next().unwrap_or(&h).to_string();
            if !h.is_empty() {
                return Some(h);
            }
        }
    }
    for marker in [
        "pinging container registry ",
        "lookup ",
        "dial tcp ",
        "endpoint: ",
    ] {
        if let Some(i) = line.find(marker) {
            let t = token_after(i + marker.len(), &[' ', '"']);
            let t = t.trim_end_matches(':').to_string();
            if !t.is_empty() && t != "tcp" {
                return Some(t);
            }
        }
    }
    for marker in ["image \"", "certs.d/"] {
        if let Some(i) = line.find(marker) {
            let t = token_after(i + marker.len(), &['"', ' ']);
            let reg = t.split('/').next().unwrap_or_default();
            if reg.contains(['.', ':']) || reg == "localhost" {
                return Some(reg.to_string());
            }
        }
    }
    None
}

/// Human text.
pub fn render_human(t: &Triage) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "regdoctor triage — {}: {} known registry error{} in {} lines",
        t.source,
        t.matches.len(),
        if t.matches.len() == 1 { "" } else { "s" },
        t.lines
    );
    if t.matches.is_empty() {
        let _ = writeln!(
            out,
            "\nno known registry error signature was found; if a pull still fails, run `regdoctor HOST:PORT --ca ca.crt` against the registry"
        );
        return out;
    }
    for (i, m) in t.matches.iter().enumerate() {
        let code = m.code.map(|c| c.as_str()).unwrap_or(m.signature);
        let host = m
            .host
            .as_deref()
            .map(|h| format!(" · {h}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{}. {code}{host} · {}× · first at line {}",
            i + 1,
            m.count,
            m.first_line
        );
        let _ = writeln!(out, "   > {}", m.line);
        let _ = writeln!(out, "   meaning: {}", m.meaning);
        let more = m
            .code
            .map(|c| format!(" (regdoctor explain {c})"))
            .unwrap_or_default();
        let _ = writeln!(out, "   fix: {}{more}", m.fix);
        let _ = writeln!(out, "   next: {}", m.command);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Triage {
        triage(&mut text.as_bytes(), "test").unwrap()
    }

    #[test]
    fn most_specific_signature_wins() {
        let t = run(
            "Get \"https://reg:5000/v2/\": x509: certificate signed by unknown authority (possibly because of \"crypto/rsa: verification error\" while trying to verify candidate authority certificate \"CA\")\n",
        );
        assert_eq!(t.matches[0].code, Some(Code::WrongCa));
        assert_eq!(t.matches[0].host.as_deref(), Some("reg:5000"));
    }

    #[test]
    fn hosts_are_found_in_common_shapes() {
        assert_eq!(
            host_in("dial tcp 10.0.0.5:5000: connect: connection refused").as_deref(),
            Some("10.0.0.5:5000")
        );
        assert_eq!(
            host_in("dial tcp: lookup reg.example.com on 10.0.0.2:53: no such host").as_deref(),
            Some("reg.example.com")
        );
        assert_eq!(
            host_in("pinging container registry 10.0.0.5:5000: Get x").as_deref(),
            Some("10.0.0.5:5000")
        );
        assert_eq!(
            host_in(r#"Failed to pull image "10.0.0.5:5000/app:1": rpc error"#).as_deref(),
            Some("10.0.0.5:5000")
        );
        assert_eq!(host_in("nothing here"), None);
    }

    #[test]
    fn distinct_by_signature_and_host_with_counts() {
        let line =
            "Get \"https://10.0.0.5:5000/v2/\": http: server gave HTTP response to HTTPS client\n";
        let t = run(&format!(
            "{line}{line}unrelated\n{}",
            line.replace("10.0.0.5", "10.0.0.6")
        ));
        assert_eq!(t.matches.len(), 2);
        assert_eq!(t.matches[0].count, 2);
        assert_eq!(t.lines, 4);
    }

    #[test]
    fn not_yet_valid_is_told_apart_from_expired() {
        let t = run(
            "x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is before 2026-02-01T00:00:00Z\n",
        );
        assert_eq!(t.matches[0].code, Some(Code::NotYetValid));
    }

    #[test]
    fn nothing_matched_says_so() {
        let t = run("all good\n");
        assert!(t.matches.is_empty());
        assert!(render_human(&t).contains("no known registry error"));
    }
}
