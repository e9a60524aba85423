//! dockerd's rules for `insecure-registries` and `registry-mirrors` entries (reference
//! daemon-json.md §6), and whether an entry covers a target. Pure.

use std::net::IpAddr;

use crate::facts::Facts;
use crate::jsonpos::{Kind, Member, Pos};
use crate::target::{Host, Target};

/// The strings of an array-valued key of a parsed daemon.json, with their positions. A key
/// given twice: dockerd keeps the last.
pub fn strings_of(members: &[Member], key: &str) -> Vec<(String, Pos)> {
    members
        .iter()
        .rev()
        .find(|m| m.key == key)
        .into_iter()
        .flat_map(|m| match &m.value.kind {
            Kind::Array(items) => items
                .iter()
                .filter_map(|i| match &i.kind {
                    Kind::String(s) => Some((s.clone(), i.pos)),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        })
        .collect()
}

/// The insecure-registries entries dockerd keeps (invalid ones stop it instead).
pub fn listed(members: &[Member]) -> Vec<(Entry, Pos)> {
    strings_of(members, "insecure-registries")
        .into_iter()
        .filter_map(|(raw, pos)| match parse_entry(&raw) {
            Verdict::Ok(e) | Verdict::SchemeStripped(e, _) => Some((e, pos)),
            Verdict::Invalid(_) => None,
        })
        .collect()
}

/// The listed entry that covers the target, if one does (Docker's built-in loopback
/// ranges are not "listed").
pub fn listed_cover<'a>(listed: &'a [(Entry, Pos)], facts: &Facts) -> Option<&'a (Entry, Pos)> {
    let t = facts.target.as_ref().ok()?;
    let addrs = facts.resolved_addresses();
    listed.iter().find(|(e, _)| covers(e, t, &addrs))
}

/// Whether this node's daemon.json lists the target in insecure-registries.
pub fn daemon_json_lists_target(facts: &Facts) -> bool {
    let Some(file) = facts.node.daemon_json.read() else {
        return false;
    };
    match crate::jsonpos::parse(&file.text).value.map(|v| v.kind) {
        Some(Kind::Object(members)) => listed_cover(&listed(&members), facts).is_some(),
        _ => false,
    }
}

/// A valid insecure-registries entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A subnet: `10.0.0.0/8`.
    Cidr(IpAddr, u8),
    /// A registry name, matched verbatim: `host` or `host:port`.
    Host(String),
}

/// How dockerd treats an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid as written.
    Ok(Entry),
    /// Valid after dockerd strips `http://` / `https://` (with a warning in its log).
    SchemeStripped(Entry, String),
    /// dockerd refuses to start: the text after `failed to start daemon: `.
    Invalid(String),
}

/// Parses one entry as dockerd ≥ 17.04 does.
pub fn parse_entry(raw: &str) -> Verdict {
    if raw.starts_with('-') || raw.ends_with('-') {
        return Verdict::Invalid(format!(
            "invalid index name ({raw}). Cannot begin or end with a hyphen"
        ));
    }
    let lower = raw.to_ascii_lowercase();
    let (rest, stripped) = if lower.starts_with("http://") {
        (&raw[7..], Some("http://"))
    } else if lower.starts_with("https://") {
        (&raw[8..], Some("https://"))
    } else {
        (raw, None)
    };
    if rest.contains("://") {
        return Verdict::Invalid(format!("insecure registry {raw} should not contain '://'"));
    }
    let entry = match cidr(rest) {
        Some((ip, bits)) => Entry::Cidr(ip, bits),
        None => match host_port(rest) {
            Ok(()) => Entry::Host(rest.to_string()),
            Err(e) => {
                return Verdict::Invalid(format!("insecure registry {raw} is not valid: {e}"));
            }
        },
    };
    match stripped {
        Some(s) => Verdict::SchemeStripped(entry, s.to_string()),
        None => Verdict::Ok(entry),
    }
}

fn cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// dockerd's `validateHostPort`: the domain grammar of image references, or an IP.
fn host_port(s: &str) -> Result<(), String> {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (h, Some(p)),
        _ => (s, None),
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let domain_ok = host.split('.').all(label_ok);
    let port_digits = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    // Go matches the whole entry against the reference grammar, else accepts an IP host.
    if !(domain_ok && port_digits)
        && bare.parse::<IpAddr>().is_err()
        && s.parse::<IpAddr>().is_err()
    {
        return Err(format!("invalid host {host:?}"));
    }
    if let Some(p) = port {
        match p.parse::<u32>() {
            Ok(n) if n <= 65535 => {}
            Ok(_) => return Err(format!("invalid port {p:?}")),
            Err(_) => return Err(format!("strconv.Atoi: parsing {p:?}: invalid syntax")),
        }
    }
    Ok(())
}

/// Whether an entry covers the target: a host entry by exact `registry_name`, a CIDR by
/// the target's IP or any address its name resolved to.
pub fn covers(entry: &Entry, target: &Target, addrs: &[IpAddr]) -> bool {
    match entry {
        Entry::Host(h) => h.eq_ignore_ascii_case(&target.registry_name()),
        Entry::Cidr(net, bits) => {
            let mut ips: Vec<IpAddr> = addrs.to_vec();
            if let Host::Ip(ip) = &target.host {
                ips.push(*ip);
            }
            ips.iter().any(|ip| in_cidr(*ip, *net, *bits))
        }
    }
}

/// Docker's built-in insecure subnets: 127.0.0.0/8 and (v28+) ::1/128.
pub fn builtin() -> Vec<Entry> {
    vec![
        Entry::Cidr(IpAddr::from([127, 0, 0, 0]), 8),
        Entry::Cidr(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), 128),
    ]
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, b, width): (u128, u128, u32) = match (ip.to_canonical(), net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let bits = u32::from(bits).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

/// dockerd's validation of a `registry-mirrors` entry before v28.3 (`ValidateMirror` on
/// Go's `url.Parse`); None when valid.
pub fn mirror_error_legacy(raw: &str) -> Option<String> {
    // url.Parse: a scheme is letters first, then letters, digits, + - . up to ':'.
    let colon = raw.find(':');
    let slash = raw.find('/');
    let scheme = match colon {
        Some(i)
            if raw[..i]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && raw[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            &raw[..i]
        }
        Some(i) if slash.is_none_or(|s| i < s) => {
            return Some(format!("invalid mirror: {raw:?} is not a valid URI"));
        }
        _ => "",
    };
    let scheme_lower = scheme.to_ascii_lowercase();
    if scheme_lower != "http" && scheme_lower != "https" {
        return Some(format!(
            "invalid mirror: unsupported scheme {scheme_lower:?} in {raw:?}"
        ));
    }
    let rest = &raw[scheme.len() + 1..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if !(path.is_empty() || path == "/") {
        return Some(format!(
            "invalid mirror: path, query, or fragment at end of the URI {raw:?}"
        ));
    }
    if authority.contains('@') {
        return Some(format!(
            "invalid mirror: username/password not allowed in URI {raw:?}"
        ));
    }
    None
}

/// dockerd's validation of a `registry-mirrors` entry (v28.3+ texts); None when valid.
pub fn mirror_error(raw: &str) -> Option<String> {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return Some(format!(
            "invalid mirror: no scheme specified for {raw:?}: must use either 'https://' or 'http://'"
        ));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Some(format!(
            "invalid mirror: unsupported scheme {scheme:?} in {raw:?}: must use either 'https://' or 'http://'"
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Some(format!(
            "invalid mirror: username/password not allowed in URI {raw:?}"
        ));
    }
    if rest.contains('?') || rest.contains('#') {
        return Some(format!(
            "invalid mirror: query or fragment at end of the URI {raw:?}"
        ));
    }
    if authority.is_empty() {
        return Some(format!("invalid mirror: {raw:?} is not a valid URI"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        assert_eq!(
            parse_entry("10.0.0.5:5000"),
            Verdict::Ok(Entry::Host("10.0.0.5:5000".into()))
        );
        assert_eq!(
            parse_entry("10.0.0.0/8"),
            Verdict::Ok(Entry::Cidr("10.0.0.0".parse().unwrap(), 8))
        );
        assert!(
            matches!(parse_entry("http://reg:5000"), Verdict::SchemeStripped(Entry::Host(h), _) if h == "reg:5000")
        );
        assert!(
            matches!(parse_entry("ftp://reg"), Verdict::Invalid(e) if e.contains("should not contain '://'"))
        );
        assert!(
            matches!(parse_entry("reg:5000/v2"), Verdict::Invalid(e) if e.contains("invalid host"))
        );
        assert!(
            matches!(parse_entry("reg:99999"), Verdict::Invalid(e) if e.contains("invalid port"))
        );
        assert!(matches!(parse_entry("-reg"), Verdict::Invalid(_)));
        assert!(matches!(parse_entry("my_reg:5000"), Verdict::Invalid(_)));
        assert!(matches!(parse_entry("[fd00::1]:5000"), Verdict::Ok(_)));
    }

    #[test]
    fn coverage_is_exact_for_hosts_and_by_address_for_subnets() {
        let t = crate::target::parse("10.0.0.5:5000").unwrap();
        assert!(covers(&Entry::Host("10.0.0.5:5000".into()), &t, &[]));
        assert!(!covers(&Entry::Host("10.0.0.5".into()), &t, &[]));
        assert!(covers(
            &Entry::Cidr("10.0.0.0".parse().unwrap(), 24),
            &t,
            &[]
        ));
        assert!(!covers(
            &Entry::Cidr("10.0.1.0".parse().unwrap(), 24),
            &t,
            &[]
        ));
        let local = crate::target::parse("localhost:5000").unwrap();
        assert!(
            builtin()
                .iter()
                .any(|e| covers(e, &local, &["127.0.0.1".parse().unwrap()]))
        );
    }

    #[test]
    fn mirrors_before_28_3() {
        assert_eq!(
            mirror_error_legacy("10.77.0.1:18001").unwrap(),
            "invalid mirror: \"10.77.0.1:18001\" is not a valid URI"
        );
        assert_eq!(
            mirror_error_legacy("mirror.local").unwrap(),
            "invalid mirror: unsupported scheme \"\" in \"mirror.local\""
        );
        assert!(mirror_error_legacy("https://mirror.local").is_none());
        assert!(mirror_error_legacy("https://mirror.local/").is_none());
        assert!(
            mirror_error_legacy("https://mirror.local/x")
                .unwrap()
                .contains("path")
        );
    }

    #[test]
    fn mirrors() {
        assert!(mirror_error("https://mirror.local").is_none());
        assert!(mirror_error("https://mirror.local/path").is_none());
        assert!(
            mirror_error("mirror.local:5000")
                .unwrap()
                .contains("no scheme specified")
        );
        assert!(
            mirror_error("ftp://m")
                .unwrap()
                .contains("unsupported scheme")
        );
        assert!(
            mirror_error("https://u:p@m")
                .unwrap()
                .contains("username/password")
        );
    }
}
