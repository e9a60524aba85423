//! `pull`: with an image reference as the target, the pull itself — the token for the
//! repository's pull scope, the manifest (the node's platform's, from an index), the
//! configuration blob with its digest, and the first byte of the first layer — through
//! every host the way leads to (token realm, blob storage), each judged with the trust
//! the runtime really uses for it.

use crate::finding::evidence::PullPath;

use super::{Basis, Check, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::pull::{Hop, HopRole, PullAuth, PullFacts, PullStep, StepKind};
use crate::facts::{Runtime, TlsOutcome};
use crate::finding::Finding;
use crate::pki::GoError;
use crate::runtimes::line::{Failure, Step};
use crate::target::{Scheme, Target};

/// The check.
pub struct Pull;

impl Check for Pull {
    fn id(&self) -> CheckId {
        CheckId::Pull
    }
    fn title(&self) -> &'static str {
        "the image's pull works to its first layer byte"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/pull.md")
    }
    fn needs(&self) -> &'static [CheckId] {
        &[CheckId::RegistryApi]
    }
    fn run(&self, facts: &Basis<'_>) -> Outcome {
        let Ok(target) = facts.target.as_ref() else {
            return Outcome::Skip("no target".into());
        };
        if target.image.is_none() {
            return Outcome::Skip(format!(
                "the target names no image: give one (e.g. {}/team/app:1.4) to follow a pull",
                target.registry_name()
            ));
        }
        let Some(p) = &facts.pull else {
            return Outcome::Skip("the pull was not followed: the registry did not answer GET /v2/ over a connection that could carry it".into());
        };
        if let PullAuth::Missing { reason } = &p.auth {
            return Outcome::Skip(format!("the pull was not followed: {reason}"));
        }
        Outcome::Findings(judge(facts, target, p))
    }
}

fn judge(facts: &Basis<'_>, target: &Target, p: &PullFacts) -> Vec<Finding> {
    let client = facts.judged().next().map(|(_, c)| c);
    let ev = PullPath::of(target, p, facts.facts, client, facts.trust.headline());
    let name = target.registry_name();
    let image = format!("{name}/{}", p.image.familiar());
    let repo = &p.image.repository;
    let with = |f: Finding| f.evidence(ev.clone());
    // The token for the pull scope.
    if let PullAuth::Bearer {
        scope,
        error: Some(why),
        with_credentials,
        ..
    } = &p.auth
    {
        let who = if *with_credentials {
            "with the credentials given"
        } else {
            "anonymously"
        };
        return vec![with(
            Finding::new(
                Code::PullDenied,
                format!("no token for {scope} could be had {who}: {why}"),
            )
            .fails(Failure::at(Step::PullDenied, why.clone()), Some(target))
            .hint(denied_hint(facts, &name, repo)),
        )];
    }
    let Some(manifest) = p.step(StepKind::Manifest) else {
        return vec![];
    };
    if let Some(f) = manifest_findings(facts, target, p, manifest, &image) {
        return vec![with(f)];
    }
    let mut findings = Vec::new();
    // Every request after the manifest: the hosts it went through, then its answer.
    let kinds = [
        StepKind::PlatformManifest,
        StepKind::ConfigBlob,
        StepKind::LayerBlob,
    ];
    for step in p.steps.iter().filter(|s| kinds.contains(&s.kind)) {
        let found = step_findings(facts, target, p, step);
        let stop = found.iter().any(|f| f.runtimes.is_empty());
        findings.extend(found.into_iter().map(with));
        if stop {
            return findings;
        }
    }
    if !p.platforms.is_empty() && p.step(StepKind::PlatformManifest).is_none() {
        let wanted = p.platform.to_string();
        findings.push(with(
            Finding::new(
                Code::PlatformMissing,
                format!(
                    "{image} is an index without a manifest for {wanted} ({} platform, from {}); it offers {}",
                    wanted,
                    p.platform_source,
                    p.platforms.join(", ")
                ),
            )
            .fails(Failure::at(Step::Platform, wanted.clone()), Some(target))
            .hint(format!(
                "push an image for {wanted} into the same tag (e.g. `docker buildx build --platform {wanted},{} -t {image} --push .`), or pull an image built for this node's platform",
                p.platforms.first().cloned().unwrap_or_default()
            )),
        ));
        return findings;
    }
    if findings.is_empty() && p.stopped.is_none() {
        let layer = p.step(StepKind::LayerBlob);
        let hosts: Vec<String> = p
            .hops
            .iter()
            .skip(1)
            .map(|h| format!("{} {}", h.role.label(), h.target.authority()))
            .collect();
        let through = if hosts.is_empty() {
            String::new()
        } else {
            format!(", through {}", hosts.join(" and "))
        };
        let platform = if p.platforms.is_empty() {
            String::new()
        } else {
            format!(" (from an index: {})", p.platform)
        };
        let layer_text = match layer {
            Some(l) => format!(
                "; the first layer answers {} to a ranged request",
                l.exchange.status.unwrap_or_default()
            ),
            None => "; the image has no layer".into(),
        };
        findings.push(with(Finding::new(
            Code::PullOk,
            format!(
                "the pull of {image} works: the manifest{platform}, the configuration blob (its digest matches){layer_text}{through}"
            ),
        )));
    } else if findings.is_empty()
        && let Some(why) = &p.stopped
    {
        findings.push(with(
            Finding::new(
                Code::PullFailed,
                format!("the pull of {image} stopped: {why}"),
            )
            .hint("run the pull with the runtime and compare its error with this report; the evidence lists every request made"),
        ));
    }
    findings
}

/// The manifest's answer: not found, denied, or of a type not pulled.
fn manifest_findings(
    facts: &Basis<'_>,
    target: &Target,
    p: &PullFacts,
    manifest: &PullStep,
    image: &str,
) -> Option<Finding> {
    let name = target.registry_name();
    let repo = &p.image.repository;
    let ex = &manifest.exchange;
    let text = ex
        .docker_error_text()
        .unwrap_or_else(|| ex.status.map(status_text).unwrap_or_default());
    match ex.status {
        Some(200) => {}
        Some(401 | 403) => {
            return Some(
                Finding::new(
                    Code::PullDenied,
                    format!(
                        "no pull access to {repo}: GET {} answered {} ({text})",
                        ex.path,
                        ex.status.unwrap_or_default()
                    ),
                )
                .fails(Failure::at(Step::PullDenied, text), Some(target))
                .hint(denied_hint(facts, &name, repo)),
            );
        }
        Some(404) => {
            let tags = p.step(StepKind::Tags);
            let tags_ex = tags.map(|t| &t.exchange);
            let name_unknown = tags_ex.is_some_and(|t| {
                t.status == Some(404)
                    && t.registry_errors().iter().any(|(c, _)| c == "NAME_UNKNOWN")
            });
            let listed: Vec<String> = tags_ex
                .filter(|t| t.status == Some(200))
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t.body).ok())
                .and_then(|v| v.get("tags").cloned())
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect();
            let failure = Failure::at(Step::ManifestUnknown, text.clone());
            if name_unknown {
                return Some(
                    Finding::new(
                        Code::ImageNameUnknown,
                        format!(
                            "the repository {repo} does not exist in {name}: GET /v2/{repo}/tags/list answers NAME_UNKNOWN (the runtimes only print \"{text}\", as for an unknown tag)"
                        ),
                    )
                    .fails(failure, Some(target))
                    .hint(format!(
                        "check the repository's name and project (the catalog, `regdoctor {name}`, lists the repositories when the registry allows it), or push the image: `skopeo copy docker-archive:app.tar docker://{image}`"
                    )),
                );
            }
            let reference = p.image.reference();
            let shown: Vec<&str> = listed.iter().take(10).map(String::as_str).collect();
            let tags_text = if listed.is_empty() {
                "it lists no tags".to_string()
            } else {
                format!(
                    "its tags are {}{}",
                    shown.join(", "),
                    if listed.len() > shown.len() {
                        format!(" and {} more", listed.len() - shown.len())
                    } else {
                        String::new()
                    }
                )
            };
            let suggestion = listed
                .last()
                .map(|t| format!("pull an existing tag (e.g. `{name}/{repo}:{t}`), or push "))
                .unwrap_or_else(|| "push ".into());
            return Some(
                Finding::new(
                    Code::ImageTagUnknown,
                    format!(
                        "{repo} exists in {name}, but not {reference}: {tags_text} (the runtimes print \"{text}\")"
                    ),
                )
                .fails(failure, Some(target))
                .hint(format!("{suggestion}the tag: `skopeo copy docker-archive:app.tar docker://{image}`")),
            );
        }
        Some(s) => {
            return Some(
                Finding::new(
                    Code::PullFailed,
                    format!("the registry answered {s} to GET {}: {text}", ex.path),
                )
                .fails(Failure::at(Step::Status, status_text(s)), Some(target))
                .hint("check the registry's log for this request; a proxy or load balancer in front of it may answer instead"),
            );
        }
        None => {
            let why = ex.error.clone().unwrap_or_default();
            return Some(if why.starts_with("stopped after") {
                Finding::new(
                    Code::RedirectLoop,
                    format!("the manifest request GET {} is redirected more than 10 times ({why})", ex.path),
                )
                .fails(Failure::request(why), Some(target))
                .hint("fix the redirect rule in front of the registry (a rewrite that adds or strips a slash, or http↔https)")
            } else {
                Finding::new(
                    Code::PullFailed,
                    format!("the registry did not answer GET {}: {why}", ex.path),
                )
                .fails(Failure::request(why), Some(target))
                .hint("the registry closed the connection or did not answer in time; check its log")
            });
        }
    }
    if let Some(false) = manifest.digest_ok {
        return Some(
            Finding::new(
                Code::BlobDigestMismatch,
                format!(
                    "the manifest of {image} does not match its digest: the bytes served hash to {}",
                    manifest.digest_seen.clone().unwrap_or_default()
                ),
            )
            .fails(
                Failure::at(Step::ManifestUnknown, "manifest verification failed for digest"),
                Some(target),
            )
            .hint("a proxy or cache serves another manifest: purge it, or pull from the registry directly"),
        );
    }
    let kind = ex
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let supported = crate::facts::pull::media::is_index(&kind)
        || crate::facts::pull::media::is_manifest(&kind)
        || kind == crate::facts::pull::media::DOCKER_SCHEMA1
        || kind == "application/vnd.docker.distribution.manifest.v1+json";
    if !supported
        && p.stopped
            .as_deref()
            .is_some_and(|s| s.contains("media type"))
    {
        return Some(
            Finding::new(
                Code::ManifestUnsupported,
                format!("the manifest of {image} is of type {kind:?}, which the runtimes do not pull (they ask for Docker schema 2 and OCI manifests and indexes)"),
            )
            .fails(Failure::at(Step::ManifestType, kind), Some(target))
            .hint(format!("push the image again with a current client, e.g. `skopeo copy --format oci docker://{image} docker://{image}`")),
        );
    }
    None
}

fn status_text(s: u16) -> String {
    let reason = match s {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    format!("{s} {reason}").trim_end().to_string()
}

/// The step's failure kind for the runtimes' lines.
fn blob_step(kind: StepKind) -> Step {
    match kind {
        StepKind::LayerBlob => Step::LayerBlob,
        StepKind::PlatformManifest => Step::ManifestType,
        _ => Step::ConfigBlob,
    }
}

fn what(kind: StepKind) -> &'static str {
    match kind {
        StepKind::PlatformManifest => "the platform's manifest",
        StepKind::ConfigBlob => "the configuration blob",
        StepKind::LayerBlob => "the first layer",
        _ => "the manifest",
    }
}

/// A request after the manifest: every host it went through, then its answer.
fn step_findings(
    facts: &Basis<'_>,
    target: &Target,
    p: &PullFacts,
    step: &PullStep,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let whose = what(step.kind);
    let url = |h: &Hop| {
        format!(
            "{}://{}",
            h.target.scheme.as_str(),
            h.target.registry_name()
        )
    };
    for &i in step.via.iter().filter(|i| **i != 0) {
        let Some(hop) = p.hops.get(i) else { continue };
        if hop.role != HopRole::BlobStorage {
            continue;
        }
        let established = hop
            .tls
            .as_ref()
            .is_some_and(|t| matches!(t.outcome, TlsOutcome::Established { .. }));
        let unreachable = match hop.target.scheme {
            Scheme::Https if !established => Some(
                hop.error
                    .clone()
                    .unwrap_or_else(|| "the TLS handshake did not complete".into()),
            ),
            Scheme::Http => hop.error.clone(),
            _ => None,
        };
        if let Some(why) = unreachable {
            out.push(
                Finding::new(
                    Code::BlobUnreachable,
                    format!(
                        "{} redirects {whose} to {}, which this node cannot reach: {why}",
                        target.registry_name(),
                        url(hop)
                    ),
                )
                .fails(Failure::at(blob_step(step.kind), why), Some(target))
                .hint(unreachable_hint(hop)),
            );
            return out;
        }
        let Some(tls) = &hop.tls else { continue };
        // Each judged runtime verifies the hop with the registry's trust.
        let mut by_error: Vec<(GoError, Vec<Runtime>)> = Vec::new();
        for (_, client) in facts.judged() {
            let Some(v) = crate::runtimes::trust::hop_verdict(
                facts.facts,
                client,
                &tls.chain,
                &hop.target.host,
            ) else {
                continue;
            };
            if let Some(e) = v.error {
                match by_error
                    .iter_mut()
                    .find(|(seen, _)| seen.go_text() == e.go_text())
                {
                    Some((_, rs)) => rs.push(client.runtime),
                    None => by_error.push((e, vec![client.runtime])),
                }
            }
        }
        let all = facts.clients.judged.len();
        for (err, runtimes) in by_error {
            let scope = if runtimes.len() == all {
                vec![]
            } else {
                runtimes
            };
            let hostname = matches!(err, GoError::Hostname(_));
            let code = if hostname {
                Code::BlobSanMismatch
            } else {
                Code::BlobTlsUntrusted
            };
            let leaf =
                crate::pki::Cert::parse(tls.chain.first().map(Vec::as_slice).unwrap_or_default())
                    .ok();
            let issuer = leaf.as_ref().map(|c| c.issuer.clone()).unwrap_or_default();
            let message = if hostname {
                format!(
                    "{} redirects {whose} to {}, whose certificate does not name it: {}",
                    target.registry_name(),
                    url(hop),
                    err.go_text()
                )
            } else {
                format!(
                    "{} redirects {whose} to {}, whose certificate (issued by \"{issuer}\") the runtime does not trust: {} — it is verified with the registry's trust (the registry's CA files plus the system roots), not a certs.d folder of its own",
                    target.registry_name(),
                    url(hop),
                    err.go_text()
                )
            };
            let hint = if hostname {
                san_hint(hop)
            } else {
                untrusted_hint(facts, target, hop, &scope, &issuer)
            };
            out.push(
                Finding::new(code, message)
                    .for_runtimes(scope)
                    .fails(
                        Failure {
                            step: blob_step(step.kind),
                            cause: err.go_text(),
                            verify: true,
                        },
                        Some(target),
                    )
                    .hint(hint),
            );
        }
        if !out.is_empty() {
            return out;
        }
    }
    let ex = &step.exchange;
    if let Some(why) = &ex.error {
        let code = if why.starts_with("stopped after") {
            Code::RedirectLoop
        } else {
            Code::BlobUnreachable
        };
        let hint = if code == Code::RedirectLoop {
            "fix the storage redirect: the registry's `redirect` middleware baseurl, or the CDN/proxy rule, sends the request back to where it came from".to_string()
        } else {
            "check the storage host's and the registry's logs for this request".to_string()
        };
        out.push(
            Finding::new(
                code,
                format!("{whose} ({}) could not be had: {why}", ex.path),
            )
            .fails(Failure::at(blob_step(step.kind), why.clone()), Some(target))
            .hint(hint),
        );
        return out;
    }
    match ex.status {
        Some(200 | 206) => {}
        Some(s) => {
            let at = p
                .hops
                .get(step.hop)
                .map(|h| h.target.authority())
                .unwrap_or_default();
            out.push(
                Finding::new(
                    Code::BlobUnreachable,
                    format!("{whose} ({}) answered {s} from {at}", ex.path),
                )
                .fails(
                    Failure::at(blob_step(step.kind), status_text(s)),
                    Some(target),
                )
                .hint(
                    "the blob is missing or its storage refuses the request (an expired signed URL, a bucket policy): check the registry's storage and re-push the image",
                ),
            );
            return out;
        }
        None => {}
    }
    if step.digest_ok == Some(false) {
        out.push(
            Finding::new(
                Code::BlobDigestMismatch,
                format!(
                    "{whose} served for {} hashes to {}: the bytes are not the blob",
                    step.digest.clone().unwrap_or_default(),
                    step.digest_seen.clone().unwrap_or_default()
                ),
            )
            .fails(
                Failure::at(
                    blob_step(step.kind),
                    format!(
                        "digest mismatch for {}",
                        step.digest.clone().unwrap_or_default()
                    ),
                ),
                Some(target),
            )
            .hint("the storage (or a cache or CDN in front of it) serves other bytes for this digest: purge the cache, or delete and re-push the image"),
        );
    }
    out
}

fn unreachable_hint(hop: &Hop) -> String {
    format!(
        "blob downloads are redirected to {}: open the way from the nodes to it (firewall, route, DNS), or have the registry serve blobs itself (distribution: remove the `redirect` storage middleware, or set `storage: redirect: disable: true` for S3)",
        hop.target.authority()
    )
}

fn san_hint(hop: &Hop) -> String {
    let host = &hop.target.host;
    let san = match host {
        crate::target::Host::Ip(ip) => format!("IP:{ip}"),
        crate::target::Host::Name(n) => format!("DNS:{n}"),
    };
    format!(
        "re-issue the storage host's certificate with {san} in its SAN: `openssl x509 -req -in storage.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 365 -extfile <(printf \"subjectAltName={san}\") -out storage.crt`, or point the registry's redirect at a name the certificate holds"
    )
}

fn untrusted_hint(
    facts: &Basis<'_>,
    target: &Target,
    hop: &Hop,
    scope: &[Runtime],
    issuer: &str,
) -> String {
    let name = target.registry_name();
    let runtimes = facts.hint_runtimes(scope);
    let mut fixes = Vec::new();
    for r in runtimes {
        let fix = match r {
            Runtime::Docker | Runtime::Karbon | Runtime::Any => format!(
                "Docker: add the CA that signed it (\"{issuer}\") to the registry's folder, `sudo cp storage-ca.crt /etc/docker/certs.d/{name}/storage-ca.crt` (a folder named after {} is not read)",
                hop.target.registry_name()
            ),
            Runtime::Containerd => format!(
                "containerd: add that CA to the `ca` list of /etc/containerd/certs.d/{name}/hosts.toml (the registry's host entry)"
            ),
            Runtime::CriO => format!(
                "CRI-O: `sudo cp storage-ca.crt /etc/containers/certs.d/{name}/storage-ca.crt`"
            ),
        };
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    }
    fixes.push(
        "or add it to the system roots (`update-ca-certificates`, then restart the runtime)".into(),
    );
    fixes.join("; ")
}

fn denied_hint(facts: &Basis<'_>, name: &str, repo: &str) -> String {
    let login = match facts.hint_runtimes(&[]).first() {
        Some(Runtime::Containerd) => format!(
            "`ctr images pull --user USER {name}/{repo}:TAG`, or the pod's imagePullSecrets"
        ),
        Some(Runtime::CriO) => format!("`podman login {name}` (or the pod's imagePullSecrets)"),
        _ => format!("`docker login {name}`"),
    };
    format!(
        "give the runtime credentials with pull access to {repo} ({login}); in the registry, grant that user or robot account pull on {repo} (Harbor: a project member; GitLab: a deploy token with read_registry)"
    )
}

#[cfg(test)]
pub fn examples() -> Vec<(crate::facts::Facts, Vec<Code>)> {
    tests::examples()
}

#[cfg(test)]
mod tests;
