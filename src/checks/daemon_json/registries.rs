//! daemon.json's registry entries: insecure-registries and registry-mirrors as dockerd
//! parses them, and a private registry listed as a mirror.

use super::Ctx;
use crate::codes::Code;
use crate::finding::Finding;
use crate::jsonpos::Member;
use crate::runtimes::docker::insecure::{self, Entry, Verdict};

/// The insecure-registries entries, then the registry-mirrors entries.
pub(super) fn registries(cx: &mut Ctx<'_>, members: &[Member]) {
    for (raw, pos) in insecure::strings_of(members, "insecure-registries") {
        let verdict = insecure::parse_entry(&raw);
        let code = match &verdict {
            Verdict::Ok(_) => continue,
            Verdict::SchemeStripped(..) => Code::DaemonJsonInsecureRegistryScheme,
            Verdict::Invalid(_) => Code::DaemonJsonBadInsecureRegistry,
        };
        if !cx.wanted(code) {
            cx.count_only(code, pos, Some(&raw));
            continue;
        }
        let shown = crate::text::clip(&raw);
        let f = match verdict {
            Verdict::Ok(_) => continue,
            Verdict::SchemeStripped(entry, scheme) => {
                let clean = match entry {
                    Entry::Host(h) => crate::text::clip(&h).into_owned(),
                    Entry::Cidr(ip, bits) => format!("{ip}/{bits}"),
                };
                Finding::new(
                    Code::DaemonJsonInsecureRegistryScheme,
                    format!(
                        "the insecure-registries entry \"{shown}\" at {} starts with {scheme}; dockerd strips it with a warning and uses \"{clean}\"",
                        cx.where_(pos)
                    ),
                )
                .hint(format!("write \"{clean}\" (no scheme): insecure-registries entries are host, host:port or a CIDR"))
            }
            Verdict::Invalid(why) => {
                let why = crate::text::clip(&why);
                Finding::new(
                Code::DaemonJsonBadInsecureRegistry,
                format!(
                    "the insecure-registries entry \"{shown}\" at {} is invalid ({why}): dockerd will not start, and `dockerd --validate` does not catch it",
                    cx.where_(pos)
                ),
            )
            .stops_dockerd(format!("failed to start daemon: {why}"))
            .hint("write host, host:port or a CIDR: no scheme, no path, a port from 1 to 65535 (e.g. \"10.0.0.5:5000\" or \"10.0.0.0/24\")")
            }
        };
        cx.push_item(pos, Some("insecure-registries"), Some(&raw), f);
    }
    mirrors(cx, members);
}

/// Each registry-mirrors entry: a URL dockerd accepts, and not the private registry.
fn mirrors(cx: &mut Ctx<'_>, members: &[Member]) {
    let target = cx.facts.target.as_ref().ok().map(|t| t.registry_name());
    let legacy = cx.version.is_some_and(|v| v < (28, 3));
    for (raw, pos) in insecure::strings_of(members, "registry-mirrors") {
        let shown = crate::text::clip(&raw);
        let why = if legacy {
            insecure::mirror_error_legacy(&raw)
        } else {
            insecure::mirror_error(&raw)
        };
        if let Some(why) = why {
            let why = crate::text::clip(&why);
            let line = if legacy {
                format!("failed to start daemon: {why}")
            } else {
                cx.dockerd(&format!(
                    "merged configuration validation from file and command line flags failed: {why}"
                ))
            };
            let f = Finding::new(
                Code::DaemonJsonBadMirror,
                format!(
                    "the registry-mirrors entry \"{shown}\" at {} is invalid: {why}",
                    cx.where_(pos)
                ),
            )
            .stops_dockerd(line)
            .hint(format!(
                "write the mirror as a URL with its scheme: \"https://{shown}\""
            ));
            cx.push_item(pos, Some("registry-mirrors"), Some(&raw), f);
        }
        let host = raw
            .split("://")
            .last()
            .unwrap_or(&raw)
            .trim_end_matches('/');
        if target
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(host))
        {
            let t = target.clone().unwrap_or_default();
            let f = Finding::new(
                Code::DaemonJsonMirrorNotForPrivate,
                format!(
                    "{t} is listed in registry-mirrors at {}, but mirrors are only used for Docker Hub (docker.io) pulls, never for a private registry: images must be pulled as {t}/NAME:TAG",
                    cx.where_(pos)
                ),
            )
            .hint(format!("pull {t}/NAME:TAG directly; to make it trusted or plain HTTP, use insecure-registries or /etc/docker/certs.d/{t}/"));
            cx.push_item(pos, Some("registry-mirrors"), Some(&raw), f);
        }
    }
}
