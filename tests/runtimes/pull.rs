//! The pull path (manifests, platforms, tokens, redirected blobs) against the real
//! registry, and with the real clients: one [`Lab`] per test (one origin registry with the
//! images pushed by skopeo, one nginx for every blob host and the token service).

use serde_json::Value;

use crate::common::netns::Netns;
use crate::common::pull::*;
use crate::common::{finding, regdoctor_in_with_stdin, runtimes_entry, write};

/// regdoctor on a scenario's image reference with `--ca` (the lab's registry CA) and the
/// node's platform fixed to linux/amd64; the token scenario logs in as its user.
fn judge_with_ca(s: &Scenario, ca_file: &str) -> Value {
    let mut args = vec![
        s.target_ref.as_str(),
        "--ca",
        ca_file,
        "--platform",
        "linux/amd64",
    ];
    let password = match s.credentials() {
        Some((user, password)) => {
            args.extend(["--user", user, "--password-stdin"]);
            password
        }
        None => "",
    };
    regdoctor_in_with_stdin(s.ns(), &args, password).1
}

/// The codes of the `pull` check's findings.
fn pull_codes(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["id"] == "pull")
        .flat_map(|c| c["findings"].as_array().into_iter().flatten())
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `(role, url)` of each hop of the report's pull section.
fn hops(report: &Value) -> Vec<(String, String)> {
    report["pull"]["hops"]
        .as_array()
        .unwrap_or_else(|| panic!("no pull.hops: {report:#}"))
        .iter()
        .map(|h| {
            (
                h["role"].as_str().unwrap_or_default().to_string(),
                h["url"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The step of a kind in the report's pull section.
fn step<'a>(report: &'a Value, kind: &str) -> &'a Value {
    report["pull"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == kind)
        .unwrap_or_else(|| panic!("no step {kind} in {:#}", report["pull"]))
}

/// Every case of the pull path against the real registry (Debian's docker-registry with
/// images pushed by `skopeo copy`, blobs redirected by its `redirect` storage middleware
/// to nginx servers, a token service that grants nothing): the pull check's finding, and
/// the hosts and requests of the report's `pull` section.
#[test]
fn the_pull_path_against_the_real_registry() {
    let Some(ns) = Netns::new() else { return };
    let Some(lab) = Lab::new(&ns) else { return };
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(&dir, "ca.crt", lab.ca.pem.as_bytes());
    let registry = |s: &Scenario| ("registry".to_string(), format!("https://{}", s.registry));
    let blob = |s: &Scenario| {
        (
            "blob_storage".to_string(),
            format!("https://{}", s.blob_host.clone().unwrap()),
        )
    };
    let cases = [
        (Kind::Direct, "pull_ok"),
        (Kind::UnknownTag, "image_tag_unknown"),
        (Kind::UnknownRepository, "image_name_unknown"),
        (Kind::ForeignPlatform, "platform_missing"),
        (Kind::BlobTrusted, "pull_ok"),
        (Kind::BlobOtherCa, "blob_tls_untrusted"),
        (Kind::BlobNoSan, "blob_san_mismatch"),
        (Kind::BlobDown, "blob_unreachable"),
        (Kind::BlobLoop, "redirect_loop"),
        (Kind::BlobForbidden, "blob_unreachable"),
        (Kind::BlobTamperedConfig, "blob_digest_mismatch"),
        (Kind::NoPullScope, "pull_denied"),
        (Kind::HelmChart, "manifest_unsupported"),
    ];
    for (kind, code) in cases {
        let s = lab.scenario(kind);
        let report = judge_with_ca(&s, &ca_file);
        eprintln!("{kind:?}: {:#}", report["pull"]);
        assert_eq!(pull_codes(&report), [code], "{kind:?}: {report:#}");
        let verdict = report["verdict"].as_str().unwrap_or_default();
        assert_eq!(
            verdict == "fail",
            code != "pull_ok",
            "{kind:?}: verdict {verdict}"
        );
        if code != "pull_ok" {
            let f = finding(&report, code);
            assert!(
                f["client_error"].as_str().is_some_and(|l| !l.is_empty()),
                "{kind:?}: no runtime line: {f:#}"
            );
        }
        match kind {
            Kind::Direct => {
                assert_eq!(hops(&report), [registry(&s)]);
                let kinds: Vec<&str> = report["pull"]["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["step"].as_str().unwrap())
                    .collect();
                assert!(
                    kinds.ends_with(&["manifest", "config_blob", "layer_blob"]),
                    "{kinds:?}"
                );
                let config = step(&report, "config_blob");
                assert_eq!(config["status"], 200);
                assert_eq!(config["digest_ok"], true);
                assert_eq!(
                    config["path"],
                    format!("/v2/{REPO}/blobs/{}", lab.images.hello.config.digest)
                );
                let layer = step(&report, "layer_blob");
                assert_eq!(layer["status"], 206, "{layer:#}");
            }
            Kind::UnknownTag | Kind::UnknownRepository => {
                assert_eq!(step(&report, "manifest")["status"], 404);
                assert!(step(&report, "tags").is_object());
            }
            Kind::ForeignPlatform => {
                let f = finding(&report, code);
                let m = f["message"].as_str().unwrap();
                assert!(
                    m.contains("linux/s390x") && m.contains("linux/amd64"),
                    "{m}"
                );
            }
            Kind::BlobTrusted | Kind::BlobTamperedConfig => {
                assert_eq!(hops(&report), [registry(&s), blob(&s)]);
                let config = step(&report, "config_blob");
                assert_eq!(config["hop"], 1, "{config:#}");
                // distribution 2.8's redirect middleware: baseurl's scheme and host + the
                // storage driver's path of the blob.
                let want = format!(
                    "https://{}{}",
                    s.blob_host.clone().unwrap(),
                    lab.images.hello.config.storage_path()
                );
                assert_eq!(config["redirects"][0], want, "{config:#}");
                assert_eq!(config["digest_ok"], kind == Kind::BlobTrusted);
            }
            Kind::BlobOtherCa | Kind::BlobNoSan | Kind::BlobDown => {
                assert_eq!(hops(&report), [registry(&s), blob(&s)]);
                let hop = &report["pull"]["hops"][1];
                assert_ne!(hop["verdict"], "ok", "{hop:#}");
            }
            Kind::BlobLoop => {
                // The host is fine; the request goes round in circles (Go's limit).
                assert_eq!(hops(&report), [registry(&s), blob(&s)]);
                let config = step(&report, "config_blob");
                assert_eq!(config["error"], "stopped after 10 redirects", "{config:#}");
                assert_eq!(config["redirects"].as_array().unwrap().len(), 10);
            }
            Kind::NoPullScope => {
                let roles: Vec<String> = hops(&report).into_iter().map(|h| h.0).collect();
                assert_eq!(roles, ["registry", "token_realm"]);
            }
            _ => {}
        }
    }
}

/// The cases every client is compared on: the kind, and the pull check's code when the
/// pull fails (None: it works).
const DIFFERENTIAL: [(Kind, Option<&str>); 13] = [
    (Kind::Direct, None),
    (Kind::BlobTrusted, None),
    (Kind::UnknownTag, Some("image_tag_unknown")),
    (Kind::UnknownRepository, Some("image_name_unknown")),
    (Kind::ForeignPlatform, Some("platform_missing")),
    (Kind::NoPullScope, Some("pull_denied")),
    (Kind::BlobOtherCa, Some("blob_tls_untrusted")),
    (Kind::BlobNoSan, Some("blob_san_mismatch")),
    (Kind::BlobDown, Some("blob_unreachable")),
    (Kind::BlobLoop, Some("redirect_loop")),
    (Kind::BlobForbidden, Some("blob_unreachable")),
    (Kind::BlobTamperedConfig, Some("blob_digest_mismatch")),
    (Kind::HelmChart, Some("manifest_unsupported")),
];

/// Pulls `s` with the real client of `rt`, judges the same node files with regdoctor, and
/// asserts they agree: pass or fail (`code` None: the pull works), the root cause, and the
/// line regdoctor predicts is the one the client printed.
fn compare(lab: &Lab, s: &Scenario, rt: Runtime, code: Option<&str>, what: &str) {
    let kind = s.kind;
    let real = s.pull(rt);
    real.expect(rt.name(), what, code.is_none(), None);
    let mut args: Vec<String> = vec![s.target_ref.clone()];
    args.extend(s.node_args(rt));
    let password = match s.credentials() {
        Some((user, password)) => {
            args.extend(["--user".into(), user.into(), "--password-stdin".into()]);
            password
        }
        None => "",
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = regdoctor_in_with_stdin(s.ns(), &args, password).1;
    let entry = runtimes_entry(&report, rt.name());
    let predicted_ok = matches!(entry["verdict"].as_str(), Some("pass" | "warn"));
    assert_eq!(
        predicted_ok,
        real.ok,
        "{}: {what}: the real client {}, regdoctor: {entry:#}",
        rt.name(),
        if real.ok { "pulled" } else { "failed" }
    );
    assert_eq!(
        entry["cause"].as_str(),
        code,
        "{}: {what}: {entry:#}",
        rt.name()
    );
    let Some(code) = code else { return };
    let mut predicted = entry["error"].as_str().unwrap_or_default().to_string();
    // The pull finding's own line is worded for the judged runtime too.
    assert_eq!(
        finding(&report, code)["client_error"].as_str(),
        Some(predicted.as_str()),
        "{}: {what}",
        rt.name()
    );
    let hello = &lab.images.hello;
    if rt == Runtime::Containerd && real.message().contains(hello.layer.hex()) {
        // containerd fetches the config and the layer at once: either may be the one
        // whose failure it prints (observed both); regdoctor names the config.
        let (config, layer) = (&hello.config, &hello.layer);
        predicted = predicted.replace(&config.storage_path(), &layer.storage_path());
        predicted = predicted.replace(&config.digest, &layer.digest);
    }
    eprintln!(
        "PREDICTED | {} | {kind:?} | {code} | {predicted}",
        rt.name()
    );
    assert!(
        !predicted.is_empty() && real.message().contains(&predicted),
        "{}: {what}: the client printed\n  {}\nregdoctor predicted\n  {predicted}",
        rt.name(),
        real.message()
    );
}

/// Each [`DIFFERENTIAL`] case with the real client of `rt` ([`compare`]).
fn differential(rt: Runtime) {
    let Some(ns) = Netns::new() else { return };
    let Some(lab) = Lab::new(&ns) else { return };
    if !lab.runtime(rt) {
        return;
    }
    // Indexes with one amd64 variant, on an amd64 machine: v1 is plain amd64 to Docker and
    // containerd, not to CRI-O; v2 is not amd64 to any of them; linux/386 fails
    // everywhere, containerd with another line (docs/runtime-observations.md).
    let mut extra: Vec<(Kind, Option<&str>)> = Vec::new();
    if std::env::consts::ARCH == "x86_64" {
        extra.push((Kind::Amd64V2, Some("platform_missing")));
        if rt != Runtime::CriO {
            extra.push((Kind::Amd64V1, None));
        }
        if rt != Runtime::Containerd {
            extra.push((Kind::Only386, Some("platform_missing")));
        }
    }
    for (kind, code) in DIFFERENTIAL.into_iter().chain(extra) {
        let s = lab.scenario(kind);
        if rt == Runtime::Containerd {
            // The CA also at the root of hosts.toml: after a 404 from the [host] entry
            // containerd tries the `server` too, and without a CA there its error is
            // x509's, not "not found" (observed; docs/runtime-observations.md).
            s.set_trust(Trust::RegistryAndServer);
        }
        compare(&lab, &s, rt, code, kind.describe());
    }
}

/// A blob host whose certificate another CA signed, with that CA where the runtime reads
/// it: the runtimes follow the redirect with the registry's own trust, so an entry named
/// after the blob host is never read, and the CA among the registry's works.
fn blob_host_trust(rt: Runtime) {
    let Some(ns) = Netns::new() else { return };
    let Some(lab) = Lab::new(&ns) else { return };
    if !lab.runtime(rt) {
        return;
    }
    let s = lab.scenario(Kind::BlobOtherCa);
    s.set_trust(Trust::BlobHostEntry);
    let what = "blob host's CA in an entry named after the blob host";
    compare(&lab, &s, rt, Some("blob_tls_untrusted"), what);
    s.set_trust(Trust::BothInRegistryEntry);
    let what = "blob host's CA in the registry's entry";
    compare(&lab, &s, rt, None, what);
    s.set_trust(Trust::Insecure);
    let what = "registry insecure, blob host of another CA";
    compare(&lab, &s, rt, None, what);
}

/// dockerd 20.10 (`docker pull`) on every case of the pull path.
#[test]
fn the_pull_path_agrees_with_docker() {
    differential(Runtime::Docker);
}

/// containerd 1.6 (`ctr images pull --hosts-dir`) on every case of the pull path.
#[test]
fn the_pull_path_agrees_with_containerd() {
    differential(Runtime::Containerd);
}

/// skopeo 1.9 copying into containers-storage, as CRI-O pulls, on every case of the pull
/// path.
#[test]
fn the_pull_path_agrees_with_cri_o() {
    differential(Runtime::CriO);
}

/// Every kind with every client, printed (`EXPLORE=docker,containerd,cri-o` picks the
/// clients, `EXPLORE_KIND=BlobDown,BlobLoop` the kinds): for recording docs/runtime-observations.md, not run by default.
#[test]
#[ignore]
fn explore() {
    let Some(ns) = Netns::new() else { return };
    let Some(lab) = Lab::new(&ns) else { return };
    let which = std::env::var("EXPLORE").unwrap_or_default();
    for rt in [Runtime::Docker, Runtime::Containerd, Runtime::CriO] {
        if !which.is_empty() && !which.contains(rt.name()) {
            continue;
        }
        assert!(lab.runtime(rt));
        let kinds = std::env::var("EXPLORE_KIND").unwrap_or_default();
        for kind in Kind::ALL {
            if !kinds.is_empty() && !kinds.contains(&format!("{kind:?}")) {
                continue;
            }
            let s = lab.scenario(kind);
            let r = s.pull(rt);
            eprintln!(
                "OBS | {} | {:?} | {} | {:.2} | {}",
                rt.name(),
                kind,
                if r.ok { "works" } else { "fails" },
                r.elapsed.as_secs_f64(),
                r.error.as_deref().unwrap_or("")
            );
        }
    }
    eprintln!("BLOBLOG\n{}", lab.blob_log());
}

/// dockerd 20.10: which certs.d entry covers a blob host.
#[test]
fn the_blob_host_is_trusted_through_the_registry_s_entry_docker() {
    blob_host_trust(Runtime::Docker);
}

/// containerd 1.6: which hosts.toml covers a blob host.
#[test]
fn the_blob_host_is_trusted_through_the_registry_s_entry_containerd() {
    blob_host_trust(Runtime::Containerd);
}

/// skopeo 1.9 (CRI-O): which containers certs.d entry covers a blob host.
#[test]
fn the_blob_host_is_trusted_through_the_registry_s_entry_cri_o() {
    blob_host_trust(Runtime::CriO);
}
