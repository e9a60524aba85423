//! What each runtime prints when a pull fails: a finding carries the failure as data (the
//! step that fails and Go's cause), and the runtime's model words it — with its own
//! prefixes and the wrapping of its Go version. Nothing here slices strings.

use serde::Serialize;

use super::Client;
use crate::facts::Runtime;
use crate::target::Target;

/// Where in a pull the failure happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The daemon does not start (dockerd's own log line).
    DaemonStart,
    /// The runtime's configuration for the registry is refused before any request.
    Config,
    /// The runtime blocks reading a configuration file (a pipe, a device) and prints
    /// nothing until its caller gives up (the cause says so, in regdoctor's words).
    Blocked,
    /// The first request to the registry (Docker and containers/image ping `GET /v2/`;
    /// containerd starts with `HEAD /v2/<name>/manifests/<tag>`).
    FirstRequest,
    /// The manifest request is refused for want of credentials (the cause is the
    /// registry's error text, e.g. `unauthorized: authentication required`).
    NoCredentials,
    /// The manifest request is refused with the credentials given (the cause is the
    /// registry's error text).
    Unauthorized,
    /// The first request gets an HTTP status the runtime refuses (the cause is the status
    /// line, e.g. `400 Bad Request`).
    Status,
    /// The manifest is not found (the cause is the registry's error text, e.g.
    /// `manifest unknown: manifest unknown`).
    ManifestUnknown,
    /// The manifest request is refused: no pull access (the cause is the registry's error
    /// text).
    PullDenied,
    /// The index has no manifest for the node's platform (the cause is the platform).
    Platform,
    /// The manifest is of a type the runtime does not pull (the cause is the type).
    ManifestType,
    /// The image configuration blob cannot be had (the cause is Go's error for it).
    ConfigBlob,
    /// A layer cannot be had (the cause is Go's error for it).
    LayerBlob,
}

/// A failure as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Where.
    pub step: Step,
    /// Go's error, innermost layer (`x509: certificate signed by unknown authority`,
    /// `dial tcp 10.0.0.5:5000: connect: connection refused`).
    pub cause: String,
    /// A certificate-verification error: Go ≥ 1.20 prefixes it with
    /// `tls: failed to verify certificate: `.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verify: bool,
    /// What some runtimes print of a pull-path failure besides Go's error (only for the
    /// wording: the report has it in the finding's evidence and `client_error`).
    #[serde(skip)]
    pub pull: Option<Box<PullContext>>,
}

/// The parts of a pull-path failure a runtime names in its line besides the cause (the
/// check fills what it knows; observed with dockerd 20.10, containerd 1.6 and skopeo 1.9
/// in docs/runtime-observations.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullContext {
    /// The URL of the request that failed, as Go's `url.Error` names it: a redirected
    /// blob's last URL (containerd and CRI-O print it, Docker does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For a digest mismatch: the digest expected and the digest of the bytes served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digests: Option<(String, String)>,
    /// Every error of the registry's JSON body, as `code: message` with the code in
    /// lower case and spaces (containers/image prints them all, Docker the first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The `error` parameter of the registry's Bearer challenge (containerd prints it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_error: Option<String>,
    /// The index's digest (containerd names it when no platform matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    /// The index is an OCI image index (containers/image: "image index"), not a Docker
    /// manifest list ("manifest list").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub oci_index: bool,
    /// A blob request refused with a 4xx status by the host that answered: the status
    /// and what Docker's registry client makes of the body (see [`docker_status_error`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<(u16, String)>,
    /// A [`Step::ManifestType`] whose cause is the configuration's media type of an OCI
    /// artifact (a Helm chart), not the manifest's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub artifact: bool,
}

impl Failure {
    /// A failure at the first request.
    pub fn request(cause: impl Into<String>) -> Failure {
        Failure {
            step: Step::FirstRequest,
            cause: cause.into(),
            verify: false,
            pull: None,
        }
    }

    /// A certificate-verification failure at the first request.
    pub fn verification(x509: impl Into<String>) -> Failure {
        Failure {
            step: Step::FirstRequest,
            cause: x509.into(),
            verify: true,
            pull: None,
        }
    }

    /// A failure of another step.
    pub fn at(step: Step, cause: impl Into<String>) -> Failure {
        Failure {
            step,
            cause: cause.into(),
            verify: false,
            pull: None,
        }
    }

    /// The same failure with what the runtimes name of the pull besides the cause.
    pub fn with_pull(mut self, context: PullContext) -> Failure {
        self.pull = Some(Box::new(context));
        self
    }

    /// The cause as a runtime built with this Go prints it.
    pub fn cause_for(&self, go_1_20: bool) -> String {
        if self.verify && go_1_20 {
            format!("tls: failed to verify certificate: {}", self.cause)
        } else {
            self.cause.clone()
        }
    }

    /// The generic wording (Docker's, current Go): `Get "https://h/v2/": cause`.
    pub fn generic(&self, target: Option<&Target>) -> String {
        let cause = self.cause_for(true);
        if let Some(l) = target.and_then(|t| pull_line(Runtime::Docker, self, &cause, t)) {
            return l;
        }
        match (self.step, target) {
            (Step::FirstRequest, Some(t)) => format!("Get \"{}\": {cause}", t.v2_url()),
            (Step::NoCredentials, Some(t)) => format!(
                "Error response from daemon: Head \"{}\": no basic auth credentials",
                manifest_url(t)
            ),
            (Step::Config | Step::Unauthorized, _) => {
                format!("Error response from daemon: {cause}")
            }
            (Step::Status, Some(t)) => format!("Get \"{}\": {cause}", t.v2_url()),
            _ => cause,
        }
    }
}

/// The image's repository and reference when the target names one, else the
/// placeholders `IMAGE` and `TAG`.
fn image_names(t: &Target) -> (String, String) {
    match &t.image {
        Some(i) => (i.repository.clone(), i.reference().to_string()),
        None => ("IMAGE".into(), "TAG".into()),
    }
}

fn manifest_url(t: &Target) -> String {
    let (image, tag) = image_names(t);
    format!(
        "{}://{}/v2/{image}/manifests/{tag}",
        t.scheme.as_str(),
        t.registry_name()
    )
}

/// The line a runtime prints for a failure on the pull path, after `/v2/` (the image's
/// own names in it). Docker prints an error met once its pull's progress stream has begun
/// (the platform, the blobs) without `Error response from daemon: `. Observed with dockerd
/// 20.10, containerd 1.6 (`ctr`) and skopeo 1.9 (CRI-O's containers/image) against the
/// real registry: docs/runtime-observations.md.
fn pull_line(runtime: Runtime, f: &Failure, cause: &str, t: &Target) -> Option<String> {
    let image = t.image.as_ref()?;
    let name = t.registry_name();
    let repo = &image.repository;
    let reference = image.reference();
    let full = format!("{name}/{}", image.familiar());
    let none = PullContext::default();
    let ctx = f.pull.as_deref().unwrap_or(&none);
    // Go's url.Error around a blob request's cause, as containerd and CRI-O print it.
    let get = match &ctx.url {
        Some(u) => format!("Get \"{u}\": {cause}"),
        None => cause.to_string(),
    };
    let blob = matches!(f.step, Step::ConfigBlob | Step::LayerBlob);
    if blob && let Some((status, docker_text)) = &ctx.refused {
        return Some(refused_line(
            runtime,
            f.step,
            *status,
            docker_text,
            ctx,
            cause,
        ));
    }
    let docker = matches!(runtime, Runtime::Docker | Runtime::Karbon | Runtime::Any);
    Some(match (runtime, f.step, &ctx.digests) {
        (_, Step::ManifestUnknown, _) if docker => {
            format!("Error response from daemon: manifest for {full} not found: {cause}")
        }
        (_, Step::PullDenied, _) if docker => format!(
            "Error response from daemon: pull access denied for {name}/{repo}, repository does not exist or may require 'docker login': {cause}"
        ),
        (_, Step::Platform, _) if docker => {
            format!("no matching manifest for {cause} in the manifest list entries")
        }
        (_, Step::ManifestType, _) if docker && ctx.artifact => {
            format!("unsupported media type {cause}")
        }
        (Runtime::Containerd, Step::ManifestType, _) if ctx.artifact => {
            "mismatched image rootfs and manifest layers".to_string()
        }
        (Runtime::CriO, Step::ManifestType, _) if ctx.artifact => format!(
            "parsing image configuration: unsupported image-specific operation on artifact with type \"{cause}\""
        ),
        (_, Step::ManifestType, _) if docker => {
            format!("Error response from daemon: unsupported manifest media type: {cause}")
        }
        (_, Step::ConfigBlob, Some((want, _))) if docker => format!(
            "error pulling image configuration: image config verification failed for digest {want}"
        ),
        (_, Step::LayerBlob, Some((want, _))) if docker => {
            format!("filesystem layer verification failed for digest {want}")
        }
        (_, Step::ConfigBlob, None) if docker => {
            format!("error pulling image configuration: download failed after attempts=6: {cause}")
        }
        (_, Step::LayerBlob, None) if docker => cause.to_string(),
        (Runtime::Containerd, Step::ManifestUnknown, _) => {
            format!("failed to resolve reference \"{full}\": {full}: not found")
        }
        (Runtime::Containerd, Step::PullDenied, _) => match &ctx.challenge_error {
            Some(e) => format!(
                "failed to resolve reference \"{full}\": pull access denied, repository does not exist or may require authorization: server message: {e}: authorization failed"
            ),
            None => format!(
                "failed to resolve reference \"{full}\": pulling from host {name} failed with status code [manifests {reference}]: {cause}"
            ),
        },
        (Runtime::Containerd, Step::Platform, _) => match &ctx.index_digest {
            Some(d) => format!("no match for platform in manifest {d}: not found"),
            None => "no match for platform in manifest".to_string(),
        },
        (Runtime::Containerd, Step::ManifestType, _) => {
            format!("failed to resolve reference \"{full}\": unsupported manifest type {cause}")
        }
        (Runtime::Containerd, _, Some((want, seen))) if blob => {
            let kind = if f.step == Step::ConfigBlob {
                "config"
            } else {
                "layer"
            };
            format!(
                "failed commit on ref \"{kind}-{want}\": commit failed: unexpected commit digest {seen}, expected {want}: failed precondition"
            )
        }
        (Runtime::Containerd, _, None) if blob => {
            format!("failed to copy: httpReadSeeker: failed open: failed to do request: {get}")
        }
        (Runtime::CriO, Step::ManifestUnknown, _) => {
            format!("reading manifest {reference} in {name}/{repo}: {cause}")
        }
        // containers/image lists every error of the body when there are several.
        (Runtime::CriO, Step::PullDenied, _) if ctx.errors.len() > 1 => {
            let all: String = ctx.errors.iter().map(|e| format!("\n{e}")).collect();
            format!("reading manifest {reference} in {name}/{repo}: errors:{all}\n")
        }
        (Runtime::CriO, Step::PullDenied, _) => {
            format!("reading manifest {reference} in {name}/{repo}: {cause}")
        }
        (Runtime::CriO, Step::Platform, _) => {
            let p = crate::facts::pull::Platform::parse(cause);
            let (os, arch, variant) = p
                .map(|p| (p.os, p.architecture, p.variant.unwrap_or_default()))
                .unwrap_or_default();
            let list = if ctx.oci_index {
                "image index"
            } else {
                "manifest list"
            };
            format!(
                "choosing an image from manifest list docker://{full}: no image found in {list} for architecture {arch}, variant \"{variant}\", OS {os}"
            )
        }
        (Runtime::CriO, Step::ManifestType, _) => {
            format!("unsupported manifest type {cause}")
        }
        // CRI-O reads the configuration before the layers (containers-storage checks the
        // image's platform first).
        (Runtime::CriO, Step::ConfigBlob, Some((want, seen))) => format!(
            "parsing image configuration: Download config.json digest {seen} does not match expected {want}"
        ),
        (Runtime::CriO, Step::ConfigBlob, None) => format!("parsing image configuration: {get}"),
        (Runtime::CriO, Step::LayerBlob, _) => format!("reading blob: {get}"),
        _ => return None,
    })
}

/// A blob refused with a 4xx status, as each runtime printed it (observed with a blob
/// host answering 403 with an S3-style XML body): Docker does not retry it
/// (`attempts=1`) and prints what its registry client made of the body; containerd names
/// the registry's own blob URL, not the redirect's; containers/image names the status.
/// `cause` is the status line (`403 Forbidden`); the context's `url` is the registry's
/// blob URL.
fn refused_line(
    runtime: Runtime,
    step: Step,
    status: u16,
    docker_text: &str,
    ctx: &PullContext,
    cause: &str,
) -> String {
    let url = ctx.url.clone().unwrap_or_default();
    let reason = cause.split_once(' ').map(|(_, r)| r).unwrap_or_default();
    match (runtime, step) {
        (Runtime::Containerd, _) => format!(
            "failed to copy: httpReadSeeker: failed open: unexpected status code {url}: {cause}"
        ),
        (Runtime::CriO, Step::ConfigBlob) => format!(
            "parsing image configuration: Error fetching blob: invalid status code from registry {status} ({reason})"
        ),
        (Runtime::CriO, _) => format!(
            "reading blob: Error fetching blob: invalid status code from registry {status} ({reason})"
        ),
        (_, Step::ConfigBlob) => format!(
            "error pulling image configuration: download failed after attempts=1: {docker_text}"
        ),
        (_, _) => docker_text.to_string(),
    }
}

/// What Docker's registry client (docker/distribution's `HandleErrorResponse`) makes of a
/// 4xx answer's body: the first error of a registry JSON body, else Go's JSON parse error
/// and the body quoted (`error parsing HTTP 403 response body: invalid character '<'
/// looking for beginning of value: "<?xml …"`).
pub fn docker_status_error(status: u16, errors: &[String], body: &str) -> String {
    if let Some(first) = errors.first() {
        return first.clone();
    }
    let parse_error = match body.trim_start().chars().next() {
        None => "unexpected end of JSON input".to_string(),
        Some(c) => format!("invalid character '{c}' looking for beginning of value"),
    };
    format!("error parsing HTTP {status} response body: {parse_error}: {body:?}")
}

/// The line `runtime` prints for this failure (its CLI or its kubelet event).
pub fn line(client: &Client, failure: &Failure, target: Option<&Target>) -> String {
    let cause = failure.cause_for(client.go_at_least(1, 20));
    let Some(t) = target else {
        return cause;
    };
    if let Some(l) = pull_line(client.runtime, failure, &cause, t) {
        return l;
    }
    let name = t.registry_name();
    let v2 = t.v2_url();
    let (img, tag) = image_names(t);
    let sep = if t.image.as_ref().is_some_and(|i| i.digest.is_some()) {
        '@'
    } else {
        ':'
    };
    match (client.runtime, failure.step) {
        (_, Step::DaemonStart | Step::Blocked) => cause,
        (Runtime::Docker | Runtime::Karbon | Runtime::Any, Step::FirstRequest) => {
            format!("Error response from daemon: Get \"{v2}\": {cause}")
        }
        // Docker answers a Basic challenge without credentials itself.
        (Runtime::Docker | Runtime::Karbon | Runtime::Any, Step::NoCredentials) => {
            format!(
                "Error response from daemon: Head \"{}\": no basic auth credentials",
                manifest_url(t)
            )
        }
        (Runtime::Docker | Runtime::Karbon | Runtime::Any, Step::Unauthorized | Step::Config) => {
            format!("Error response from daemon: {cause}")
        }
        // containerd 1.6 says the same with and without credentials (observed).
        (Runtime::Containerd, Step::NoCredentials | Step::Unauthorized) => format!(
            "failed to resolve reference \"{name}/{img}{sep}{tag}\": pulling from host {name} failed with status code [manifests {tag}]: 401 Unauthorized"
        ),
        (Runtime::Containerd, Step::FirstRequest) => format!(
            "failed to resolve reference \"{name}/{img}{sep}{tag}\": failed to do request: Head \"{}\": {cause}",
            manifest_url(t)
        ),
        (Runtime::Containerd, Step::Status) => format!(
            "failed to resolve reference \"{name}/{img}{sep}{tag}\": unexpected status from HEAD request to {}: {cause}",
            manifest_url(t)
        ),
        (Runtime::Containerd, _) => {
            format!("failed to resolve reference \"{name}/{img}{sep}{tag}\": {cause}")
        }
        (Runtime::CriO, Step::FirstRequest) => {
            format!("pinging container registry {name}: Get \"{v2}\": {cause}")
        }
        // containers/image's ping (observed with skopeo 1.9 against nginx's 400).
        (Runtime::CriO, Step::Status) => {
            let (code, text) = failure
                .cause
                .split_once(' ')
                .unwrap_or((&failure.cause, ""));
            format!(
                "pinging container registry {name}: invalid status code from registry {code} ({text})"
            )
        }
        (Runtime::Docker | Runtime::Karbon | Runtime::Any, Step::Status) => {
            format!("Error response from daemon: Get \"{v2}\": {cause}")
        }
        (Runtime::CriO, Step::NoCredentials | Step::Unauthorized) => {
            format!("reading manifest {tag} in {name}/{img}: {cause}")
        }
        (Runtime::CriO, _) => cause,
        // A pull-path failure without an image in the target (not emitted).
        (_, _) => format!("Error response from daemon: {cause}"),
    }
}

/// For a client judged as "any runtime": the line in each runtime's wording.
pub fn lines_for_any(failure: &Failure, target: Option<&Target>) -> Vec<(Runtime, String)> {
    [Runtime::Docker, Runtime::Containerd, Runtime::CriO]
        .into_iter()
        .map(|r| {
            let c = Client::default_for(r, "");
            (r, line(&c, failure, target))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(r: Runtime, go: Option<&str>) -> Client {
        let mut c = Client::default_for(r, "test");
        c.go_version = go.map(str::to_string);
        c
    }

    #[test]
    fn the_verify_wrapper_depends_on_go() {
        let t = crate::target::parse("10.0.0.5:5000").unwrap();
        let f = Failure::verification("x509: certificate signed by unknown authority");
        assert_eq!(
            line(&client(Runtime::Docker, Some("1.19.8")), &f, Some(&t)),
            "Error response from daemon: Get \"https://10.0.0.5:5000/v2/\": x509: certificate signed by unknown authority"
        );
        assert_eq!(
            line(&client(Runtime::Docker, Some("1.21.3")), &f, Some(&t)),
            "Error response from daemon: Get \"https://10.0.0.5:5000/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority"
        );
        assert_eq!(
            line(&client(Runtime::CriO, None), &f, Some(&t)),
            "pinging container registry 10.0.0.5:5000: Get \"https://10.0.0.5:5000/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority"
        );
        assert!(
            line(&client(Runtime::Containerd, None), &f, Some(&t)).starts_with(
                "failed to resolve reference \"10.0.0.5:5000/IMAGE:TAG\": failed to do request: Head \"https://10.0.0.5:5000/v2/IMAGE/manifests/TAG\": tls: failed"
            )
        );
    }

    /// The pull-path lines as dockerd 20.10, containerd 1.6 and skopeo 1.9 printed them
    /// (docs/runtime-observations.md, the pull path).
    #[test]
    fn pull_path_lines_are_the_observed_ones() {
        let t = crate::target::parse("10.0.0.5:5000/test/hello:v1").unwrap();
        let say = |r: Runtime, f: &Failure| line(&client(r, Some("1.19.8")), f, Some(&t));
        let url = "https://10.0.0.5:5001/docker/registry/v2/blobs/sha256/64/64fd/data";
        let blob = Failure {
            step: Step::ConfigBlob,
            cause: "x509: certificate signed by unknown authority".into(),
            verify: true,
            pull: None,
        }
        .with_pull(PullContext {
            url: Some(url.into()),
            ..PullContext::default()
        });
        assert_eq!(
            say(Runtime::Docker, &blob),
            "error pulling image configuration: download failed after attempts=6: x509: certificate signed by unknown authority"
        );
        assert_eq!(
            say(Runtime::Containerd, &blob),
            format!(
                "failed to copy: httpReadSeeker: failed open: failed to do request: Get \"{url}\": x509: certificate signed by unknown authority"
            )
        );
        assert_eq!(
            say(Runtime::CriO, &blob),
            format!(
                "parsing image configuration: Get \"{url}\": x509: certificate signed by unknown authority"
            )
        );
        let tampered = Failure::at(Step::ConfigBlob, "digest mismatch").with_pull(PullContext {
            digests: Some(("sha256:aa".into(), "sha256:bb".into())),
            ..PullContext::default()
        });
        assert_eq!(
            say(Runtime::Docker, &tampered),
            "error pulling image configuration: image config verification failed for digest sha256:aa"
        );
        assert_eq!(
            say(Runtime::Containerd, &tampered),
            "failed commit on ref \"config-sha256:aa\": commit failed: unexpected commit digest sha256:bb, expected sha256:aa: failed precondition"
        );
        assert_eq!(
            say(Runtime::CriO, &tampered),
            "parsing image configuration: Download config.json digest sha256:bb does not match expected sha256:aa"
        );
        let denied = Failure::at(
            Step::PullDenied,
            "denied: requested access to the resource is denied",
        )
        .with_pull(PullContext {
            errors: vec![
                "denied: requested access to the resource is denied".into(),
                "unauthorized: authentication required".into(),
            ],
            challenge_error: Some("insufficient_scope".into()),
            ..PullContext::default()
        });
        assert_eq!(
            say(Runtime::Docker, &denied),
            "Error response from daemon: pull access denied for 10.0.0.5:5000/test/hello, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
        );
        assert_eq!(
            say(Runtime::Containerd, &denied),
            "failed to resolve reference \"10.0.0.5:5000/test/hello:v1\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
        );
        assert_eq!(
            say(Runtime::CriO, &denied),
            "reading manifest v1 in 10.0.0.5:5000/test/hello: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n"
        );
        let platform = Failure::at(Step::Platform, "linux/amd64").with_pull(PullContext {
            index_digest: Some("sha256:9b".into()),
            oci_index: true,
            ..PullContext::default()
        });
        assert_eq!(
            say(Runtime::Docker, &platform),
            "no matching manifest for linux/amd64 in the manifest list entries"
        );
        assert_eq!(
            say(Runtime::Containerd, &platform),
            "no match for platform in manifest sha256:9b: not found"
        );
        assert_eq!(
            say(Runtime::CriO, &platform),
            "choosing an image from manifest list docker://10.0.0.5:5000/test/hello:v1: no image found in image index for architecture amd64, variant \"\", OS linux"
        );
    }

    #[test]
    fn a_refused_blob_is_worded_as_each_runtime_printed_it() {
        let t = crate::target::parse("10.0.0.5:5000/test/hello:v1").unwrap();
        let body = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>";
        let docker_text = docker_status_error(403, &[], body);
        assert_eq!(
            docker_text,
            "error parsing HTTP 403 response body: invalid character '<' looking for beginning of value: \"<?xml version=\\\"1.0\\\"?><Error><Code>AccessDenied</Code></Error>\""
        );
        let url = "https://10.0.0.5:5000/v2/test/hello/blobs/sha256:64fd";
        let f = Failure::at(Step::ConfigBlob, "403 Forbidden").with_pull(PullContext {
            url: Some(url.into()),
            refused: Some((403, docker_text.clone())),
            ..PullContext::default()
        });
        let say = |r: Runtime| line(&client(r, Some("1.19.8")), &f, Some(&t));
        assert_eq!(
            say(Runtime::Docker),
            format!(
                "error pulling image configuration: download failed after attempts=1: {docker_text}"
            )
        );
        assert_eq!(
            say(Runtime::Containerd),
            format!(
                "failed to copy: httpReadSeeker: failed open: unexpected status code {url}: 403 Forbidden"
            )
        );
        assert_eq!(
            say(Runtime::CriO),
            "parsing image configuration: Error fetching blob: invalid status code from registry 403 (Forbidden)"
        );
    }

    #[test]
    fn an_artifact_is_refused_in_each_runtime_s_words() {
        let t = crate::target::parse("10.0.0.5:5000/test/chart:0.1.0").unwrap();
        let kind = "application/vnd.cncf.helm.config.v1+json";
        let f = Failure::at(Step::ManifestType, kind).with_pull(PullContext {
            artifact: true,
            ..PullContext::default()
        });
        let say = |r: Runtime| line(&client(r, Some("1.19.8")), &f, Some(&t));
        assert_eq!(
            say(Runtime::Docker),
            format!("unsupported media type {kind}")
        );
        assert_eq!(
            say(Runtime::Containerd),
            "mismatched image rootfs and manifest layers"
        );
        assert_eq!(
            say(Runtime::CriO),
            format!(
                "parsing image configuration: unsupported image-specific operation on artifact with type \"{kind}\""
            )
        );
    }

    #[test]
    fn a_daemon_that_does_not_start_prints_its_own_line() {
        let f = Failure::at(Step::DaemonStart, "unable to configure the Docker daemon");
        assert_eq!(
            line(&client(Runtime::Docker, None), &f, None),
            "unable to configure the Docker daemon"
        );
    }
}
