//! Go's proxy rules: a port of `golang.org/x/net/http/httpproxy`, the package behind
//! `net/http.ProxyFromEnvironment`, which the runtimes' registry clients use (moby
//! `registry.NewTransport`, containerd's default hosts transport and the CRI plugin's,
//! containers/image's `tlsclientconfig.NewTransport`).
//!
//! - [`Config::from_env`] is `FromEnvironment`: `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`,
//!   each upper-case first, the lower-case spelling when the upper-case one is unset or
//!   empty; `REQUEST_METHOD` set means a CGI process.
//! - [`Config::proxy_func`] is `ProxyFunc`, and [`ProxyFunc::decide`] its `proxyForURL`:
//!   `HTTPS_PROXY` for `https`, `HTTP_PROXY` for `http` (refused in a CGI process), no
//!   proxy for `localhost` and loopback addresses, then the `NO_PROXY` entries: `*`, IP
//!   addresses and CIDRs (matching IP literals only), `host:port` and `[v6]:port`, domain
//!   names (`foo.com` matches it and its subdomains, `.foo.com` and `*.foo.com` only the
//!   subdomains), compared lower-case, non-ASCII names in their ASCII (punycode) form.
//! - A proxy value without a scheme gets `http://` ([`ProxyUrl::parse`] follows Go's
//!   `url.Parse` for the forms that matter).
//!
//! The rules changed twice after Go 1.19 (the Go of Debian 12's runtimes, whose std
//! vendors x/net from 2023-02-14); [`GoRules`] says which apply to a binary:
//! x/net 8c07e20f ("allow any scheme", x/net v0.23.0, first in Go 1.23: before it a scheme
//! other than http, https or socks5 was taken for a host name) and x/net cde1dda9
//! (CVE-2025-22870, Go 1.23.7 and 1.24.1: an IPv6 literal with a zone no longer matches a
//! domain entry).
//!
//! Pure: the environment comes in as a lookup function.

use std::fmt;
use std::net::IpAddr;

use crate::secret::Secret;

/// The proxy settings of a process (Go's `httpproxy.Config`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `HTTP_PROXY` or `http_proxy`: the proxy for `http` requests.
    pub http_proxy: String,
    /// `HTTPS_PROXY` or `https_proxy`: the proxy for `https` requests.
    pub https_proxy: String,
    /// `NO_PROXY` or `no_proxy`: comma-separated exceptions.
    pub no_proxy: String,
    /// `REQUEST_METHOD` is set: a CGI process, where `HTTP_PROXY` may come from a client.
    pub cgi: bool,
}

/// The variables Go reads, upper-case spelling first.
pub const VARIABLES: &[(&str, &str)] = &[
    ("HTTP_PROXY", "http_proxy"),
    ("HTTPS_PROXY", "https_proxy"),
    ("NO_PROXY", "no_proxy"),
];

/// Every variable name Go's `FromEnvironment` reads, both cases, and `REQUEST_METHOD`
/// (a CGI request disables `HTTP_PROXY`).
pub const NAMES: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Go's `getEnvAny`: the first of `names` with a non-empty value, with its name.
pub fn env_any<'n>(
    lookup: &dyn Fn(&str) -> Option<String>,
    names: &[&'n str],
) -> Option<(&'n str, String)> {
    names
        .iter()
        .find_map(|n| lookup(n).filter(|v| !v.is_empty()).map(|v| (*n, v)))
}

impl Config {
    /// `FromEnvironment`, with `lookup` standing for `os.Getenv` (None: unset).
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Config {
        let get = |(upper, lower): (&str, &str)| {
            env_any(lookup, &[upper, lower])
                .map(|(_, v)| v)
                .unwrap_or_default()
        };
        Config {
            http_proxy: get(VARIABLES[0]),
            https_proxy: get(VARIABLES[1]),
            no_proxy: get(VARIABLES[2]),
            cgi: lookup("REQUEST_METHOD").is_some_and(|v| !v.is_empty()),
        }
    }

    /// `ProxyFunc`: the settings parsed once, under the rules of a Go version.
    pub fn proxy_func(&self, rules: GoRules) -> ProxyFunc {
        let mut f = ProxyFunc {
            http: parse_proxy(&self.http_proxy, rules).ok().flatten(),
            https: parse_proxy(&self.https_proxy, rules).ok().flatten(),
            all: false,
            ip: vec![],
            domain: vec![],
            cgi: self.cgi,
            rules,
        };
        f.init(&self.no_proxy);
        f
    }
}

/// Which of the rule changes after Go 1.19 a binary has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoRules {
    /// Any scheme is kept (Go ≥ 1.23); before, only http, https and socks5 were, and
    /// `foo://host` became `http://foo://host`.
    pub any_scheme: bool,
    /// IPv6 literals may carry a zone and never match a domain entry (Go ≥ 1.23.7, 1.24.1).
    pub zone_ids: bool,
}

impl GoRules {
    /// The rules of today's Go.
    pub const CURRENT: GoRules = GoRules {
        any_scheme: true,
        zone_ids: true,
    };

    /// The rules of Go 1.19 (Debian 12's dockerd, containerd and skopeo).
    pub const GO_1_19: GoRules = GoRules {
        any_scheme: false,
        zone_ids: false,
    };

    /// The rules of a Go version (`1.19.8`, `go1.22.1`); today's when unknown.
    pub fn for_go(version: Option<&str>) -> GoRules {
        let Some(v) = version.and_then(go_version) else {
            return GoRules::CURRENT;
        };
        GoRules {
            any_scheme: v >= (1, 23, 0),
            zone_ids: v >= (1, 24, 1) || ((1, 23, 7)..(1, 24, 0)).contains(&v),
        }
    }
}

impl Default for GoRules {
    fn default() -> GoRules {
        GoRules::CURRENT
    }
}

/// `1.19.8` / `go1.22` → (1, 19, 8) / (1, 22, 0).
fn go_version(v: &str) -> Option<(u32, u32, u32)> {
    let v = v.trim().trim_start_matches("go");
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// The user name and password of a proxy URL: secrets, never shown.
#[derive(Clone, Debug)]
struct UserInfo {
    user: Secret,
    password: Option<Secret>,
}

/// A proxy URL as Go's `url.Parse` reads it. Its user name and password are never shown:
/// `Display`, `Debug` and `Serialize` give [`ProxyUrl::redacted`].
#[derive(Clone)]
pub struct ProxyUrl {
    scheme: String,
    user: Option<UserInfo>,
    /// `url.Host`: `host`, `host:port` or `[v6]:port` (unescaped).
    host: String,
    /// `url.Opaque` (`scheme:opaque`, no `//`).
    opaque: String,
    /// The path, query and fragment as written.
    rest: String,
}

impl PartialEq for ProxyUrl {
    fn eq(&self, other: &ProxyUrl) -> bool {
        let secret = |u: &Option<UserInfo>| {
            u.as_ref().map(|u| {
                (
                    u.user.expose().to_string(),
                    u.password.as_ref().map(|p| p.expose().to_string()),
                )
            })
        };
        self.scheme == other.scheme
            && self.host == other.host
            && self.opaque == other.opaque
            && self.rest == other.rest
            && secret(&self.user) == secret(&other.user)
    }
}

impl Eq for ProxyUrl {}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({})", self.redacted())
    }
}

impl serde::Serialize for ProxyUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl ProxyUrl {
    /// Go's `url.Parse` for the forms a proxy variable takes.
    pub fn parse(raw: &str) -> Result<ProxyUrl, String> {
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err("net/url: invalid control character in URL".into());
        }
        let (raw, fragment) = match raw.split_once('#') {
            Some((r, f)) => (r, format!("#{f}")),
            None => (raw, String::new()),
        };
        let (scheme, rest) = get_scheme(raw)?;
        let scheme = scheme.to_ascii_lowercase();
        let (rest, query) = match rest.find('?') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let mut url = ProxyUrl {
            scheme,
            user: None,
            host: String::new(),
            opaque: String::new(),
            rest: String::new(),
        };
        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                url.opaque = rest.to_string();
                url.rest = format!("{query}{fragment}");
                return Ok(url);
            }
            let segment = rest.split('/').next().unwrap_or_default();
            if segment.contains(':') {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        let mut path = rest;
        if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let after = &rest[2..];
            let (authority, p) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            let (user, host) = parse_authority(authority)?;
            url.user = user;
            url.host = host;
            path = p;
        }
        unescape(path, Mode::Path)?;
        url.rest = format!("{path}{query}{fragment}");
        Ok(url)
    }

    /// The scheme, lower-case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `url.Hostname()`: the host without port and brackets.
    pub fn hostname(&self) -> String {
        split_host_port_lenient(&self.host).0
    }

    /// `url.Port()`: the port as written, if any.
    pub fn port(&self) -> Option<String> {
        Some(split_host_port_lenient(&self.host).1).filter(|p| !p.is_empty())
    }

    /// Where Go dials the proxy (`connectMethod.addr()`): the host in its ASCII form and
    /// the port, by default 80 for http, 443 for https and 1080 for socks5.
    pub fn dial_addr(&self) -> (String, Option<u16>) {
        let host = idna_ascii(&self.hostname()).unwrap_or_else(|| self.hostname());
        let port = self
            .port()
            .or_else(|| default_port(&self.scheme).map(str::to_string));
        (host, port.and_then(|p| p.parse().ok()))
    }

    /// `host:port` as Go prints it in a dial error (`[v6]:port` for IPv6).
    pub fn dial_authority(&self) -> String {
        let (host, port) = self.dial_addr();
        let port = port.map(|p| p.to_string()).unwrap_or_default();
        if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }

    /// Whether the URL carries a user name (and password).
    pub fn has_credentials(&self) -> bool {
        self.user.is_some()
    }

    /// The `Proxy-Authorization` value Go sends (`Basic base64(user:password)`), when the
    /// URL carries a user. Secret: put it in a header, never print it.
    pub fn proxy_authorization(&self) -> Option<Secret> {
        use base64::Engine;
        let u = self.user.as_ref()?;
        let pair = format!(
            "{}:{}",
            u.user.expose(),
            u.password.as_ref().map(|p| p.expose()).unwrap_or("")
        );
        Some(Secret::new(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )))
    }

    /// The URL with its user name and password masked as dockerd masks them in its log
    /// (`http://xxxxx:xxxxx@proxy:3128`).
    pub fn redacted(&self) -> String {
        let user = match &self.user {
            Some(UserInfo { password: None, .. }) => "xxxxx@",
            Some(_) => "xxxxx:xxxxx@",
            None => "",
        };
        self.render(user)
    }

    fn render(&self, user: &str) -> String {
        if !self.opaque.is_empty() {
            return format!("{}:{}{}", self.scheme, self.opaque, self.rest);
        }
        let mut s = String::new();
        if !self.scheme.is_empty() {
            s.push_str(&self.scheme);
            s.push(':');
        }
        if !self.scheme.is_empty() || !self.host.is_empty() || !user.is_empty() {
            s.push_str("//");
            s.push_str(user);
            s.push_str(&self.host);
        }
        s.push_str(&self.rest);
        s
    }

    /// Go's `url.String()`, password included: for tests only.
    #[cfg(test)]
    fn go_string(&self) -> String {
        let user = match &self.user {
            Some(u) => match &u.password {
                Some(p) => format!("{}:{}@", u.user.expose(), p.expose()),
                None => format!("{}@", u.user.expose()),
            },
            None => String::new(),
        };
        self.render(&user)
    }
}

fn default_port(scheme: &str) -> Option<&'static str> {
    match scheme {
        "http" => Some("80"),
        "https" => Some("443"),
        "socks5" => Some("1080"),
        _ => None,
    }
}

/// Go's `getScheme`.
fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok(("", raw)),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `parseAuthority`: the user information (before the last `@`) and the host.
fn parse_authority(authority: &str) -> Result<(Option<UserInfo>, String), String> {
    let Some(i) = authority.rfind('@') else {
        return Ok((None, parse_host(authority)?));
    };
    let host = parse_host(&authority[i + 1..])?;
    let userinfo = &authority[..i];
    let valid = userinfo
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b));
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.split_once(':') {
        None => UserInfo {
            user: Secret::new(unescape(userinfo, Mode::UserPassword)?),
            password: None,
        },
        Some((u, p)) => UserInfo {
            user: Secret::new(unescape(u, Mode::UserPassword)?),
            password: Some(Secret::new(unescape(p, Mode::UserPassword)?)),
        },
    };
    Ok((Some(user), host))
}

/// Go's `parseHost`: brackets and zones for IPv6, a port that is all digits.
fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
        if let Some(zone) = host[..i].find("%25") {
            let a = unescape(&host[..zone], Mode::Host)?;
            let b = unescape(&host[zone..i], Mode::Zone)?;
            let c = unescape(&host[i..], Mode::Host)?;
            return Ok(format!("{a}{b}{c}"));
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        _ if port.is_empty() => true,
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Zone,
    UserPassword,
    Path,
}

/// Go's `unescape`: `%XX` decoded; in a host only non-ASCII bytes may be escaped (and
/// `%25`, the zone separator), and characters a host cannot hold are refused.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) else {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..end])
                    ));
                };
                if mode == Mode::Host && h < 8 && &b[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..i + 3])
                    ));
                }
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            c if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && !host_char(c) => {
                return Err(format!(
                    "invalid character {:?} in host name",
                    String::from_utf8_lossy(&b[i..i + 1])
                ));
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The ASCII characters Go leaves unescaped in a host (`shouldEscape` in host mode).
fn host_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c)
}

/// Go's `parseProxy`: a value that does not parse as a proxy URL is tried with `http://`
/// in front; `""` is no proxy.
pub fn parse_proxy(proxy: &str, rules: GoRules) -> Result<Option<ProxyUrl>, String> {
    if proxy.is_empty() {
        return Ok(None);
    }
    let parsed = ProxyUrl::parse(proxy);
    let retry = match &parsed {
        Err(_) => true,
        Ok(u) if rules.any_scheme => u.scheme.is_empty() || u.host.is_empty(),
        Ok(u) => !matches!(u.scheme.as_str(), "http" | "https" | "socks5"),
    };
    if retry && let Ok(u) = ProxyUrl::parse(&format!("http://{proxy}")) {
        return Ok(Some(u));
    }
    match parsed {
        Ok(u) => Ok(Some(u)),
        Err(e) => Err(format!("invalid proxy address {proxy:?}: {e}")),
    }
}

/// One `NO_PROXY` entry that matches IP literals.
#[derive(Debug, Clone)]
enum IpMatcher {
    /// `10.0.0.0/8`: the network address and prefix length.
    Cidr {
        entry: String,
        net: IpAddr,
        bits: u8,
    },
    /// `10.0.0.5` or `10.0.0.5:5000`.
    Ip {
        entry: String,
        ip: IpAddr,
        port: String,
    },
}

/// One `NO_PROXY` entry that matches names (and, before Go 1.23.7, any host text).
#[derive(Debug, Clone)]
struct DomainMatcher {
    entry: String,
    /// With a leading dot.
    host: String,
    port: String,
    /// The entry had no leading dot: the name itself matches too.
    match_host: bool,
}

/// Go's parsed configuration: which proxy a request goes through.
#[derive(Debug, Clone)]
pub struct ProxyFunc {
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    /// `NO_PROXY=*`.
    all: bool,
    ip: Vec<IpMatcher>,
    domain: Vec<DomainMatcher>,
    cgi: bool,
    rules: GoRules,
}

/// Why a request goes direct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direct {
    /// No proxy variable for the scheme is set (or it does not parse).
    NoProxy,
    /// `localhost`: never proxied.
    Localhost,
    /// A loopback address: never proxied.
    Loopback,
    /// `NO_PROXY` has this entry (as written, lower-case), or `*`.
    Excluded(String),
}

/// Go's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Through this proxy.
    Proxy(ProxyUrl),
    /// Direct, and why.
    Direct(Direct),
    /// The request fails: `HTTP_PROXY` in a CGI process.
    Refused(String),
}

impl ProxyFunc {
    fn init(&mut self, no_proxy: &str) {
        for p in no_proxy.split(',') {
            let p = p.trim().to_ascii_lowercase();
            if p.is_empty() {
                continue;
            }
            if p == "*" {
                self.all = true;
                self.ip.clear();
                self.domain.clear();
                return;
            }
            if let Some((net, bits)) = parse_cidr(&p) {
                self.ip.push(IpMatcher::Cidr {
                    entry: p.clone(),
                    net,
                    bits,
                });
                continue;
            }
            let (phost, pport) = match split_host_port(&p) {
                Some((h, port)) => {
                    if h.is_empty() {
                        continue;
                    }
                    (h, port)
                }
                None => (p.clone(), String::new()),
            };
            if let Some(ip) = parse_ip(&phost) {
                self.ip.push(IpMatcher::Ip {
                    entry: p.clone(),
                    ip,
                    port: pport,
                });
                continue;
            }
            if phost.is_empty() {
                continue;
            }
            let mut phost = phost.strip_prefix('*').map_or(phost.clone(), |h| {
                if h.starts_with('.') {
                    h.to_string()
                } else {
                    phost.clone()
                }
            });
            let match_host = !phost.starts_with('.');
            if match_host {
                phost.insert(0, '.');
            }
            if let Some(ascii) = idna_ascii(&phost) {
                phost = ascii;
            }
            self.domain.push(DomainMatcher {
                entry: p.clone(),
                host: phost,
                port: pport,
                match_host,
            });
        }
    }

    /// The proxy for `https` requests, when one is set.
    pub fn https_proxy(&self) -> Option<&ProxyUrl> {
        self.https.as_ref()
    }

    /// The proxy for `http` requests, when one is set.
    pub fn http_proxy(&self) -> Option<&ProxyUrl> {
        self.http.as_ref()
    }

    /// `proxyForURL` for a request to `scheme://host[:port]` (`host` as `url.Hostname()`
    /// gives it: no brackets; `port` None for the scheme's default).
    pub fn decide(&self, scheme: &str, host: &str, port: Option<u16>) -> Decision {
        let proxy = match scheme {
            "https" => self.https.as_ref(),
            "http" => {
                if self.http.is_some() && self.cgi {
                    return Decision::Refused(
                        "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"
                            .into(),
                    );
                }
                self.http.as_ref()
            }
            _ => None,
        };
        let Some(proxy) = proxy else {
            return Decision::Direct(Direct::NoProxy);
        };
        let host = idna_ascii(host).unwrap_or_else(|| host.to_string());
        let port = port
            .map(|p| p.to_string())
            .or_else(|| default_port(scheme).map(str::to_string))
            .unwrap_or_default();
        match self.exclusion(&host, &port) {
            Some(why) => Decision::Direct(why),
            None => Decision::Proxy(proxy.clone()),
        }
    }

    /// `useProxy` for `host:port` (a canonical address: `[v6]:port` for IPv6).
    pub fn use_proxy(&self, addr: &str) -> bool {
        if addr.is_empty() {
            return true;
        }
        match split_host_port(addr) {
            Some((host, port)) => self.exclusion(&host, &port).is_none(),
            None => false,
        }
    }

    /// Why `host` (port `port`) is not proxied, if it is not.
    fn exclusion(&self, host: &str, port: &str) -> Option<Direct> {
        if host == "localhost" {
            return Some(Direct::Localhost);
        }
        let ip = if self.rules.zone_ids {
            parse_addr_with_zone(host)
        } else {
            parse_ip(host)
        };
        if ip.is_some_and(|ip| ip.to_canonical().is_loopback()) {
            return Some(Direct::Loopback);
        }
        if self.all {
            return Some(Direct::Excluded("*".into()));
        }
        let addr = host.trim().to_ascii_lowercase();
        if let Some(ip) = ip {
            for m in &self.ip {
                let hit = match m {
                    IpMatcher::Cidr { net, bits, .. } => cidr_contains(*net, *bits, ip),
                    IpMatcher::Ip {
                        ip: mip, port: p, ..
                    } => mip.to_canonical() == ip.to_canonical() && (p.is_empty() || p == port),
                };
                if hit {
                    let (IpMatcher::Cidr { entry, .. } | IpMatcher::Ip { entry, .. }) = m;
                    return Some(Direct::Excluded(entry.clone()));
                }
            }
        }
        for m in &self.domain {
            if ip.is_some() && self.rules.zone_ids {
                break;
            }
            let name_hit = addr.ends_with(&m.host) || (m.match_host && addr == m.host[1..]);
            if name_hit && (m.port.is_empty() || m.port == port) {
                return Some(Direct::Excluded(m.entry.clone()));
            }
        }
        None
    }
}

/// `net.ParseIP`: an IPv4 or IPv6 address, no zone.
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// `netip.ParseAddr`: an address, IPv6 with an optional non-empty zone (dropped).
fn parse_addr_with_zone(s: &str) -> Option<IpAddr> {
    match s.split_once('%') {
        Some((addr, zone)) if !zone.is_empty() => match addr.parse() {
            Ok(IpAddr::V6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        },
        Some(_) => None,
        None => parse_ip(s),
    }
}

/// `net.ParseCIDR`: `addr/bits`.
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = s.split_once('/')?;
    let ip: IpAddr = addr.parse().ok()?;
    if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) || bits.len() > 3 {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// `IPNet.Contains`: an IPv4 network holds IPv4 addresses (also written IPv4-mapped).
fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip.to_canonical()) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// `net.SplitHostPort`: `host:port` or `[host]:port`; None when malformed.
pub fn split_host_port(s: &str) -> Option<(String, String)> {
    let i = s.rfind(':')?;
    let (host, rest_start) = if let Some(inner) = s.strip_prefix('[') {
        let end = inner.find(']')? + 1;
        if end + 1 != i {
            return None;
        }
        (&s[1..end], i)
    } else {
        let host = &s[..i];
        if host.contains(':') {
            return None;
        }
        (host, i)
    };
    if host.contains(['[', ']']) || s[rest_start + 1..].contains(['[', ']']) {
        return None;
    }
    Some((host.to_string(), s[i + 1..].to_string()))
}

/// `url.URL`'s `splitHostPort`: a port only when it is all digits; brackets removed.
fn split_host_port_lenient(host_port: &str) -> (String, String) {
    let mut host = host_port;
    let mut port = "";
    if let Some(colon) = host.rfind(':')
        && valid_optional_port(&host[colon..])
    {
        port = &host[colon + 1..];
        host = &host[..colon];
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        host = inner;
    }
    (host.to_string(), port.to_string())
}

/// `idnaASCII`: an ASCII name as is; otherwise each label in its punycode form (lower-case
/// first). None when a label cannot be encoded. (Go's `idna.Lookup` also applies UTS #46
/// mapping; lower-casing is the part host names need.)
pub fn idna_ascii(name: &str) -> Option<String> {
    if name.is_ascii() {
        return Some(name.to_string());
    }
    let labels: Option<Vec<String>> = name
        .split('.')
        .map(|label| {
            if label.is_ascii() {
                Some(label.to_ascii_lowercase())
            } else {
                punycode(&label.to_lowercase()).map(|p| format!("xn--{p}"))
            }
        })
        .collect();
    labels.map(|l| l.join("."))
}

/// RFC 3492 Punycode encoding of one label.
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    fn digit(d: u32) -> char {
        (if d < 26 {
            b'a' + d as u8
        } else {
            b'0' + (d - 26) as u8
        }) as char
    }
    let cps: Vec<u32> = input.chars().map(u32::from).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (handled as usize) < cps.len() {
        let m = cps.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row of x/net's `proxyForURLTests` (http/httpproxy/proxy_test.go at 0ca694d2).
    struct Row {
        http: &'static str,
        https: &'static str,
        no: &'static str,
        cgi: bool,
        req: &'static str,
        want: &'static str,
        err: Option<&'static str>,
    }

    const fn row(
        http: &'static str,
        https: &'static str,
        no: &'static str,
        req: &'static str,
        want: &'static str,
    ) -> Row {
        Row {
            http,
            https,
            no,
            cgi: false,
            req,
            want,
            err: None,
        }
    }

    const CGI_ERR: &str =
        "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy";

    fn table() -> Vec<Row> {
        vec![
            row("127.0.0.1:8080", "", "", "", "http://127.0.0.1:8080"),
            row(
                "cache.corp.example.com:1234",
                "",
                "",
                "",
                "http://cache.corp.example.com:1234",
            ),
            row(
                "cache.corp.example.com",
                "",
                "",
                "",
                "http://cache.corp.example.com",
            ),
            // A single-label domain is read as a scheme by url.Parse.
            row("localhost", "", "", "", "http://localhost"),
            row(
                "https://cache.corp.example.com",
                "",
                "",
                "",
                "https://cache.corp.example.com",
            ),
            row("http://127.0.0.1:8080", "", "", "", "http://127.0.0.1:8080"),
            row(
                "https://127.0.0.1:8080",
                "",
                "",
                "",
                "https://127.0.0.1:8080",
            ),
            row("socks5://127.0.0.1", "", "", "", "socks5://127.0.0.1"),
            // Unknown schemes are kept (today's rules; Go 1.19 below).
            row("foo://host", "", "", "", "foo://host"),
            // Don't use the secure proxy for http.
            row(
                "http.proxy.tld",
                "secure.proxy.tld",
                "",
                "http://insecure.tld/",
                "http://http.proxy.tld",
            ),
            // Use the secure one for https.
            row(
                "http.proxy.tld",
                "secure.proxy.tld",
                "",
                "https://secure.tld/",
                "http://secure.proxy.tld",
            ),
            row(
                "http.proxy.tld",
                "https://secure.proxy.tld",
                "",
                "https://secure.tld/",
                "https://secure.proxy.tld",
            ),
            row("http.proxy.tld", "", "", "https://secure.tld/", "<nil>"),
            row("http.proxy.tld", "", "", "ftp://insecure.tld/", "<nil>"),
            // Issue 16405: no HTTP_PROXY in a CGI process.
            Row {
                cgi: true,
                err: Some(CGI_ERR),
                ..row("http://10.1.2.3:8080", "", "", "", "<nil>")
            },
            // The HTTPS proxy is still used in a CGI process.
            Row {
                cgi: true,
                ..row(
                    "",
                    "https://secure.proxy.tld",
                    "",
                    "https://secure.tld/",
                    "https://secure.proxy.tld",
                )
            },
            row("", "", "", "", "<nil>"),
            row("proxy", "", "example.com", "http://example.com/", "<nil>"),
            row(
                "proxy",
                "",
                ".example.com",
                "http://example.com/",
                "http://proxy",
            ),
            row(
                "proxy",
                "",
                "ample.com",
                "http://example.com/",
                "http://proxy",
            ),
            row(
                "proxy",
                "",
                "example.com",
                "http://foo.example.com/",
                "<nil>",
            ),
            row(
                "proxy",
                "",
                ".foo.com",
                "http://example.com/",
                "http://proxy",
            ),
            row("proxy", "", ".示例.com", "http://www.示例.com", "<nil>"),
            row(
                "proxy",
                "",
                "xn--fsq092h.com",
                "http://www.示例.com",
                "<nil>",
            ),
            row(
                "proxy",
                "",
                "示例.com",
                "http://www.xn--fsq092h.com",
                "<nil>",
            ),
            // CVE-2025-22870: an IPv6 zone is not a domain (today's rules).
            row(
                "proxy",
                "",
                "example.com",
                "http://[1000::%25.example.com]:123",
                "http://proxy",
            ),
        ]
    }

    /// The request URL as Go's `url.Parse` reads it: scheme, `Hostname()`, `Port()`.
    fn request(req: &str) -> (String, String, Option<u16>) {
        let req = if req.is_empty() {
            "http://example.com"
        } else {
            req
        };
        let u = ProxyUrl::parse(req).unwrap();
        let port = u.port().map(|p| p.parse().unwrap());
        (u.scheme().to_string(), u.hostname(), port)
    }

    fn answer(cfg: &Config, rules: GoRules, req: &str) -> (String, Option<String>) {
        let (scheme, host, port) = request(req);
        match cfg.proxy_func(rules).decide(&scheme, &host, port) {
            Decision::Proxy(u) => (u.go_string(), None),
            Decision::Direct(_) => ("<nil>".into(), None),
            Decision::Refused(e) => ("<nil>".into(), Some(e)),
        }
    }

    #[test]
    fn go_proxy_for_url_table() {
        for r in table() {
            let cfg = Config {
                http_proxy: r.http.into(),
                https_proxy: r.https.into(),
                no_proxy: r.no.into(),
                cgi: r.cgi,
            };
            let (got, err) = answer(&cfg, GoRules::CURRENT, r.req);
            assert_eq!(
                (got.as_str(), err.as_deref()),
                (r.want, r.err),
                "http_proxy={:?} https_proxy={:?} no_proxy={:?} req={:?}",
                r.http,
                r.https,
                r.no,
                r.req
            );
        }
    }

    /// Go 1.19 (Debian 12's runtimes) differs from today's table in two rows.
    #[test]
    fn go_1_19_differs_on_unknown_schemes_and_zones() {
        let foo = Config {
            http_proxy: "foo://host".into(),
            ..Config::default()
        };
        assert_eq!(
            answer(&foo, GoRules::GO_1_19, "").0,
            "http://foo://host",
            "Go 1.19 took foo for a host name"
        );
        let socks5h = Config {
            https_proxy: "socks5h://proxy:1080".into(),
            ..Config::default()
        };
        assert_eq!(
            answer(&socks5h, GoRules::GO_1_19, "https://r.example").0,
            "http://socks5h://proxy:1080"
        );
        assert_eq!(
            answer(&socks5h, GoRules::CURRENT, "https://r.example").0,
            "socks5h://proxy:1080"
        );
        let zone = Config {
            http_proxy: "proxy".into(),
            no_proxy: "example.com".into(),
            ..Config::default()
        };
        assert_eq!(
            answer(
                &zone,
                GoRules::GO_1_19,
                "http://[1000::%25.example.com]:123"
            )
            .0,
            "<nil>"
        );
    }

    #[test]
    fn rules_by_go_version() {
        assert_eq!(GoRules::for_go(Some("1.19.8")), GoRules::GO_1_19);
        assert_eq!(GoRules::for_go(Some("go1.22.12")), GoRules::GO_1_19);
        assert_eq!(
            GoRules::for_go(Some("1.23.6")),
            GoRules {
                any_scheme: true,
                zone_ids: false
            }
        );
        assert_eq!(GoRules::for_go(Some("1.23.7")), GoRules::CURRENT);
        assert_eq!(
            GoRules::for_go(Some("1.24.0")),
            GoRules {
                any_scheme: true,
                zone_ids: false
            }
        );
        assert_eq!(GoRules::for_go(Some("1.24.1")), GoRules::CURRENT);
        assert_eq!(GoRules::for_go(None), GoRules::CURRENT);
    }

    /// `TestFromEnvironment`, `…WithRequestMethod`, `…LowerCase`, and the rule that an
    /// empty upper-case variable falls through to the lower-case one.
    #[test]
    fn from_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let want = Config {
            http_proxy: "httpproxy".into(),
            https_proxy: "httpsproxy".into(),
            no_proxy: "noproxy".into(),
            cgi: false,
        };
        let upper = env(&[
            ("HTTP_PROXY", "httpproxy"),
            ("HTTPS_PROXY", "httpsproxy"),
            ("NO_PROXY", "noproxy"),
            ("REQUEST_METHOD", ""),
        ]);
        assert_eq!(Config::from_env(&upper), want);
        let cgi = env(&[
            ("HTTP_PROXY", "httpproxy"),
            ("HTTPS_PROXY", "httpsproxy"),
            ("NO_PROXY", "noproxy"),
            ("REQUEST_METHOD", "PUT"),
        ]);
        assert_eq!(
            Config::from_env(&cgi),
            Config {
                cgi: true,
                ..want.clone()
            }
        );
        let lower = env(&[
            ("http_proxy", "httpproxy"),
            ("https_proxy", "httpsproxy"),
            ("no_proxy", "noproxy"),
        ]);
        assert_eq!(Config::from_env(&lower), want);
        let both = env(&[
            ("HTTPS_PROXY", "http://upper:3128"),
            ("https_proxy", "http://lower:3128"),
            ("NO_PROXY", ""),
            ("no_proxy", "10.0.0.0/8"),
        ]);
        let c = Config::from_env(&both);
        assert_eq!(c.https_proxy, "http://upper:3128");
        assert_eq!(c.no_proxy, "10.0.0.0/8");
        assert_eq!(
            env_any(&both, &["NO_PROXY", "no_proxy"]).map(|(n, _)| n),
            Some("no_proxy")
        );
    }

    /// x/net's `UseProxyTests` with its `noProxy` list, `TestInvalidNoProxy` and
    /// `TestAllNoProxy`.
    #[test]
    fn go_use_proxy_table() {
        const NO_PROXY: &str = "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";
        let cases: &[(&str, bool)] = &[
            ("localhost", false),
            ("127.0.0.1", false),
            ("127.0.0.2", false),
            ("[::1]", false),
            ("[::2]", true),
            ("192.168.1.1", false),
            ("192.168.1.2", true),
            ("192.168.1.3", false),
            ("192.168.1.4", true),
            ("10.0.0.2", false),
            ("[2001:db8::52:0:1]", false),
            ("[2001:db8::52:0:2]", true),
            ("[2001:db8::52:0:3]", false),
            ("[2002:db8:a::123]", false),
            ("[fe80::424b:c8be:1643:a1b6]", true),
            ("barbaz.net", true),
            ("www.barbaz.net", false),
            ("foobar.com", false),
            ("www.foobar.com", false),
            ("foofoobar.com", true),
            ("baz.com", true),
            ("localhost.net", true),
            ("local.localhost", true),
            ("barbarbaz.net", true),
            ("wildcard.io", true),
            ("nested.wildcard.io", false),
            ("awildcard.io", true),
        ];
        for rules in [GoRules::CURRENT, GoRules::GO_1_19] {
            let cfg = Config {
                no_proxy: NO_PROXY.into(),
                ..Config::default()
            }
            .proxy_func(rules);
            for (host, want) in cases {
                assert_eq!(cfg.use_proxy(&format!("{host}:80")), *want, "{host}");
            }
            let all = Config {
                no_proxy: "*".into(),
                ..Config::default()
            }
            .proxy_func(rules);
            for (host, _) in cases {
                assert!(!all.use_proxy(&format!("{host}:80")), "{host}");
            }
            let invalid = Config {
                no_proxy: ":1".into(),
                ..Config::default()
            }
            .proxy_func(rules);
            assert!(invalid.use_proxy("example.com:80"));
        }
    }

    #[test]
    fn decisions_say_why() {
        let f = Config {
            https_proxy: "http://proxy.corp:3128".into(),
            no_proxy: "registry.local, 10.0.0.0/8, .svc".into(),
            ..Config::default()
        }
        .proxy_func(GoRules::GO_1_19);
        assert_eq!(
            f.decide("https", "10.1.2.3", Some(5000)),
            Decision::Direct(Direct::Excluded("10.0.0.0/8".into()))
        );
        assert_eq!(
            f.decide("https", "REGISTRY.local", None),
            Decision::Direct(Direct::Excluded("registry.local".into()))
        );
        assert_eq!(
            f.decide("https", "127.0.0.1", Some(5000)),
            Decision::Direct(Direct::Loopback)
        );
        assert_eq!(
            f.decide("https", "localhost", Some(5000)),
            Decision::Direct(Direct::Localhost)
        );
        assert_eq!(
            f.decide("http", "registry.example", Some(5000)),
            Decision::Direct(Direct::NoProxy)
        );
        match f.decide("https", "registry.example", Some(443)) {
            Decision::Proxy(u) => assert_eq!(u.dial_authority(), "proxy.corp:3128"),
            other => panic!("{other:?}"),
        }
        // A CIDR matches IP literals only, never a name that resolves into it.
        assert!(matches!(
            f.decide("https", "ten.example", None),
            Decision::Proxy(_)
        ));
    }

    #[test]
    fn credentials_are_used_and_never_shown() {
        let u = parse_proxy("http://alice:s3cr%40t@proxy.corp:3128", GoRules::GO_1_19)
            .unwrap()
            .unwrap();
        assert_eq!(u.redacted(), "http://xxxxx:xxxxx@proxy.corp:3128");
        for shown in [
            format!("{u}"),
            format!("{u:?}"),
            serde_json::to_string(&u).unwrap(),
        ] {
            assert!(
                !shown.contains("s3cr") && !shown.contains("alice"),
                "{shown}"
            );
        }
        assert_eq!(
            u.proxy_authorization().unwrap().expose(),
            // base64("alice:s3cr@t")
            "Basic YWxpY2U6czNjckB0"
        );
        let user_only = ProxyUrl::parse("http://bob@proxy:3128").unwrap();
        assert_eq!(user_only.redacted(), "http://xxxxx@proxy:3128");
        // Go sends "bob:" when there is no password.
        assert_eq!(
            user_only.proxy_authorization().unwrap().expose(),
            "Basic Ym9iOg=="
        );
    }

    #[test]
    fn url_parse_forms() {
        let u = ProxyUrl::parse("http://[fe80::1%25eth0]:3128/").unwrap();
        assert_eq!(u.hostname(), "fe80::1%eth0");
        assert_eq!(u.port().as_deref(), Some("3128"));
        assert_eq!(
            ProxyUrl::parse("http://proxy:31x8").err().as_deref(),
            Some("invalid port \":31x8\" after host")
        );
        assert!(ProxyUrl::parse("http://pro xy:3128").is_err());
        // Go retries with "http://" in front: `http://http://a b`, host "http:", path
        // "//a b" (observed with Go 1.19's ProxyFromEnvironment: http://http://a%20b).
        let odd = parse_proxy("http://a b", GoRules::CURRENT)
            .unwrap()
            .unwrap();
        assert_eq!(odd.dial_authority(), "http:80");
        let bare = parse_proxy("10.0.0.1:3128", GoRules::GO_1_19)
            .unwrap()
            .unwrap();
        assert_eq!(bare.dial_authority(), "10.0.0.1:3128");
        let no_port = parse_proxy("proxy.corp", GoRules::GO_1_19)
            .unwrap()
            .unwrap();
        assert_eq!(no_port.dial_authority(), "proxy.corp:80");
        let v6 = parse_proxy("http://[2001:db8::1]:8080", GoRules::GO_1_19)
            .unwrap()
            .unwrap();
        assert_eq!(v6.dial_authority(), "[2001:db8::1]:8080");
    }

    #[test]
    fn punycode_rfc3492_examples() {
        assert_eq!(punycode("示例").as_deref(), Some("fsq092h"));
        assert_eq!(punycode("bücher").as_deref(), Some("bcher-kva"));
        assert_eq!(
            idna_ascii("www.Bücher.de").as_deref(),
            Some("www.xn--bcher-kva.de")
        );
        // RFC 3492 7.1 (L): 3年B組金八先生
        assert_eq!(
            punycode("3年b組金八先生").as_deref(),
            Some("3b-ww4c5e180e575a65lsy2b")
        );
    }
}
