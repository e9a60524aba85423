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
}

impl Failure {
    /// A failure at the first request.
    pub fn request(cause: impl Into<String>) -> Failure {
        Failure {
            step: Step::FirstRequest,
            cause: cause.into(),
            verify: false,
        }
    }

    /// A certificate-verification failure at the first request.
    pub fn verification(x509: impl Into<String>) -> Failure {
        Failure {
            step: Step::FirstRequest,
            cause: x509.into(),
            verify: true,
        }
    }

    /// A failure of another step.
    pub fn at(step: Step, cause: impl Into<String>) -> Failure {
        Failure {
            step,
            cause: cause.into(),
            verify: false,
        }
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
        if let Some(l) = target.and_then(|t| pull_line(Runtime::Docker, self.step, &cause, t)) {
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
/// own names in it).
fn pull_line(runtime: Runtime, step: Step, cause: &str, t: &Target) -> Option<String> {
    let image = t.image.as_ref()?;
    let name = t.registry_name();
    let repo = &image.repository;
    let reference = image.reference();
    let full = format!("{name}/{}", image.familiar());
    let docker = matches!(runtime, Runtime::Docker | Runtime::Karbon | Runtime::Any);
    Some(match (runtime, step) {
        (_, Step::ManifestUnknown) if docker => {
            format!("Error response from daemon: manifest for {full} not found: {cause}")
        }
        (_, Step::PullDenied) if docker => format!(
            "Error response from daemon: pull access denied for {name}/{repo}, repository does not exist or may require 'docker login': {cause}"
        ),
        (_, Step::Platform) if docker => format!(
            "Error response from daemon: no matching manifest for {cause} in the manifest list entries"
        ),
        (_, Step::ManifestType) if docker => {
            format!("Error response from daemon: unsupported manifest media type: {cause}")
        }
        (_, Step::ConfigBlob) if docker => format!(
            "Error response from daemon: error pulling image configuration: download failed after attempts=6: {cause}"
        ),
        (_, Step::LayerBlob) if docker => format!("Error response from daemon: {cause}"),
        (Runtime::Containerd, Step::ManifestUnknown) => {
            format!("failed to resolve reference \"{full}\": {full}: not found")
        }
        (Runtime::Containerd, Step::PullDenied) => format!(
            "failed to resolve reference \"{full}\": pulling from host {name} failed with status code [manifests {reference}]: {cause}"
        ),
        (Runtime::Containerd, Step::Platform) => {
            "no match for platform in manifest: not found".to_string()
        }
        (Runtime::Containerd, Step::ManifestType) => {
            format!("failed to resolve reference \"{full}\": unsupported manifest type {cause}")
        }
        (Runtime::Containerd, Step::ConfigBlob | Step::LayerBlob) => {
            format!("failed to copy: httpReadSeeker: failed open: failed to do request: {cause}")
        }
        (Runtime::CriO, Step::ManifestUnknown | Step::PullDenied) => {
            format!("reading manifest {reference} in {name}/{repo}: {cause}")
        }
        (Runtime::CriO, Step::Platform) => {
            let p = crate::facts::pull::Platform::parse(cause);
            let (os, arch, variant) = p
                .map(|p| (p.os, p.architecture, p.variant.unwrap_or_default()))
                .unwrap_or_default();
            format!(
                "choosing an image from manifest list docker://{full}: no image found in manifest list for architecture {arch}, variant \"{variant}\", OS {os}"
            )
        }
        (Runtime::CriO, Step::ManifestType) => {
            format!("unsupported manifest type {cause}")
        }
        (Runtime::CriO, Step::ConfigBlob | Step::LayerBlob) => {
            format!("reading blob: {cause}")
        }
        _ => return None,
    })
}

/// The line `runtime` prints for this failure (its CLI or its kubelet event).
pub fn line(client: &Client, failure: &Failure, target: Option<&Target>) -> String {
    let cause = failure.cause_for(client.go_at_least(1, 20));
    let Some(t) = target else {
        return cause;
    };
    if let Some(l) = pull_line(client.runtime, failure.step, &cause, t) {
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
        (_, Step::DaemonStart) => cause,
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

    #[test]
    fn a_daemon_that_does_not_start_prints_its_own_line() {
        let f = Failure::at(Step::DaemonStart, "unable to configure the Docker daemon");
        assert_eq!(
            line(&client(Runtime::Docker, None), &f, None),
            "unable to configure the Docker daemon"
        );
    }
}
