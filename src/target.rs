//! Parses the TARGET argument (`host`, `host:port`, `[v6]:port`, `https://host:port/path`,
//! or an image reference `host:port/team/app:1.4`, `team/app@sha256:…`) into a
//! [`Target`]. Pure: no DNS, no I/O.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

/// The host part of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Host {
    /// An IP literal: the runtimes then check the certificate's IP SANs.
    Ip(IpAddr),
    /// A DNS name (lower-cased): the runtimes check the DNS SANs.
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// How to talk to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// TLS (the runtimes' default).
    Https,
    /// Plaintext HTTP (`http://` given explicitly).
    Http,
}

impl Scheme {
    /// "https" or "http".
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The argument as the user typed it.
    pub input: String,
    /// Host name or IP.
    pub host: Host,
    /// Port (443/80 when not given).
    pub port: u16,
    /// Whether the port was written in the argument.
    pub explicit_port: bool,
    /// https unless `http://` was given.
    pub scheme: Scheme,
    /// A URL path that was given and is ignored.
    pub ignored_path: Option<String>,
    /// The image, when the target is an image reference: the pull path is followed.
    pub image: Option<ImageRef>,
}

/// An image in a registry, as in `10.0.0.5:5000/team/app:1.4` (the part after the
/// registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// The repository (`team/app`; `library/alpine` for a Docker Hub official image).
    pub repository: String,
    /// The tag, when given (`latest` is used when neither a tag nor a digest is).
    pub tag: Option<String>,
    /// The digest, when given (`sha256:…`): it wins over the tag, as in the runtimes.
    pub digest: Option<String>,
}

impl ImageRef {
    /// What the manifest is asked by: the digest, else the tag, else `latest`.
    pub fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// `repository:tag` or `repository@digest`, as a runtime names it.
    pub fn familiar(&self) -> String {
        match &self.digest {
            Some(d) => format!("{}@{d}", self.repository),
            None => format!("{}:{}", self.repository, self.reference()),
        }
    }
}

impl Target {
    /// `host:port` as it appears in an image reference and in `certs.d` directory names
    /// (`[v6]:port` for IPv6; the port omitted when it was not given).
    pub fn registry_name(&self) -> String {
        let host = self.host_for_url();
        if self.explicit_port {
            format!("{host}:{}", self.port)
        } else {
            host
        }
    }

    /// `host:port`, always with the port (brackets for IPv6).
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host_for_url(), self.port)
    }

    /// The host as written in a URL: IPv6 in brackets.
    pub fn host_for_url(&self) -> String {
        match &self.host {
            Host::Ip(IpAddr::V6(v6)) => format!("[{v6}]"),
            h => h.to_string(),
        }
    }

    /// The URL the runtimes ping first: `https://host:port/v2/`.
    pub fn v2_url(&self) -> String {
        format!("{}://{}/v2/", self.scheme.as_str(), self.registry_name())
    }
}

/// Why a target argument cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing given.
    #[error("the target is empty")]
    Empty,
    /// A scheme other than http/https.
    #[error("unsupported scheme {0:?}: use https:// (the default) or http://")]
    Scheme(String),
    /// user:password@ in the URL.
    #[error("credentials in the target URL are not accepted: use --user and --password-stdin")]
    Userinfo,
    /// The port is not a number 1..=65535.
    #[error("invalid port {0:?}: expected a number from 1 to 65535")]
    Port(String),
    /// Bad host syntax.
    #[error("invalid host {0:?}")]
    Host(String),
    /// A bare IPv6 address whose last group looks like a port.
    #[error("an IPv6 address with a port needs brackets: [{1}]:{2} (or [{0}] for port 443)")]
    Ipv6Port(String, String, String),
    /// An IPv6 address with a zone ID (`[fe80::1%eth0]`): the address and the zone.
    /// The runtimes' reference grammars have no zone (distribution/reference, used by
    /// Docker and containerd's CRI since 1.7: `ipv6address = \[(?:[a-fA-F0-9:]+)\]`,
    /// zone IDs "deliberately excluded"), and containerd 1.6's copy and containers/image
    /// (CRI-O, podman) no IPv6 address at all, so no image reference can name this
    /// registry (checks/target.md).
    #[error(
        "an IPv6 zone ID (%{1}) cannot be part of an image reference: Docker, containerd and CRI-O refuse [{0}%{1}] as an invalid reference format, so no runtime can pull by this name; give the registry a DNS name (CRI-O and podman take no IPv6 address at all), or for Docker and containerd >= 1.7 an address that needs no zone, e.g. a unique-local [fd00::5]:5000"
    )]
    Ipv6Zone(String, String),
    /// An image reference the runtimes would refuse (their own wording).
    #[error("invalid reference format: {0}")]
    Reference(String),
}

/// Docker Hub: the name `docker.io` in references, the host the runtimes dial.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_HOST: &str = "registry-1.docker.io";

/// Parses a target argument.
pub fn parse(input: &str) -> Result<Target, TargetError> {
    let raw = input.trim();
    if raw.is_empty() {
        return Err(TargetError::Empty);
    }
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, rest)) => match s.to_ascii_lowercase().as_str() {
            "https" => (Scheme::Https, rest),
            "http" => (Scheme::Http, rest),
            _ => return Err(TargetError::Scheme(s.to_string())),
        },
        None => (Scheme::Https, raw),
    };
    if !raw.contains("://") && is_image_reference(rest) {
        return parse_image(input, rest);
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    if authority.contains('@') {
        return Err(TargetError::Userinfo);
    }
    let (host_str, port_str) = split_host_port(authority)?;
    let host = parse_host(host_str)?;
    // Brackets hold an address: "[reg]" is no name (found by fuzz/: "[reg]/app" printed
    // back as "reg/app", Docker Hub's).
    if authority.starts_with('[') && !matches!(host, Host::Ip(_)) {
        return Err(TargetError::Host(authority.to_string()));
    }
    let port = match port_str {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(TargetError::Port(p.to_string())),
        },
        None => None,
    };
    let default_port = match scheme {
        Scheme::Https => 443,
        Scheme::Http => 80,
    };
    let ignored_path = path.filter(|p| !p.is_empty() && *p != "/" && *p != "/v2" && *p != "/v2/");
    Ok(Target {
        input: input.to_string(),
        host,
        port: port.unwrap_or(default_port),
        explicit_port: port.is_some(),
        scheme,
        ignored_path: ignored_path.map(str::to_string),
        image: None,
    })
}

/// Whether a target without a scheme is an image reference: it has a path that is not
/// the API's (`/v2/...`), or a digest. A bare `host` or `host:port` is a registry.
fn is_image_reference(rest: &str) -> bool {
    if rest.contains('@') {
        return true;
    }
    rest.split_once('/')
        .is_some_and(|(_, path)| !(path.is_empty() || path == "v2" || path.starts_with("v2/")))
}

/// Parses an image reference as Docker's `reference.ParseNormalizedNamed` does: the
/// first component is a registry when it has a `.` or a `:` or is `localhost`, else the
/// image is on Docker Hub (`library/` added to a one-component name).
fn parse_image(input: &str, rest: &str) -> Result<Target, TargetError> {
    let bad = |why: &str| Err(TargetError::Reference(why.to_string()));
    let (name_tag, digest) = match rest.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (rest, None),
    };
    let (first, remainder) = match name_tag.split_once('/') {
        Some((f, r))
            if f.contains('.') || f.contains(':') || f == "localhost" || f.starts_with('[') =>
        {
            (Some(f), r)
        }
        _ => (None, name_tag),
    };
    // The tag: after the last ':' of the last path component.
    let last_slash = remainder.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match remainder[last_slash..].rfind(':') {
        Some(i) => (
            &remainder[..last_slash + i],
            Some(&remainder[last_slash + i + 1..]),
        ),
        None => (remainder, None),
    };
    if repository.is_empty() {
        return bad("the repository name is empty");
    }
    if repository.chars().any(|c| c.is_ascii_uppercase()) {
        return bad("repository name must be lowercase");
    }
    if repository.len() > 255 || !repository.split('/').all(valid_path_component) {
        return bad(&format!(
            "{repository:?} is not a repository name (lower-case letters, digits and . _ - separators, components joined by /)"
        ));
    }
    if let Some(t) = tag
        && !valid_tag(t)
    {
        return bad(&format!(
            "{t:?} is not a tag (up to 128 letters, digits, _ . -, not starting with . or -)"
        ));
    }
    if let Some(d) = digest
        && !valid_digest(d)
    {
        return bad(&format!(
            "{d:?} is not a digest (sha256: and 64 lower-case hex digits)"
        ));
    }
    if let Some(registry) = first
        && !valid_domain(registry)
    {
        return bad(&format!(
            "{registry:?} is not a registry (host name labels of letters, digits and -, joined by single dots, or [IPv6], and an optional :port)"
        ));
    }
    let (mut target, repository) = match first {
        Some(registry) => (parse(registry)?, repository.to_string()),
        None => {
            let repository = if repository.contains('/') {
                repository.to_string()
            } else {
                format!("library/{repository}")
            };
            (parse(DOCKER_HUB_HOST)?, repository)
        }
    };
    target.input = input.to_string();
    target.image = Some(ImageRef {
        repository,
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    });
    Ok(target)
}

/// distribution's path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or "-"+, between alphanumerics.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// distribution's domain: `[v6]` or labels `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` joined by
/// single dots (no trailing dot, no `_`), then an optional `:port`. Found by fuzz/: with a
/// trailing dot (`reg./app`) the registry's name lost it and the printed reference
/// (`reg/app`) named Docker Hub.
fn valid_domain(d: &str) -> bool {
    if d.starts_with('[') {
        return true;
    }
    let host = d.split_once(':').map_or(d, |(h, _)| h);
    let label = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
    };
    host.split('.').all(label)
}

/// distribution's tag: `[\w][\w.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

/// A digest go-digest validates: `sha256:`, `sha384:` or `sha512:` and that hash's
/// length in lower-case hex digits. A digest from a server goes into request paths only
/// when it is one.
pub fn valid_digest(d: &str) -> bool {
    let Some((algorithm, hex)) = d.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|x| x.is_ascii_digit() || (b'a'..=b'f').contains(&x))
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), TargetError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::Host(authority.to_string()))?;
        return match after {
            "" => Ok((host, None)),
            p => match p.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(TargetError::Host(authority.to_string())),
            },
        };
    }
    // A bare IPv6 address (two or more colons) has no port; a last group of three or
    // more decimal digits after "::" is most likely a port written without brackets.
    if authority.matches(':').count() >= 2 {
        if let Some((addr, last)) = authority.rsplit_once(':')
            && addr.contains("::")
            && !addr.ends_with(':')
            && last.len() >= 3
            && last.bytes().all(|b| b.is_ascii_digit())
            && addr.parse::<IpAddr>().is_ok()
        {
            return Err(TargetError::Ipv6Port(
                authority.to_string(),
                addr.to_string(),
                last.to_string(),
            ));
        }
        return Ok((authority, None));
    }
    match authority.split_once(':') {
        Some((h, p)) => Ok((h, Some(p))),
        None => Ok((authority, None)),
    }
}

fn parse_host(s: &str) -> Result<Host, TargetError> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    // `fe80::1%eth0`, or `%25eth0` as RFC 6874 writes it in a URL.
    if let Some((addr, zone)) = s.split_once('%')
        && addr.parse::<std::net::Ipv6Addr>().is_ok()
    {
        let zone = zone
            .strip_prefix("25")
            .filter(|z| !z.is_empty())
            .unwrap_or(zone);
        let zone = zone.split(':').next().unwrap_or_default();
        return Err(TargetError::Ipv6Zone(addr.to_string(), zone.to_string()));
    }
    // One trailing dot is the DNS root; "reg.local.." is not a name.
    let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    // "10.0.0.5." is the address 10.0.0.5: it prints back as that, and a name would not.
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(valid_label) {
        return Err(TargetError::Host(s.to_string()));
    }
    Ok(Host::Name(name))
}

/// Splits `https://host:port/path?q` into a target and `/path?q`.
pub fn split_url(url: &str) -> Option<(Target, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    let t = parse(&format!("{scheme}://{authority}")).ok()?;
    Some((t, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_digests_go_into_request_paths() {
        let hex64 = "a".repeat(64);
        assert!(valid_digest(&format!("sha256:{hex64}")));
        assert!(valid_digest(&format!("sha512:{}", "0".repeat(128))));
        for bad in [
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}", &hex64[1..]),
            format!("sha256:{hex64}/../../_catalog"),
            format!("md5:{}", "a".repeat(32)),
            "sha256:../../v2/_catalog?n=1".to_string(),
            hex64.clone(),
        ] {
            assert!(!valid_digest(&bad), "{bad}");
        }
    }

    #[test]
    fn ip_and_port() {
        let t = parse("10.0.0.5:5000").unwrap();
        assert_eq!(t.host, Host::Ip("10.0.0.5".parse().unwrap()));
        assert_eq!(t.port, 5000);
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!(t.registry_name(), "10.0.0.5:5000");
    }

    #[test]
    fn default_port_is_443_and_not_in_registry_name() {
        let t = parse("Registry.Example.com").unwrap();
        assert_eq!(t.port, 443);
        assert_eq!(t.host, Host::Name("registry.example.com".into()));
        assert_eq!(t.registry_name(), "registry.example.com");
        assert_eq!(t.authority(), "registry.example.com:443");
    }

    #[test]
    fn ipv6_with_brackets() {
        let t = parse("[::1]:5000").unwrap();
        assert_eq!(t.host, Host::Ip("::1".parse().unwrap()));
        assert_eq!(t.registry_name(), "[::1]:5000");
        let bare = parse("fd00::1").unwrap();
        assert_eq!(bare.port, 443);
        let err = parse("fe80::1:5000").unwrap_err().to_string();
        assert!(err.contains("[fe80::1]:5000"), "{err}");
        assert!(parse("[fe80::1:5000]").is_ok());
    }

    #[test]
    fn an_ipv6_zone_id_is_refused_saying_why_and_what_to_use() {
        for (input, zone) in [
            ("[fe80::1%eth0]:5000", "eth0"),
            ("[fe80::1%eth0]", "eth0"),
            ("https://[fe80::1%25eth0]:5000", "eth0"),
            ("[fe80::1%eth0]:5000/team/app:1.4", "eth0"),
            ("fe80::1%eth0", "eth0"),
            ("fe80::1%eth0:5000", "eth0"),
        ] {
            let err = parse(input).unwrap_err();
            assert_eq!(
                err,
                TargetError::Ipv6Zone("fe80::1".into(), zone.into()),
                "{input}"
            );
            let text = err.to_string();
            assert!(
                text.contains("zone ID (%eth0) cannot be part of an image reference"),
                "{text}"
            );
            assert!(text.contains("a DNS name"), "{text}");
        }
        // A '%' that is not after an IPv6 address stays an invalid host.
        assert!(matches!(parse("reg%x:5000"), Err(TargetError::Host(_))));
    }

    #[test]
    fn url_with_path_records_the_ignored_path() {
        let t = parse("https://reg.local:5000/v2/_catalog").unwrap();
        assert_eq!(t.port, 5000);
        assert_eq!(t.ignored_path.as_deref(), Some("/v2/_catalog"));
        assert_eq!(
            parse("https://reg.local:5000/v2/").unwrap().ignored_path,
            None
        );
    }

    #[test]
    fn http_scheme_defaults_to_port_80() {
        let t = parse("http://reg.local").unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::Http, 80));
    }

    #[test]
    fn an_ip_with_a_trailing_dot_is_that_ip() {
        // Found by fuzz/: "10.0.0.50." was the DNS name "10.0.0.50", which prints back as
        // an IP target.
        let t = parse("10.0.0.50.:5000").unwrap();
        assert_eq!(t.host, Host::Ip("10.0.0.50".parse().unwrap()));
        assert_eq!(parse(&t.registry_name()).unwrap().host, t.host);
        assert_eq!(
            parse("[1.2.3.4.]").unwrap().host,
            Host::Ip("1.2.3.4".parse().unwrap())
        );
        assert_eq!(
            parse("reg.local.").unwrap().host,
            Host::Name("reg.local".into())
        );
    }

    #[test]
    fn a_registry_in_an_image_reference_is_a_domain_as_in_docker() {
        // Found by fuzz/: "reg./app" had the registry "reg", so the reference printed
        // back as "reg/app", which is Docker Hub's.
        for bad in [
            "5./u",
            "10../0.500",
            "reg_x.local/app",
            "reg..local/app",
            "-a.b/app",
        ] {
            assert!(
                matches!(parse(bad), Err(TargetError::Reference(_))),
                "{bad} was accepted"
            );
        }
        for good in [
            "Reg.Local/app",
            "a-b.c:5000/app",
            "[fe80::1]:5000/app",
            "10.0.0.5/app",
        ] {
            assert!(parse(good).unwrap().image.is_some(), "{good}");
        }
        // Brackets hold an address, not a name.
        assert!(matches!(parse("[reg]:5000"), Err(TargetError::Host(_))));
        assert!(parse("[1]/55/4u").is_err());
        assert!(parse("[fe80::1]/app").is_ok());
        // A host name takes one trailing dot, the DNS root, not two.
        assert!(matches!(parse("reg.local.."), Err(TargetError::Host(_))));
        assert!(matches!(parse("80........"), Err(TargetError::Host(_))));
    }

    #[test]
    fn image_references_name_the_registry_and_the_image() {
        let t = parse("10.0.0.5:5000/team/app:1.4").unwrap();
        assert_eq!(t.registry_name(), "10.0.0.5:5000");
        let i = t.image.unwrap();
        assert_eq!(
            (i.repository.as_str(), i.tag.as_deref(), i.reference()),
            ("team/app", Some("1.4"), "1.4")
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let t = parse(&format!("reg.example.com/app@{d}")).unwrap();
        let i = t.image.unwrap();
        assert_eq!((i.reference(), i.tag.as_deref()), (d.as_str(), None));
        assert_eq!(t.port, 443);
        // A tag and a digest: the digest is what is pulled.
        let t = parse(&format!("localhost:5000/app:v1@{d}")).unwrap();
        assert_eq!(t.image.unwrap().reference(), d);
        // No tag: latest.
        let t = parse("[::1]:5000/app").unwrap();
        assert_eq!(t.registry_name(), "[::1]:5000");
        assert_eq!(t.image.unwrap().familiar(), "app:latest");
    }

    #[test]
    fn a_first_component_without_dot_or_colon_is_docker_hub() {
        let t = parse("team/app:1.4").unwrap();
        assert_eq!(t.host, Host::Name("registry-1.docker.io".into()));
        assert_eq!(t.image.unwrap().repository, "team/app");
        let t = parse("localhost/app").unwrap();
        assert_eq!(t.host, Host::Name("localhost".into()));
    }

    #[test]
    fn the_api_path_is_not_an_image() {
        let t = parse("10.0.0.5:5000/v2/").unwrap();
        assert_eq!((t.image, t.ignored_path), (None, None));
        assert!(parse("10.0.0.5:5000").unwrap().image.is_none());
        // With a scheme, a path stays an ignored URL path.
        let t = parse("https://10.0.0.5:5000/team/app:1.4").unwrap();
        assert!(t.image.is_none());
        assert!(t.ignored_path.is_some());
    }

    #[test]
    fn bad_references_say_why_in_docker_s_words() {
        let e = parse("10.0.0.5:5000/Team/app").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid reference format: repository name must be lowercase"
        );
        assert!(matches!(
            parse("10.0.0.5:5000/app:-bad"),
            Err(TargetError::Reference(_))
        ));
        assert!(matches!(
            parse("10.0.0.5:5000/app@sha256:abc"),
            Err(TargetError::Reference(_))
        ));
        assert!(matches!(
            parse("10.0.0.5:5000/a..b"),
            Err(TargetError::Reference(_))
        ));
        assert!(valid_path_component("a__b-c.d"));
        assert!(valid_path_component("a---b"));
        assert!(!valid_path_component("a___b"));
        assert!(!valid_path_component("_a"));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(parse(""), Err(TargetError::Empty));
        assert!(matches!(parse("ftp://x"), Err(TargetError::Scheme(_))));
        assert!(matches!(parse("h:99999"), Err(TargetError::Port(_))));
        assert!(matches!(parse("h:0"), Err(TargetError::Port(_))));
        assert!(matches!(parse("h:abc"), Err(TargetError::Port(_))));
        assert_eq!(parse("https://u:p@h:5000"), Err(TargetError::Userinfo));
        assert!(matches!(parse("bad host"), Err(TargetError::Host(_))));
        assert!(matches!(parse("[::1"), Err(TargetError::Host(_))));
    }

    #[test]
    fn realm_urls_split() {
        let (t, p) = split_url("https://auth.example.com:5001/token?x=1").unwrap();
        assert_eq!(
            (t.authority().as_str(), p.as_str()),
            ("auth.example.com:5001", "/token?x=1")
        );
        let (t, p) = split_url("http://10.0.0.5").unwrap();
        assert_eq!((t.port, p.as_str()), (80, "/"));
        assert!(split_url("ftp://x/y").is_none());
        assert!(split_url("no-scheme").is_none());
    }
}
