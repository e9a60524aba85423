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
use crate::runtimes::line::{Failure, PullContext, Step};
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
    let with = |f: Finding| f.evidence(ev.clone());
    if let Some(f) = token_denied(facts, target, p) {
        return vec![with(f)];
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
    if let Some(f) = artifact_finding(target, p, &image) {
        findings.push(with(f));
        return findings;
    }
    if let Some(f) = platform_missing(target, p, &image) {
        findings.push(with(f));
        return findings;
    }
    if findings.is_empty() {
        findings.push(with(conclusion(p, &image)));
    }
    findings
}

/// The configuration types of a container image (Docker's and OCI's).
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
];

/// An OCI artifact (a Helm chart, a signature) where an image was expected: the image's
/// manifest names a configuration of another type, and every runtime refuses it
/// (observed: Docker `unsupported media type <type>`, containerd `mismatched image rootfs
/// No token for the pull scope could be had.
fn token_denied(facts: &Basis<'_>, target: &Target, p: &PullFacts) -> Option<Finding> {
    let name = target.registry_name();
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
        return Some(
            Finding::new(
                Code::PullDenied,
                format!("no token for {scope} could be had {who}: {why}"),
            )
            .fails(Failure::at(Step::PullDenied, why.clone()), Some(target))
            .hint(denied_hint(facts, &name, &p.image.repository)),
        );
    }
    None
}

/// An index without a manifest for the node's platform.
fn platform_missing(target: &Target, p: &PullFacts, image: &str) -> Option<Finding> {
    if p.platforms.is_empty() || p.step(StepKind::PlatformManifest).is_some() {
        return None;
    }
    let wanted = p.platform.to_string();
    Some(
        Finding::new(
            Code::PlatformMissing,
            format!(
                "{image} is an index without a manifest for {wanted} ({} platform, from {}); it offers {}",
                wanted,
                p.platform_source,
                p.platforms.join(", ")
            ),
        )
        .fails(
            Failure::at(Step::Platform, wanted.clone()).with_pull(index_context(p)),
            Some(target),
        )
        .hint(format!(
            "push an image for {wanted} into the same tag (e.g. `docker buildx build --platform {wanted},{} -t {image} --push .`), or pull an image built for this node's platform",
            p.platforms.first().cloned().unwrap_or_default()
        )),
    )
}

/// No problem was found: the pull works, or it stopped for a reason no code names.
fn conclusion(p: &PullFacts, image: &str) -> Finding {
    if p.stopped.is_none() {
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
        return Finding::new(
            Code::PullOk,
            format!(
                "the pull of {image} works: the manifest{platform}, the configuration blob (its digest matches){layer_text}{through}"
            ),
        );
    }
    let why = p.stopped.clone().unwrap_or_default();
    Finding::new(
        Code::PullFailed,
        format!("the pull of {image} stopped: {why}"),
    )
    .hint("run the pull with the runtime and compare its error with this report; the evidence lists every request made")
}

/// and manifest layers`, CRI-O `unsupported image-specific operation on artifact`).
fn artifact_finding(target: &Target, p: &PullFacts, image: &str) -> Option<Finding> {
    let manifest = p
        .step(StepKind::PlatformManifest)
        .or_else(|| p.step(StepKind::Manifest))?;
    let doc: serde_json::Value = serde_json::from_str(&manifest.exchange.body).ok()?;
    let kind = doc.get("config")?.get("mediaType")?.as_str()?;
    if IMAGE_CONFIGS.contains(&kind) || p.step(StepKind::ConfigBlob).is_none() {
        return None;
    }
    Some(
        Finding::new(
            Code::ManifestUnsupported,
            format!(
                "{image} is not a container image: its manifest's configuration is of type {kind:?} (an OCI artifact, such as a Helm chart), which no runtime runs"
            ),
        )
        .fails(
            Failure::at(Step::ManifestType, kind).with_pull(PullContext {
                artifact: true,
                ..PullContext::default()
            }),
            Some(target),
        )
        .hint(format!(
            "pull it with the tool it is made for (a Helm chart: `helm pull oci://{image}`), or name the image that was meant"
        )),
    )
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
            let context = denied_context(ex);
            return Some(
                Finding::new(
                    Code::PullDenied,
                    format!(
                        "no pull access to {repo}: GET {} answered {} ({text})",
                        ex.path,
                        ex.status.unwrap_or_default()
                    ),
                )
                .fails(
                    Failure::at(
                        Step::PullDenied,
                        context.errors.first().cloned().unwrap_or(text),
                    )
                    .with_pull(context),
                    Some(target),
                )
                .hint(denied_hint(facts, &name, repo)),
            );
        }
        Some(404) => return Some(not_found(target, p, image, text)),
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
    manifest_content(target, p, manifest, image)
}

/// A manifest answered 404: an unknown repository (tags/list says NAME_UNKNOWN) or an
/// unknown tag (with the tags there are).
fn not_found(target: &Target, p: &PullFacts, image: &str, text: String) -> Finding {
    let name = target.registry_name();
    let repo = &p.image.repository;
    let tags = p.step(StepKind::Tags);
    let tags_ex = tags.map(|t| &t.exchange);
    let name_unknown = tags_ex.is_some_and(|t| {
        t.status == Some(404) && t.registry_errors().iter().any(|(c, _)| c == "NAME_UNKNOWN")
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
        return Finding::new(
                Code::ImageNameUnknown,
                format!(
                    "the repository {repo} does not exist in {name}: GET /v2/{repo}/tags/list answers NAME_UNKNOWN (the runtimes only print \"{text}\", as for an unknown tag)"
                ),
            )
            .fails(failure, Some(target))
            .hint(format!(
                "check the repository's name and project (the catalog, `regdoctor {name}`, lists the repositories when the registry allows it), or push the image: `skopeo copy docker-archive:app.tar docker://{image}`"
            ));
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
    Finding::new(
            Code::ImageTagUnknown,
            format!(
                "{repo} exists in {name}, but not {reference}: {tags_text} (the runtimes print \"{text}\")"
            ),
        )
        .fails(failure, Some(target))
        .hint(format!("{suggestion}the tag: `skopeo copy docker-archive:app.tar docker://{image}`"))
}

/// The manifest answered 200: its bytes against its digest, its media type.
fn manifest_content(
    target: &Target,
    p: &PullFacts,
    manifest: &PullStep,
    image: &str,
) -> Option<Finding> {
    let ex = &manifest.exchange;
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
    let kind = ex.media_type();
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

/// A blob request's findings: a redirect host it cannot reach or does not trust, else
/// its answer.
fn step_findings(
    facts: &Basis<'_>,
    target: &Target,
    p: &PullFacts,
    step: &PullStep,
) -> Vec<Finding> {
    for &i in step.via.iter().filter(|i| **i != 0) {
        let Some(hop) = p.hops.get(i) else { continue };
        if hop.role != HopRole::BlobStorage {
            continue;
        }
        let found = hop_findings(facts, target, step, hop);
        if !found.is_empty() {
            return found;
        }
    }
    answer_finding(target, p, step).into_iter().collect()
}

/// `https://host:port` of a hop.
fn hop_url(h: &Hop) -> String {
    format!(
        "{}://{}",
        h.target.scheme.as_str(),
        h.target.registry_name()
    )
}

/// A redirect host the node cannot reach, or whose certificate a runtime refuses.
fn hop_findings(facts: &Basis<'_>, target: &Target, step: &PullStep, hop: &Hop) -> Vec<Finding> {
    let whose = what(step.kind);
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
        return vec![
            Finding::new(
                Code::BlobUnreachable,
                format!(
                    "{} redirects {whose} to {}, which this node cannot reach{}: {why}",
                    target.registry_name(),
                    hop_url(hop),
                    hop.via
                        .as_ref()
                        .map(|p| format!(" through the proxy {p}"))
                        .unwrap_or_default()
                ),
            )
            .fails(
                Failure::at(blob_step(step.kind), why).with_pull(url_context(target, step)),
                Some(target),
            )
            .hint(unreachable_hint(hop)),
        ];
    }
    let Some(tls) = &hop.tls else {
        return vec![];
    };
    untrusted_findings(facts, target, step, hop, tls)
}

/// Go's verdict on a redirect host's chain per judged runtime, with the registry's trust:
/// one finding per distinct error.
fn untrusted_findings(
    facts: &Basis<'_>,
    target: &Target,
    step: &PullStep,
    hop: &Hop,
    tls: &crate::facts::TlsFacts,
) -> Vec<Finding> {
    let whose = what(step.kind);
    let mut out = Vec::new();
    // Each judged runtime verifies the hop with the registry's trust.
    let mut by_error: Vec<(GoError, Vec<Runtime>)> = Vec::new();
    for (_, client) in facts.judged() {
        let Some(v) =
            crate::runtimes::trust::hop_verdict(facts.facts, client, &tls.chain, &hop.target.host)
        else {
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
            crate::pki::Cert::parse(tls.chain.first().map(Vec::as_slice).unwrap_or_default()).ok();
        let issuer = leaf.as_ref().map(|c| c.issuer.clone()).unwrap_or_default();
        let message = if hostname {
            format!(
                "{} redirects {whose} to {}, whose certificate does not name it: {}",
                target.registry_name(),
                hop_url(hop),
                err.go_text()
            )
        } else {
            format!(
                "{} redirects {whose} to {}, whose certificate (issued by \"{issuer}\") the runtime does not trust: {} — it is verified with the registry's trust (the registry's CA files plus the system roots), not a certs.d folder of its own",
                target.registry_name(),
                hop_url(hop),
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
                        pull: Some(Box::new(url_context(target, step))),
                    },
                    Some(target),
                )
                .hint(hint),
        );
    }
    out
}

/// The blob request's own answer: no answer, a refusal, or bytes that are not the blob.
fn answer_finding(target: &Target, p: &PullFacts, step: &PullStep) -> Option<Finding> {
    let whose = what(step.kind);
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
        return Some(
            Finding::new(
                code,
                format!("{whose} ({}) could not be had: {why}", ex.path),
            )
            .fails(
                Failure::at(blob_step(step.kind), why.clone()).with_pull(url_context(target, step)),
                Some(target),
            )
            .hint(hint),
        );
    }
    match ex.status {
        Some(200 | 206) => {}
        Some(s) => {
            let at = p
                .hops
                .get(step.hop)
                .map(|h| h.target.authority())
                .unwrap_or_default();
            return Some(
                Finding::new(
                    Code::BlobUnreachable,
                    format!("{whose} ({}) answered {s} from {at}", ex.path),
                )
                .fails(
                    Failure::at(blob_step(step.kind), status_text(s))
                        .with_pull(refused_context(target, p, step, s)),
                    Some(target),
                )
                .hint(
                    "the blob is missing or its storage refuses the request (an expired signed URL, a bucket policy): check the registry's storage and re-push the image",
                ),
            );
        }
        None => {}
    }
    if step.digest_ok != Some(false) {
        return None;
    }
    Some(
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
            )
            .with_pull(PullContext {
                digests: Some((
                    step.digest.clone().unwrap_or_default(),
                    step.digest_seen.clone().unwrap_or_default(),
                )),
                ..PullContext::default()
            }),
            Some(target),
        )
        .hint("the storage (or a cache or CDN in front of it) serves other bytes for this digest: purge the cache, or delete and re-push the image"),
    )
}

/// The URL Go names in a blob request's error: the last one asked (the redirect followed
/// last), its query cut (a signed URL's signature is a credential, and Go would print it).
fn url_context(target: &Target, step: &PullStep) -> PullContext {
    let ex = &step.exchange;
    let url = match ex.redirects.last() {
        Some((_, l)) if !l.starts_with('/') => l.clone(),
        Some((_, l)) => format!("{}://{}{l}", target.scheme.as_str(), target.registry_name()),
        None => format!(
            "{}://{}{}",
            target.scheme.as_str(),
            target.registry_name(),
            ex.path
        ),
    };
    PullContext {
        url: Some(url.split('?').next().unwrap_or_default().to_string()),
        ..PullContext::default()
    }
}

/// A blob request answered with an error status: the registry's blob URL (containerd
/// names it) and, for a 4xx, what Docker makes of the body.
fn refused_context(target: &Target, p: &PullFacts, step: &PullStep, status: u16) -> PullContext {
    let ex = &step.exchange;
    let path = format!(
        "/v2/{}/blobs/{}",
        p.image.repository,
        step.digest.clone().unwrap_or_default()
    );
    let errors: Vec<String> = ex.docker_error_texts();
    PullContext {
        url: Some(format!(
            "{}://{}{}",
            target.scheme.as_str(),
            target.registry_name(),
            path
        )),
        refused: (400..500).contains(&status).then(|| {
            (
                status,
                crate::runtimes::line::docker_status_error(status, &errors, &ex.body),
            )
        }),
        ..PullContext::default()
    }
}

/// A refused manifest request: its errors as Docker and containers/image read them, and
/// the Bearer challenge's `error` parameter. Their registry client
/// (docker/distribution's `HandleErrorResponse`) puts an OAuth error of the challenge
/// first — `insufficient_scope` as `denied: requested access to the resource is denied`,
/// `invalid_token` as `unauthorized: authentication required`, or its
/// `error_description` — then the body's errors (observed: Docker prints the first, skopeo
/// all of them).
fn denied_context(ex: &crate::facts::HttpExchange) -> PullContext {
    let challenges = ex.challenges();
    let bearer = challenges.iter().find(|c| c.scheme == "bearer");
    let challenge_error = bearer.and_then(|c| c.param("error")).map(str::to_string);
    let oauth = match challenge_error.as_deref() {
        Some("insufficient_scope") => {
            Some(("denied", "requested access to the resource is denied"))
        }
        Some("invalid_token") => Some(("unauthorized", "authentication required")),
        _ => None,
    }
    .map(|(code, default)| {
        let description = bearer.and_then(|c| c.param("error_description"));
        format!(
            "{code}: {}",
            crate::text::clip(description.unwrap_or(default))
        )
    });
    let body = ex.docker_error_texts();
    PullContext {
        errors: oauth.into_iter().chain(body).collect(),
        challenge_error,
        ..PullContext::default()
    }
}

/// An index without the node's platform: its digest and kind.
fn index_context(p: &PullFacts) -> PullContext {
    let manifest = p.step(StepKind::Manifest);
    let ex = manifest.map(|m| &m.exchange);
    PullContext {
        index_digest: ex
            .and_then(|e| e.header("docker-content-digest"))
            .map(str::to_string)
            .or_else(|| manifest.and_then(|m| m.digest_seen.clone())),
        oci_index: ex.is_some_and(|e| e.media_type() == crate::facts::pull::media::OCI_INDEX),
        ..PullContext::default()
    }
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
