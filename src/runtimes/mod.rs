//! The runtimes, one model each: from this node's files, the *effective client* a runtime
//! uses for the target — which CAs it trusts on top of the system roots (or whether it
//! verifies at all), whether it may speak plain HTTP, which client certificate it
//! presents — and how it words the line it prints when a pull fails.
//!
//! | runtime | model | reads |
//! |---|---|---|
//! | Docker Engine | [`docker`] | daemon.json, dockerd's systemd unit, `/etc/docker/certs.d/<host:port>/` |
//! | containerd (CRI) | [`containerd`] | config.toml (`config_path`, CRI disabled?), `certs.d/<host>/hosts.toml` |
//! | CRI-O, podman, skopeo | [`containers`] | registries.conf + registries.conf.d, the first existing certs.d |
//!
//! Pure: a function of [`Facts`]. The judgement itself (Go's verdict for each distinct
//! trust store, computed once) is in [`trust`].

pub mod containerd;
pub mod containers;
pub mod docker;
pub mod line;
pub mod proxy;
pub mod trust;

use serde::Serialize;

pub use crate::facts::ClientPair;
use crate::facts::node::{HostDir, NodeFile};
use crate::facts::{Facts, Runtime};
use crate::pki::Cert;

/// A CA file a runtime adds to the system roots for this registry.
#[derive(Debug, Clone, Serialize)]
pub struct CaFile {
    /// The file, as on the node (or `--ca <file>`).
    pub path: String,
    /// The subjects of the certificates it holds (PEM only: Go's `AppendCertsFromPEM`).
    pub subjects: Vec<String>,
    /// The certificates, DER.
    #[serde(skip)]
    pub certs: Vec<Vec<u8>>,
}

impl CaFile {
    /// The PEM certificates of a file, as Go's `AppendCertsFromPEM` takes them (DER is ignored).
    pub fn from_pem(path: String, bytes: &[u8]) -> CaFile {
        let certs: Vec<Cert> = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            crate::pki::bundle::parse(bytes).certs
        } else {
            vec![]
        };
        CaFile {
            path,
            subjects: certs.iter().map(|c| c.subject.clone()).collect(),
            certs: certs.into_iter().map(|c| c.der).collect(),
        }
    }
}

/// Whether the runtime verifies the server's certificate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Verification {
    /// Go's verification with the system roots plus these CA files.
    On {
        /// The CA files added to the system roots (none: the system roots alone).
        cas: Vec<CaFile>,
    },
    /// `InsecureSkipVerify`: no chain, date or name check.
    Off {
        /// The setting that turns it off (`file:line: entry`).
        origin: String,
    },
}

/// How the runtime reaches the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Transport {
    /// HTTPS only.
    Https,
    /// HTTPS, then plain HTTP when HTTPS fails (an insecure registry for Docker and containers/image).
    HttpsThenHttp {
        /// The setting that allows plain HTTP.
        origin: String,
    },
    /// Plain HTTP only (containerd: `server = "http://…"`, or its loopback default).
    Http {
        /// The setting (or default) that chose plain HTTP.
        origin: String,
    },
}

impl Transport {
    /// Whether plain HTTP is allowed at all.
    pub fn allows_http(&self) -> bool {
        !matches!(self, Transport::Https)
    }
    /// Whether the runtime speaks TLS first.
    pub fn tls_first(&self) -> bool {
        !matches!(self, Transport::Http { .. })
    }
}

/// The effective client of one runtime for the target.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// Which runtime.
    pub runtime: Runtime,
    /// Why it is judged (found on the node, named with --runtime, …).
    pub judged_because: String,
    /// Its version, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The Go version its binary was built with, when known (the wording of its errors
    /// depends on it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_version: Option<String>,
    /// Certificate verification.
    pub verification: Verification,
    /// HTTPS, HTTP or both.
    pub transport: Transport,
    /// The client certificate it presents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_pair: Option<ClientPair>,
    /// The configuration this was derived from, for people (`file: what it says`).
    pub sources: Vec<String>,
    /// The proxy variables of its process (masked when shown).
    #[serde(skip_serializing_if = "proxy::ProxyEnv::is_empty")]
    pub proxy: proxy::ProxyEnv,
}

impl Client {
    /// Whether the runtime verifies certificates.
    pub fn verifies(&self) -> bool {
        matches!(self.verification, Verification::On { .. })
    }

    /// The CA files it adds to the system roots (none when it does not verify).
    pub fn cas(&self) -> &[CaFile] {
        match &self.verification {
            Verification::On { cas } => cas,
            Verification::Off { .. } => &[],
        }
    }

    /// A client with the defaults every Go runtime shares: HTTPS, the system roots.
    pub fn default_for(runtime: Runtime, because: impl Into<String>) -> Client {
        Client {
            runtime,
            judged_because: because.into(),
            version: None,
            go_version: None,
            verification: Verification::On { cas: vec![] },
            transport: Transport::Https,
            client_pair: None,
            sources: vec![],
            proxy: proxy::ProxyEnv::default(),
        }
    }

    /// How it reaches the target: direct or through which proxy (Go's rules with its
    /// process's environment).
    pub fn route(&self, target: &crate::target::Target) -> proxy::Route {
        self.proxy.route_to(target, self.transport.tls_first())
    }

    /// Sets its proxy environment, and says in its sources where the target's route comes
    /// from when any proxy variable is set.
    pub fn with_proxy(mut self, env: proxy::ProxyEnv, target: &crate::target::Target) -> Client {
        self.proxy = env;
        if !self.proxy.is_empty() {
            let route = self.route(target);
            self.sources.push(format!(
                "{}: {} reaches {} {}",
                self.proxy.source,
                self.runtime.display_name(),
                target.registry_name(),
                route.describe()
            ));
        }
        self
    }

    /// Go ≥ 1.20 wraps verification errors in `tls: failed to verify certificate: `.
    /// Unknown versions are taken as current.
    pub fn go_at_least(&self, major: u32, minor: u32) -> bool {
        match self.go_version.as_deref().and_then(parse_version) {
            Some(v) => v >= (major, minor),
            None => true,
        }
    }
}

/// A runtime that is not judged, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotJudged {
    /// Which runtime.
    pub runtime: Runtime,
    /// Why not.
    pub why: String,
}

/// `"1.19.8"` → (1, 19); `"20.10.24+dfsg1"` → (20, 10).
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches(['v', 'V']);
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// The clients judged for this run, and the runtimes that were not, with reasons.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Clients {
    /// Judged, in the order Docker, containerd, CRI-O.
    pub judged: Vec<Client>,
    /// Present or named but not judged, and runtimes not found.
    pub not_judged: Vec<NotJudged>,
}

/// Derives the effective client of every runtime judged on this node.
///
/// With `--runtime X` only X is judged. Otherwise the runtimes present on the node (by
/// their configuration files, binaries or sockets) are. When none is present, one client
/// with the defaults every runtime shares is judged (`Runtime::Docker` labelled as
/// assumed), with its wording given for every runtime.
pub fn derive(facts: &Facts) -> Clients {
    let mut out = Clients::default();
    let only = facts.only_runtime.map(|r| match r {
        Runtime::Karbon => Runtime::Docker,
        r => r,
    });
    let candidates = [
        (Runtime::Docker, docker::presence(facts)),
        (Runtime::Containerd, containerd::presence(facts)),
        (Runtime::CriO, containers::presence(facts)),
    ];
    for (runtime, presence) in candidates {
        let why = match (only, presence) {
            (Some(o), _) if o != runtime => {
                out.not_judged.push(NotJudged {
                    runtime,
                    why: format!("--runtime {} was given", runtime_flag(o)),
                });
                continue;
            }
            (Some(_), Presence::Disabled(why)) => {
                // Named explicitly: judge it anyway, and say what the node says.
                format!("--runtime was given ({why})")
            }
            (Some(_), _) => "--runtime was given".to_string(),
            (None, Presence::Found(why)) => why,
            (None, Presence::Disabled(why) | Presence::Absent(why)) => {
                out.not_judged.push(NotJudged { runtime, why });
                continue;
            }
        };
        out.judged.push(match runtime {
            Runtime::Docker | Runtime::Karbon | Runtime::Any => docker::client(facts, why),
            Runtime::Containerd => containerd::client(facts, why),
            Runtime::CriO => containers::client(facts, why),
        });
    }
    if out.judged.is_empty() {
        out.judged.push(what_if(
            facts,
            Client::default_for(
                Runtime::Any,
                "no container runtime was found on this node: judged as any Go registry client with the system roots",
            ),
        ));
    }
    out
}

/// `--runtime`'s spelling of a runtime.
pub fn runtime_flag(r: Runtime) -> &'static str {
    match r {
        Runtime::Docker => "docker",
        Runtime::Containerd => "containerd",
        Runtime::CriO => "cri-o",
        Runtime::Karbon => "karbon",
        Runtime::Any => "any",
    }
}

/// Why a runtime is absent: not found, or not looked for.
fn not_found(facts: &Facts, what: &str) -> String {
    if facts.node.installs.looked {
        what.to_string()
    } else {
        "not looked for: --no-node-defaults was given and none of its files was named".into()
    }
}

/// Whether a runtime is on this node.
#[derive(Debug, Clone)]
pub enum Presence {
    /// Found: how.
    Found(String),
    /// Installed but not pulling for this node's workloads (containerd with CRI disabled).
    Disabled(String),
    /// Not found: what was looked for.
    Absent(String),
}

/// Applies `--ca`, `--cert` and `--key`: "what if the runtime were given these". The CA
/// replaces the runtime's own CA files for this registry (the system roots stay); a
/// runtime that does not verify still does not.
pub fn what_if(facts: &Facts, mut client: Client) -> Client {
    if let Some(ca) = &facts.ca_file
        && let Verification::On { cas } = &mut client.verification
    {
        let certs = crate::pki::bundle::parse(&ca.bytes).certs;
        *cas = vec![CaFile {
            path: format!("--ca {}", ca.path),
            subjects: certs.iter().map(|c| c.subject.clone()).collect(),
            certs: certs.into_iter().map(|c| c.der).collect(),
        }];
        client.sources.push(format!(
            "--ca {}: the CA you would give the runtime",
            ca.path
        ));
    }
    if let Some(pair) = &facts.client_cert {
        client.client_pair = Some(pair.clone());
        client.sources.push(format!(
            "--cert {} --key {}: the client certificate you would give the runtime",
            pair.cert, pair.key
        ));
    }
    client
}

/// Docker-style certs.d directory contents: `*.crt` CAs (PEM), `*.cert` + `*.key` pairs.
/// Returns the CA files and the first complete client pair.
pub fn docker_style_dir(base: &str, dir: &HostDir) -> (Vec<CaFile>, Option<ClientPair>) {
    let cas = dir
        .files
        .iter()
        .filter(|f| !f.is_dir && f.name.ends_with(".crt"))
        .map(|f| CaFile::from_pem(format!("{base}/{}", f.name), &f.bytes))
        .collect();
    let pair = dir.files.iter().find_map(|f| {
        let stem = f.name.strip_suffix(".cert")?;
        let key: &NodeFile = dir.files.iter().find(|k| k.name == format!("{stem}.key"))?;
        Some(ClientPair {
            cert: format!("{base}/{}", f.name),
            key: format!("{base}/{}", key.name),
            cert_pem: f.bytes.clone(),
            key_pem: key.bytes.clone(),
        })
    });
    (cas, pair)
}

/// Every registry this node's runtimes are configured for — Docker's insecure-registries
/// host entries, mirrors and certs.d directories; containerd's hosts directories and the
/// hosts they name; registries.conf locations, mirrors and containers' certs.d directories
/// — each with the runtimes that name it and where. In the order found, without repeats.
pub fn node_targets(node: &crate::facts::node::NodeFacts) -> Vec<(String, Vec<(Runtime, String)>)> {
    let mut found: Vec<(String, Vec<(Runtime, String)>)> = Vec::new();
    // Where each name is in `found`: a map, not a search per entry (quadratic with
    // 100,000 registries).
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut add = |raw: &str, runtime: Runtime, how: String| {
        let Ok(t) = crate::target::parse(raw) else {
            return;
        };
        let name = if t.scheme == crate::target::Scheme::Http {
            format!("http://{}", t.registry_name())
        } else {
            t.registry_name()
        };
        match index.get(&name) {
            Some(&i) => {
                let by = &mut found[i].1;
                if !by.iter().any(|(r, h)| *r == runtime && *h == how) {
                    by.push((runtime, how));
                }
            }
            None => {
                index.insert(name.clone(), found.len());
                found.push((name, vec![(runtime, how)]));
            }
        }
    };
    docker::node_targets(node, &mut add);
    containerd::node_targets(node, &mut add);
    containers::node_targets(node, &mut add);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.19.8"), Some((1, 19)));
        assert_eq!(parse_version("go1.22"), None);
        assert_eq!(parse_version("20.10.24+dfsg1"), Some((20, 10)));
        assert_eq!(parse_version("v2.1.0"), Some((2, 1)));
        assert_eq!(parse_version("28"), Some((28, 0)));
    }
}
