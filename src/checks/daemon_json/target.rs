//! Whether daemon.json suits the registry that was probed: plain HTTP it does not allow,
//! or a verified registry it switches verification off for.

use super::Ctx;
use crate::codes::Code;
use crate::facts::{Runtime, TlsOutcome};
use crate::finding::Finding;
use crate::jsonpos::Member;
use crate::runtimes::docker::insecure;

/// The target against the file: is it insecure when it should be, and only then?
pub(super) fn against_target(cx: &mut Ctx<'_>, members: &[Member]) {
    let facts = cx.facts;
    let Ok(t) = &facts.target else { return };
    if facts.tcp.as_ref().and_then(|tc| tc.connected).is_none() {
        return;
    }
    let docker = facts.client_of(Runtime::Docker);
    let listed = insecure::listed(members);
    let explicit = insecure::listed_cover(&listed, facts);
    let plain = crate::checks::node_common::plain_http(facts);
    let name = t.registry_name();
    if plain && !docker.transport.allows_http() {
        let entries: Vec<String> = insecure::strings_of(members, "insecure-registries")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let has = if entries.is_empty() {
            "no insecure-registries".to_string()
        } else {
            format!(
                "insecure-registries [{}], none of which is \"{name}\"",
                crate::text::clip_list(&entries, ", ")
            )
        };
        cx.findings.push(
            Finding::new(
                Code::DaemonJsonTargetNotInsecure,
                format!("{name} serves plain HTTP, and {} has {has}: Docker will insist on HTTPS", cx.file.path),
            )
            .fails_request(facts, "http: server gave HTTP response to HTTPS client")
            .hint(format!(
                "add \"{name}\" to \"insecure-registries\" in {} (exactly as in the image reference, with the port), then `systemctl restart docker`",
                cx.file.path
            )),
        );
        return;
    }
    let verified = matches!(
        facts.tls.as_ref().map(|x| &x.outcome),
        Some(TlsOutcome::Established { .. })
    ) && facts.trust.baseline.as_ref().is_some_and(|s| s.ok());
    if let (true, Some((_, pos))) = (verified, explicit) {
        let f = Finding::new(
            Code::DaemonJsonTargetInsecure,
            format!(
                "{name} has a certificate that verifies, but {} lists it in insecure-registries: Docker switches verification off for it, ignores /etc/docker/certs.d/{name}/ and sends no client certificate",
                cx.where_(*pos)
            ),
        )
        .hint(format!("remove the entry for {name} from insecure-registries, then `systemctl restart docker`"));
        cx.push_at(*pos, Some("insecure-registries"), f);
    }
}
