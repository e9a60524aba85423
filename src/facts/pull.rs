//! Facts of the pull path: what the probe saw while following an image's pull as a
//! runtime does — the token for `repository:<name>:pull`, the manifest (and, from an
//! index, the node's platform's), the config blob and the first byte of the first layer,
//! and every host the way led to (token realm, blob storage), each with its own name
//! resolution, connection and TLS handshake.

use serde::Serialize;

use super::{DnsFacts, HttpExchange, TcpFacts, TlsFacts};
use crate::target::{ImageRef, Target};

/// The manifest media types the runtimes ask for (`Accept`), and what each is.
pub mod media {
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// Docker schema 1 (signed), refused by current runtimes.
    pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// Whether a media type is an index (a list of per-platform manifests).
    pub fn is_index(media_type: &str) -> bool {
        media_type == DOCKER_LIST || media_type == OCI_INDEX
    }

    /// Whether a media type is an image manifest.
    pub fn is_manifest(media_type: &str) -> bool {
        media_type == DOCKER_MANIFEST || media_type == OCI_MANIFEST
    }
}

/// A platform, `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// Go's GOARCH: `amd64`, `arm64`, `arm`, `s390x`…
    pub architecture: String,
    /// `v7`, `v8`… when it matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Option<Platform> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?.to_ascii_lowercase();
        let architecture = parts.next().filter(|p| !p.is_empty())?.to_ascii_lowercase();
        let variant = parts.next().map(str::to_ascii_lowercase);
        if parts.next().is_some() {
            return None;
        }
        Some(Platform {
            os,
            architecture,
            variant,
        })
    }
}

/// What a host on the pull path is to the pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopRole {
    /// The registry itself.
    Registry,
    /// The token service named by the registry's Bearer challenge.
    TokenRealm,
    /// A host a blob request was redirected to (object storage, a CDN).
    BlobStorage,
}

impl HopRole {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            HopRole::Registry => "registry",
            HopRole::TokenRealm => "token realm",
            HopRole::BlobStorage => "blob storage",
        }
    }
}

/// One host on the pull path, and how the connection to it went. The registry's own
/// connection is the report's main evidence; its hop holds no copy.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// What it is to the pull.
    pub role: HopRole,
    /// Its scheme, host and port.
    pub target: Target,
    /// Name resolution (None for the registry: see the main facts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsFacts>,
    /// Connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFacts>,
    /// TLS (https only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    /// Why no HTTP request could be made to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The proxy it was reached through (the judged runtime's proxy decision for it);
    /// None: direct.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<crate::formats::httpproxy::ProxyUrl>,
}

/// Which request of the pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// `HEAD /v2/<name>/manifests/<reference>`.
    ManifestHead,
    /// `GET /v2/<name>/manifests/<reference>`.
    Manifest,
    /// `GET /v2/<name>/tags/list`, to tell an unknown name from an unknown tag.
    Tags,
    /// `GET` of the platform's manifest, by digest, from an index.
    PlatformManifest,
    /// `GET` of the image configuration blob.
    ConfigBlob,
    /// A ranged `GET` of the first byte of the first layer.
    LayerBlob,
}

/// One request of the pull, followed through its redirects.
#[derive(Debug, Clone, Serialize)]
pub struct PullStep {
    /// Which.
    pub kind: StepKind,
    /// The last answer (its `redirects` are every hop of the way, across hosts too).
    pub exchange: HttpExchange,
    /// The hop (index in [`PullFacts::hops`]) that gave the last answer.
    pub hop: usize,
    /// The hops visited, in order (the registry first).
    pub via: Vec<usize>,
    /// The digest expected (blobs, and a manifest picked from an index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Whether the bytes read match it (None: not checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_ok: Option<bool>,
    /// The SHA-256 of the bytes read, when checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_seen: Option<String>,
}

impl PullStep {
    /// A step with no digest checked.
    pub fn new(kind: StepKind, exchange: HttpExchange, hop: usize, via: Vec<usize>) -> Self {
        PullStep {
            kind,
            exchange,
            hop,
            via,
            digest: None,
            digest_ok: None,
            digest_seen: None,
        }
    }
}

/// How the pull authenticated.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PullAuth {
    /// No challenge: anonymous.
    Anonymous,
    /// Basic, with the credentials given.
    Basic,
    /// A Bearer token for the pull scope.
    Bearer {
        /// The scope asked: `repository:<name>:pull`.
        scope: String,
        /// The token request URL (no credentials in it).
        token_url: String,
        /// Whether credentials were sent to the token service (else anonymous).
        with_credentials: bool,
        /// The token request; its body (which holds the token) is never kept.
        token: Option<Box<HttpExchange>>,
        /// Why no token was had.
        error: Option<String>,
    },
    /// The registry needs credentials and none were given (or they were withheld).
    Missing {
        /// Why.
        reason: String,
    },
}

/// The pull path of one image.
#[derive(Debug, Clone, Serialize)]
pub struct PullFacts {
    /// The image.
    pub image: ImageRef,
    /// The platform a runtime on this node asks of an index.
    pub platform: Platform,
    /// Where the platform came from ("--platform", "this node").
    pub platform_source: String,
    /// How the pull authenticated.
    pub auth: PullAuth,
    /// The requests made, in order.
    pub steps: Vec<PullStep>,
    /// Every host on the way, the registry first.
    pub hops: Vec<Hop>,
    /// The platforms an index offered (when the manifest was an index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Why the path was not followed further, when it stopped before the layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl PullFacts {
    /// The step of a kind, when it was made.
    pub fn step(&self, kind: StepKind) -> Option<&PullStep> {
        self.steps.iter().find(|s| s.kind == kind)
    }
}
