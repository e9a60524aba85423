//! Every finding code regdoctor can emit, with the check that owns it and its severity.
//!
//! Codes are a public contract: people grep tickets for them. Never rename or reuse one;
//! a retired code stays here with a note. The list is written once, in the macro call
//! below, so `Code::ALL`, `as_str` and `severity` cannot drift apart.

use serde::{Serialize, Serializer};

/// The stable kebab-case id of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    /// The argument parses; the name resolves.
    Target,
    /// A TCP connection opens.
    TcpConnect,
    /// The runtimes' proxies: which one carries the registry, and whether it works.
    Proxy,
    /// A TLS handshake completes.
    TlsHandshake,
    /// The `--ca` bundle holds usable CA certificates.
    CaFile,
    /// Dates and strength of every presented certificate.
    CertValidity,
    /// The leaf is valid for the dialled name or IP.
    SanMatchesHost,
    /// The presented chain verifies to the CA bundle or the system roots.
    CaChain,
    /// `GET /v2/` answers as a registry.
    RegistryApi,
    /// `GET /v2/_catalog`.
    Catalog,
    /// The given credentials work.
    Credentials,
    /// The pull of an image, followed to its first layer byte.
    Pull,
    /// Docker's daemon.json.
    DaemonJson,
    /// Docker's certs.d directory for this registry.
    CertsD,
    /// containerd's hosts.toml for this registry.
    ContainerdHosts,
    /// CRI-O/podman: registries.conf and containers certs.d.
    ContainersRegistries,
}

impl CheckId {
    /// Every check id, in the order the checks run.
    pub const ALL: &'static [CheckId] = &[
        CheckId::Target,
        CheckId::TcpConnect,
        CheckId::Proxy,
        CheckId::TlsHandshake,
        CheckId::CaFile,
        CheckId::CertValidity,
        CheckId::SanMatchesHost,
        CheckId::CaChain,
        CheckId::RegistryApi,
        CheckId::Catalog,
        CheckId::Credentials,
        CheckId::Pull,
        CheckId::DaemonJson,
        CheckId::CertsD,
        CheckId::ContainerdHosts,
        CheckId::ContainersRegistries,
    ];

    /// The id as users type it.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Target => "target",
            CheckId::TcpConnect => "tcp-connect",
            CheckId::Proxy => "proxy",
            CheckId::TlsHandshake => "tls-handshake",
            CheckId::CaFile => "ca-file",
            CheckId::CertValidity => "cert-validity",
            CheckId::SanMatchesHost => "san-matches-host",
            CheckId::CaChain => "ca-chain",
            CheckId::RegistryApi => "registry-api",
            CheckId::Catalog => "catalog",
            CheckId::Credentials => "credentials",
            CheckId::Pull => "pull",
            CheckId::DaemonJson => "daemon-json",
            CheckId::CertsD => "certs-d",
            CheckId::ContainerdHosts => "containerd-hosts",
            CheckId::ContainersRegistries => "containers-registries",
        }
    }

    /// Parses an id in any case, with `-` or `_`.
    pub fn parse(s: &str) -> Option<CheckId> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        CheckId::ALL.iter().copied().find(|id| id.as_str() == norm)
    }

    /// The codes that belong to this check, derived from [`Code::ALL`].
    pub fn codes(self) -> impl Iterator<Item = Code> {
        Code::ALL.iter().copied().filter(move |c| c.check() == self)
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Information: a skipped check's reason, a note.
    Info,
    /// Works for the runtime today, but risky or refused by other clients.
    Warning,
    /// The runtime will fail.
    Error,
}

impl Severity {
    /// The lower-case name used in documents and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $check:ident, $sev:ident; )*) => {
        /// A finding code. Serialised as its snake_case name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, grouped by check in check order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The snake_case name people grep for.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// The check that emits this code.
            pub fn check(self) -> CheckId {
                match self { $( Code::$variant => CheckId::$check, )* }
            }

            /// The severity every finding with this code has.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
        }
    };
}

codes! {
    /// The target argument cannot be parsed (library users; the CLI exits 2 instead).
    TargetInvalid = "target_invalid", Target, Error;
    /// The host name does not resolve.
    DnsFailed = "dns_failed", Target, Error;
    /// CRI-O (containers/image) cannot name a registry by an IPv6 address in an image reference.
    Ipv6ReferenceUnsupported = "ipv6_reference_unsupported", Target, Error;
    /// The target carried a URL path, which the runtimes ignore.
    TargetPathIgnored = "target_path_ignored", Target, Info;

    /// Connection refused: nothing listens on the port.
    TcpRefused = "tcp_refused", TcpConnect, Error;
    /// No answer to the connection attempt within the deadline.
    TcpTimeout = "tcp_timeout", TcpConnect, Error;
    /// The network or host is unreachable, or the connect failed otherwise.
    TcpUnreachable = "tcp_unreachable", TcpConnect, Error;
    /// Some resolved addresses failed before one connected.
    TcpSomeAddressesFailed = "tcp_some_addresses_failed", TcpConnect, Warning;

    /// A runtime reaches the registry through a proxy: which one, set where, and how it went.
    ProxyUsed = "proxy_used", Proxy, Info;
    /// The runtime's proxy cannot be reached: refused, no answer, its name does not resolve.
    ProxyUnreachable = "proxy_unreachable", Proxy, Error;
    /// The proxy demands authentication (407 Proxy Authentication Required; tinyproxy: 401 for a wrong password).
    ProxyAuthRequired = "proxy_auth_required", Proxy, Error;
    /// The proxy refuses the tunnel to the registry (403, another 4xx, or a policy refusal).
    ProxyDenied = "proxy_denied", Proxy, Error;
    /// The proxy cannot reach the registry itself (a 5xx answer to CONNECT).
    ProxyUpstreamFailed = "proxy_upstream_failed", Proxy, Error;
    /// Through the proxy the registry's certificate is signed by another CA, which the runtime does not trust.
    ProxyTlsIntercepted = "proxy_tls_intercepted", Proxy, Error;
    /// regdoctor's own environment (the shell) decides differently from the runtime's for the registry.
    ProxyEnvMismatch = "proxy_env_mismatch", Proxy, Warning;

    /// The port answers in plaintext HTTP.
    PlainHttp = "plain_http", TlsHandshake, Error;
    /// The port answers with something that is neither TLS nor HTTP.
    NotTls = "not_tls", TlsHandshake, Error;
    /// The server only speaks TLS older than 1.2.
    TlsProtocolTooOld = "tls_protocol_too_old", TlsHandshake, Error;
    /// The server demands a client certificate.
    TlsClientCertRequired = "tls_client_cert_required", TlsHandshake, Error;
    /// The TCP connection opened but the TLS handshake did not finish in time.
    TlsHandshakeTimeout = "tls_handshake_timeout", TlsHandshake, Error;
    /// The server ended the handshake with a TLS alert.
    TlsAlert = "tls_alert", TlsHandshake, Error;
    /// The handshake failed in another way (connection closed, malformed message).
    TlsFailed = "tls_failed", TlsHandshake, Error;
    /// The server's proof of possession of its key could not be checked.
    TlsKeyPossessionUnproven = "tls_key_possession_unproven", TlsHandshake, Warning;
    /// The port answers in plaintext HTTP, and the runtime is configured to allow it.
    PlainHttpAllowed = "plain_http_allowed", TlsHandshake, Warning;
    /// The runtime is configured to speak plain HTTP, and the port serves TLS.
    HttpToTlsPort = "http_to_tls_port", TlsHandshake, Error;

    /// The --ca file holds no certificate at all.
    CaEmpty = "ca_empty", CaFile, Error;
    /// The --ca file holds something that is not a certificate.
    CaNotCertificate = "ca_not_certificate", CaFile, Error;
    /// The --ca file holds a private key.
    CaPrivateKey = "ca_private_key", CaFile, Error;
    /// A certificate in the --ca file is not a CA certificate.
    CaIsLeaf = "ca_is_leaf", CaFile, Warning;
    /// A certificate in the --ca file has expired or is not yet valid.
    CaExpired = "ca_expired", CaFile, Error;
    /// The --ca file is DER: the runtimes read CA files as PEM only.
    CaDer = "ca_der", CaFile, Warning;

    /// A presented certificate cannot be parsed; Go refuses it before verification.
    CertUnparseable = "cert_unparseable", CertValidity, Error;
    /// A presented certificate has expired.
    Expired = "expired", CertValidity, Error;
    /// A presented certificate is not valid yet.
    NotYetValid = "not_yet_valid", CertValidity, Error;
    /// This node's clock and the registry's differ by more than a minute.
    ClockSkew = "clock_skew", CertValidity, Warning;
    /// A presented certificate expires within 30 days.
    ExpiresSoon = "expires_soon", CertValidity, Warning;
    /// A certificate is signed with SHA-1 or MD5, which Go refuses.
    WeakSignature = "weak_signature", CertValidity, Error;
    /// An RSA key of 1024 to 2047 bits: Go accepts it, rustls and policy do not.
    WeakKey = "weak_key", CertValidity, Warning;
    /// An RSA key below 1024 bits, which Go 1.24+ refuses.
    KeyTooSmall = "key_too_small", CertValidity, Error;

    /// An IP target, and the certificate has no IP SANs.
    SanIpMissing = "san_ip_missing", SanMatchesHost, Error;
    /// The SANs do not include the dialled name or IP.
    SanMismatch = "san_mismatch", SanMatchesHost, Error;
    /// The certificate has no SAN extension; only its Common Name matches.
    CnOnly = "cn_only", SanMatchesHost, Error;

    /// No chain to a trusted root could be built.
    UnknownAuthority = "unknown_authority", CaChain, Error;
    /// The bundle holds a CA with the issuer's name but a different key.
    WrongCa = "wrong_ca", CaChain, Error;
    /// The issuer of the chain's last certificate is neither sent nor trusted.
    MissingIntermediate = "missing_intermediate", CaChain, Error;
    /// A certificate that signs another is not a CA certificate.
    NotACa = "not_a_ca", CaChain, Error;
    /// A CA certificate of the chain is outside its validity dates.
    ChainExpired = "chain_expired", CaChain, Error;
    /// The leaf's extended key usage does not allow serving TLS.
    IncompatibleUsage = "incompatible_usage", CaChain, Error;
    /// A certificate of the chain has a critical extension Go does not handle.
    UnhandledCriticalExtension = "unhandled_critical_extension", CaChain, Error;
    /// Go accepts the chain but rustls-based clients would not.
    RustlsWouldReject = "rustls_would_reject", CaChain, Warning;
    /// The runtime does not verify this registry's certificate, which Go would refuse.
    TlsVerificationOff = "tls_verification_off", CaChain, Warning;

    /// `/v2/` answered 401: the registry requires authentication.
    AuthRequired = "auth_required", RegistryApi, Warning;
    /// `/v2/` answered 404: not a registry's API root.
    NotARegistry = "not_a_registry", RegistryApi, Error;
    /// `/v2/` answered another unexpected status.
    HttpError = "http_error", RegistryApi, Error;
    /// `/v2/` answered with a redirect.
    HttpRedirect = "http_redirect", RegistryApi, Warning;
    /// `/v2/` answered without the Docker-Distribution-API-Version header.
    ApiVersionMissing = "api_version_missing", RegistryApi, Warning;
    /// No HTTP response to `/v2/` at all.
    NoHttpResponse = "no_http_response", RegistryApi, Error;
    /// `/v2/` redirects in a loop: Go stops after 10 redirects.
    V2RedirectLoop = "v2_redirect_loop", RegistryApi, Error;

    /// The catalog was listed.
    CatalogListed = "catalog_listed", Catalog, Info;
    /// The catalog needs authentication (401).
    CatalogUnauthorized = "catalog_unauthorized", Catalog, Warning;
    /// The catalog is refused (403 / DENIED).
    CatalogDenied = "catalog_denied", Catalog, Warning;
    /// The catalog is not implemented or disabled (404 / 405 / UNSUPPORTED).
    CatalogDisabled = "catalog_disabled", Catalog, Warning;
    /// The catalog answered another unexpected status.
    CatalogError = "catalog_error", Catalog, Warning;

    /// The credentials worked.
    CredentialsOk = "credentials_ok", Credentials, Info;
    /// The registry requires Basic authentication and the runtime has no credentials for it.
    CredentialsMissing = "credentials_missing", Credentials, Error;
    /// The registry did not ask for credentials.
    CredentialsNotNeeded = "credentials_not_needed", Credentials, Info;
    /// A credential helper holds the credentials; regdoctor does not run helpers.
    CredentialsHelperNotRead = "credentials_helper_not_read", Credentials, Info;
    /// The Docker config.json found on the node cannot be used (does not parse, unreadable).
    DockerConfigInvalid = "docker_config_invalid", Credentials, Warning;
    /// The registry rejected the credentials (Basic, or the token on /v2/).
    LoginFailed = "login_failed", Credentials, Error;
    /// The token service refused or failed.
    TokenFailed = "token_failed", Credentials, Error;
    /// The token lacks the access asked for (catalog).
    InsufficientScope = "insufficient_scope", Credentials, Warning;
    /// The challenge's scheme is neither Basic nor Bearer.
    UnsupportedAuthScheme = "unsupported_auth_scheme", Credentials, Warning;

    /// The pull path works: the manifest, the platform's manifest, the configuration blob
    /// (digest checked) and the first byte of the first layer, through every host.
    PullOk = "pull_ok", Pull, Info;
    /// The repository does not exist in the registry.
    ImageNameUnknown = "image_name_unknown", Pull, Error;
    /// The repository exists; the tag (or digest) does not.
    ImageTagUnknown = "image_tag_unknown", Pull, Error;
    /// The registry or its token service grants no pull access to the repository.
    PullDenied = "pull_denied", Pull, Error;
    /// The manifest is of a media type the runtimes do not pull.
    ManifestUnsupported = "manifest_unsupported", Pull, Error;
    /// The index has no manifest for the node's platform.
    PlatformMissing = "platform_missing", Pull, Error;
    /// A blob, or the host its request is redirected to, cannot be reached.
    BlobUnreachable = "blob_unreachable", Pull, Error;
    /// The host a blob request is redirected to presents a certificate the runtime does not trust.
    BlobTlsUntrusted = "blob_tls_untrusted", Pull, Error;
    /// The blob host's certificate does not name it.
    BlobSanMismatch = "blob_san_mismatch", Pull, Error;
    /// A blob's (or a manifest's) bytes do not match its digest.
    BlobDigestMismatch = "blob_digest_mismatch", Pull, Error;
    /// A request of the pull is redirected more than 10 times.
    RedirectLoop = "redirect_loop", Pull, Error;
    /// A request of the pull gets an answer the runtimes do not expect.
    PullFailed = "pull_failed", Pull, Error;

    /// daemon.json is not valid JSON: dockerd does not start.
    DaemonJsonSyntax = "daemon_json_syntax", DaemonJson, Error;
    /// The node's daemon.json is there but regdoctor did not read it (a pipe, a device, too large, no permission).
    DaemonJsonUnreadable = "daemon_json_unreadable", DaemonJson, Error;
    /// A key appears twice; dockerd silently keeps the last value.
    DaemonJsonDuplicateKey = "daemon_json_duplicate_key", DaemonJson, Warning;
    /// A setting given both in daemon.json and on dockerd's command line: dockerd does not start.
    DaemonJsonFlagConflict = "daemon_json_flag_conflict", DaemonJson, Error;
    /// A key dockerd does not know: it refuses to start.
    DaemonJsonUnknownKey = "daemon_json_unknown_key", DaemonJson, Error;
    /// A flag spelling dockerd accepts but never reads: the setting has no effect.
    DaemonJsonNoEffect = "daemon_json_no_effect", DaemonJson, Error;
    /// A value of the wrong JSON type: dockerd does not start.
    DaemonJsonType = "daemon_json_type", DaemonJson, Error;
    /// A deprecated key, or a removed one when the Docker version is unknown.
    DaemonJsonDeprecatedKey = "daemon_json_deprecated_key", DaemonJson, Warning;
    /// A key this node's Docker version refuses.
    DaemonJsonRemovedKey = "daemon_json_removed_key", DaemonJson, Error;
    /// An insecure-registries entry that stops dockerd at start.
    DaemonJsonBadInsecureRegistry = "daemon_json_bad_insecure_registry", DaemonJson, Error;
    /// An insecure-registries entry with http:// or https://, which dockerd strips.
    DaemonJsonInsecureRegistryScheme = "daemon_json_insecure_registry_scheme", DaemonJson, Warning;
    /// A registry-mirrors entry dockerd refuses.
    DaemonJsonBadMirror = "daemon_json_bad_mirror", DaemonJson, Error;
    /// The target is listed as a mirror; mirrors only serve Docker Hub pulls.
    DaemonJsonMirrorNotForPrivate = "daemon_json_mirror_not_for_private", DaemonJson, Warning;
    /// The target speaks plain HTTP and is not in insecure-registries.
    DaemonJsonTargetNotInsecure = "daemon_json_target_not_insecure", DaemonJson, Error;
    /// The target has valid TLS but is listed as insecure: verification is off.
    DaemonJsonTargetInsecure = "daemon_json_target_insecure", DaemonJson, Warning;

    /// No certs.d directory for a registry whose CA is not in the system roots.
    CertsDMissing = "certs_d_missing", CertsD, Error;
    /// A directory for the registry exists under another name (without the port, …).
    CertsDDirMisnamed = "certs_d_dir_misnamed", CertsD, Error;
    /// The CA is in the directory under a name Docker ignores.
    CertsDWrongExtension = "certs_d_wrong_extension", CertsD, Error;
    /// The CAs in the directory do not verify the server's chain.
    CertsDCaMismatch = "certs_d_ca_mismatch", CertsD, Error;
    /// A client certificate without its key, or a key without its certificate.
    CertsDClientPair = "certs_d_client_pair", CertsD, Error;
    /// The registry is insecure for Docker, so certs.d is not read at all.
    CertsDNotRead = "certs_d_not_read", CertsD, Warning;
    /// Files Docker ignores in the directory.
    CertsDIgnoredFile = "certs_d_ignored_file", CertsD, Info;
    /// regdoctor could not read a file Docker loads from the registry's certs.d directory.
    CertsDFileUnreadable = "certs_d_file_unreadable", CertsD, Error;

    /// hosts.toml is not valid TOML: containerd silently falls back.
    HostsTomlSyntax = "hosts_toml_syntax", ContainerdHosts, Error;
    /// hosts.toml has a field error: containerd silently falls back.
    HostsTomlInvalid = "hosts_toml_invalid", ContainerdHosts, Error;
    /// hosts.toml has keys containerd ignores.
    HostsTomlUnknownKey = "hosts_toml_unknown_key", ContainerdHosts, Warning;
    /// No host directory for a registry whose CA is not in the system roots.
    HostsTomlMissing = "hosts_toml_missing", ContainerdHosts, Error;
    /// A host directory for the registry exists under another name (without the port, …).
    HostsTomlDirMisnamed = "hosts_toml_dir_misnamed", ContainerdHosts, Error;
    /// A `ca` file cannot be read or holds no PEM certificate.
    HostsTomlCaUnreadable = "hosts_toml_ca_unreadable", ContainerdHosts, Error;
    /// regdoctor could not read the hosts.toml (a pipe, a device, over 1 MiB, no permission).
    HostsTomlUnreadable = "hosts_toml_unreadable", ContainerdHosts, Error;
    /// The configured CAs do not verify the server's chain.
    HostsTomlCaMismatch = "hosts_toml_ca_mismatch", ContainerdHosts, Error;
    /// `skip_verify = true`: verification is off.
    HostsTomlSkipVerify = "hosts_toml_skip_verify", ContainerdHosts, Warning;
    /// `*.crt` files next to a hosts.toml are not loaded.
    HostsTomlCrtIgnored = "hosts_toml_crt_ignored", ContainerdHosts, Warning;
    /// config.toml does not set config_path: containerd < 2.2 ignores hosts.toml for CRI pulls.
    ContainerdConfigPathUnset = "containerd_config_path_unset", ContainerdHosts, Warning;
    /// config.toml uses the deprecated registry.mirrors / registry.configs sections.
    ContainerdRegistryDeprecated = "containerd_registry_deprecated", ContainerdHosts, Warning;
    /// The node's containerd config.toml is there but regdoctor did not read it.
    ContainerdConfigUnreadable = "containerd_config_unreadable", ContainerdHosts, Error;

    /// registries.conf is not valid TOML.
    RegistriesConfSyntax = "registries_conf_syntax", ContainersRegistries, Error;
    /// The node's registries.conf is there but regdoctor did not read it.
    RegistriesConfUnreadable = "registries_conf_unreadable", ContainersRegistries, Error;
    /// registries.conf mixes the v1 and v2 formats.
    RegistriesConfMixedVersions = "registries_conf_mixed_versions", ContainersRegistries, Error;
    /// A plain-HTTP registry not marked insecure in registries.conf.
    RegistriesConfNotInsecure = "registries_conf_not_insecure", ContainersRegistries, Error;
    /// An earlier containers certs.d directory hides the one with the right CA.
    ContainersCertsDShadowed = "containers_certs_d_shadowed", ContainersRegistries, Error;
    /// The containers certs.d directory that is read does not verify the chain.
    ContainersCertsDCaMismatch = "containers_certs_d_ca_mismatch", ContainersRegistries, Error;
    /// The CA is in the containers certs.d directory under a name it ignores.
    ContainersCertsDWrongExtension = "containers_certs_d_wrong_extension", ContainersRegistries, Error;
    /// A client certificate without its key, or a key without its certificate.
    ContainersCertsDClientPair = "containers_certs_d_client_pair", ContainersRegistries, Error;
    /// A containers certs.d directory found on the node cannot be listed (a file, no permission).
    ContainersCertsDUnreadable = "containers_certs_d_unreadable", ContainersRegistries, Error;
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Code {
    /// Parses a code name in any case, with `_` or `-`.
    pub fn parse(s: &str) -> Option<Code> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Code::ALL.iter().copied().find(|c| c.as_str() == norm)
    }
}
