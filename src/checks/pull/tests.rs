//! Every code of the `pull` check, from pull facts built by hand.

use super::*;
use crate::checks::examples::established as established_tls;
use crate::checks::examples::pki::*;
use crate::checks::examples::*;
use crate::facts::pull::{Platform, PullAuth};
use crate::facts::{Facts, HttpExchange, TlsFacts};

const TARGET: &str = "10.0.0.5:5000/team/app:1.4";
const CONFIG: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const LAYER: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// The registry answers /v2/ over TLS that verifies with --ca.
fn base() -> (Facts, Ca) {
    let root = ca("Registry CA", NOW);
    let reg = leaf(&root, &["10.0.0.5"], NOW);
    let f = with_ca(facts_for(TARGET), root.pem.as_bytes());
    let f = with_chain(f, vec![reg.der.clone()]);
    let f = with_http(f, vec![ex("/v2/", 200, &[API], "{}")]);
    (f, root)
}

fn registry_hop(f: &Facts) -> Hop {
    Hop {
        role: HopRole::Registry,
        target: f.target.clone().unwrap(),
        dns: None,
        tcp: None,
        tls: None,
        error: None,
        via: None,
    }
}

fn blob_hop(chain: Vec<Vec<u8>>, error: Option<&str>) -> Hop {
    let established = error.is_none();
    Hop {
        role: HopRole::BlobStorage,
        target: crate::target::parse("10.0.0.9:443").unwrap(),
        dns: None,
        tcp: None,
        tls: Some(if established {
            established_tls(chain)
        } else {
            TlsFacts {
                outcome: TlsOutcome::Closed {
                    detail: "reset".into(),
                },
                ..established_tls(chain)
            }
        }),
        error: error.map(str::to_string),
        via: None,
    }
}

fn step(kind: StepKind, e: HttpExchange, hop: usize, via: Vec<usize>) -> PullStep {
    PullStep::new(kind, e, hop, via)
}

fn manifest_ok() -> HttpExchange {
    ex(
        "/v2/team/app/manifests/1.4",
        200,
        &[("content-type", crate::facts::pull::media::OCI_MANIFEST)],
        "",
    )
}

fn pull(f: Facts, steps: Vec<PullStep>, hops: Vec<Hop>) -> Facts {
    let mut f = f;
    let mut all = vec![registry_hop(&f)];
    all.extend(hops);
    f.pull = Some(PullFacts {
        image: f.target.as_ref().unwrap().image.clone().unwrap(),
        platform: Platform::parse("linux/amd64").unwrap(),
        platform_source: "this node".into(),
        auth: PullAuth::Anonymous,
        steps,
        hops: all,
        platforms: vec![],
        stopped: None,
    });
    f
}

/// A pull whose config blob is redirected to a blob host presenting `chain`.
fn redirected(chain: Vec<Vec<u8>>) -> Facts {
    let (f, _) = base();
    redirected_on(f, chain)
}

fn redirected_on(f: Facts, chain: Vec<Vec<u8>>) -> Facts {
    let mut config = step(
        StepKind::ConfigBlob,
        ex("/blobs/config", 200, &[], ""),
        1,
        vec![0, 1],
    );
    config.digest = Some(CONFIG.into());
    config.digest_ok = Some(true);
    let layer = step(
        StepKind::LayerBlob,
        ex("/blobs/layer", 206, &[], ""),
        1,
        vec![0, 1],
    );
    pull(
        f,
        vec![
            step(StepKind::Manifest, manifest_ok(), 0, vec![0]),
            config,
            layer,
        ],
        vec![blob_hop(chain, None)],
    )
}

fn codes(f: &Facts) -> Vec<Code> {
    findings_of(&Pull, f).iter().map(|x| x.code).collect()
}

pub fn examples() -> Vec<(Facts, Vec<Code>)> {
    let (f, root) = base();
    let other = ca("Storage CA", NOW);
    let tags = |status: u16, body: &str| {
        step(
            StepKind::Tags,
            ex("/v2/team/app/tags/list", status, &[], body),
            0,
            vec![0],
        )
    };
    let unknown = ex(
        "/v2/team/app/manifests/1.4",
        404,
        &[],
        r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
    );
    let mut index = pull(
        f.clone(),
        vec![step(StepKind::Manifest, manifest_ok(), 0, vec![0])],
        vec![],
    );
    if let Some(p) = index.pull.as_mut() {
        p.platforms = vec!["linux/s390x".into()];
        p.stopped = Some("the index has no manifest for linux/amd64".into());
    }
    let mut tampered = redirected_on(f.clone(), vec![leaf(&root, &["10.0.0.9"], NOW).der]);
    if let Some(p) = tampered.pull.as_mut() {
        p.steps[1].digest_ok = Some(false);
        p.steps[1].digest_seen = Some(LAYER.into());
    }
    let mut looped = redirected_on(f.clone(), vec![leaf(&root, &["10.0.0.9"], NOW).der]);
    if let Some(p) = looped.pull.as_mut() {
        p.steps[1].exchange.status = None;
        p.steps[1].exchange.error = Some("stopped after 10 redirects".into());
    }
    let dead = pull(
        f.clone(),
        vec![
            step(StepKind::Manifest, manifest_ok(), 0, vec![0]),
            step(
                StepKind::ConfigBlob,
                HttpExchange {
                    error: Some("dial tcp 10.0.0.9:443: connect: connection refused".into()),
                    ..HttpExchange::default()
                },
                1,
                vec![0, 1],
            ),
        ],
        vec![{
            let mut h = blob_hop(
                vec![],
                Some("dial tcp 10.0.0.9:443: connect: connection refused"),
            );
            h.tls = None;
            h
        }],
    );
    let mut weird = pull(
        f.clone(),
        vec![step(
            StepKind::Manifest,
            ex(
                "/v2/team/app/manifests/1.4",
                200,
                &[("content-type", "text/html")],
                "<html>",
            ),
            0,
            vec![0],
        )],
        vec![],
    );
    if let Some(p) = weird.pull.as_mut() {
        p.stopped = Some("the manifest's media type is \"text/html\"".into());
    }
    let mut token = pull(f.clone(), vec![], vec![]);
    if let Some(p) = token.pull.as_mut() {
        p.auth = PullAuth::Bearer {
            scope: "repository:team/app:pull".into(),
            token_url: "https://10.0.0.5:5001/auth?scope=repository%3Ateam%2Fapp%3Apull".into(),
            with_credentials: false,
            token: None,
            error: Some("the token service answered 401".into()),
        };
    }
    vec![
        (
            redirected_on(f.clone(), vec![leaf(&root, &["10.0.0.9"], NOW).der]),
            vec![Code::PullOk],
        ),
        (
            pull(
                f.clone(),
                vec![
                    step(StepKind::Manifest, unknown.clone(), 0, vec![0]),
                    tags(
                        404,
                        r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
                    ),
                ],
                vec![],
            ),
            vec![Code::ImageNameUnknown],
        ),
        (
            pull(
                f.clone(),
                vec![
                    step(StepKind::Manifest, unknown, 0, vec![0]),
                    tags(200, r#"{"name":"team/app","tags":["1.3","1.5"]}"#),
                ],
                vec![],
            ),
            vec![Code::ImageTagUnknown],
        ),
        (
            pull(
                f.clone(),
                vec![step(
                    StepKind::Manifest,
                    ex(
                        "/v2/team/app/manifests/1.4",
                        401,
                        &[],
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                    ),
                    0,
                    vec![0],
                )],
                vec![],
            ),
            vec![Code::PullDenied],
        ),
        (token, vec![Code::PullDenied]),
        (weird, vec![Code::ManifestUnsupported]),
        (index, vec![Code::PlatformMissing]),
        (dead, vec![Code::BlobUnreachable]),
        (
            redirected(vec![leaf(&other, &["10.0.0.9"], NOW).der]),
            vec![Code::BlobTlsUntrusted],
        ),
        (
            redirected_on(f.clone(), vec![leaf(&root, &["10.0.0.8"], NOW).der]),
            vec![Code::BlobSanMismatch],
        ),
        (tampered, vec![Code::BlobDigestMismatch]),
        (looped, vec![Code::RedirectLoop]),
        (
            pull(
                f,
                vec![step(
                    StepKind::Manifest,
                    ex("/v2/team/app/manifests/1.4", 500, &[], ""),
                    0,
                    vec![0],
                )],
                vec![],
            ),
            vec![Code::PullFailed],
        ),
    ]
}

#[test]
fn the_blob_host_is_judged_with_the_registry_s_trust() {
    let (f, root) = base();
    // Trusted through --ca (the registry's CA), though the blob host has no CA of its own.
    let ok = redirected_on(f.clone(), vec![leaf(&root, &["10.0.0.9"], NOW).der]);
    assert_eq!(codes(&ok), [Code::PullOk]);
    // Without the CA, the same chain is untrusted; the line is Docker's config-blob line.
    let mut bare = ok.clone();
    bare.ca_file = None;
    let found = findings_of(&Pull, &bare);
    assert_eq!(found[0].code, Code::BlobTlsUntrusted);
    let line = found[0].client_error.clone().unwrap();
    assert!(
        line.contains("error pulling image configuration")
            && line.contains("x509: certificate signed by unknown authority"),
        "{line}"
    );
    assert!(
        found[0].message.contains("https://10.0.0.9"),
        "{}",
        found[0].message
    );
}

#[test]
fn an_unknown_tag_lists_the_tags_and_the_runtime_line_names_the_image() {
    let (f, _) = base();
    let f = pull(
        f,
        vec![
            step(
                StepKind::Manifest,
                ex(
                    "/v2/team/app/manifests/1.4",
                    404,
                    &[],
                    r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                ),
                0,
                vec![0],
            ),
            step(
                StepKind::Tags,
                ex(
                    "/v2/team/app/tags/list",
                    200,
                    &[],
                    r#"{"tags":["1.3","1.5"]}"#,
                ),
                0,
                vec![0],
            ),
        ],
        vec![],
    );
    let found = findings_of(&Pull, &f);
    assert!(
        found[0].message.contains("1.3, 1.5"),
        "{}",
        found[0].message
    );
    assert_eq!(
        found[0].client_error.as_deref(),
        Some(
            "Error response from daemon: manifest for 10.0.0.5:5000/team/app:1.4 not found: manifest unknown: manifest unknown"
        )
    );
}

#[test]
fn without_an_image_the_check_skips_saying_how_to_name_one() {
    let f = with_http(
        with_chain(facts_for("10.0.0.5:5000"), vec![]),
        vec![ex("/v2/", 200, &[API], "{}")],
    );
    match Pull.run(&crate::checks::Basis::new(&f)) {
        Outcome::Skip(why) => assert!(why.contains("10.0.0.5:5000/team/app:1.4"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_pull_scope_reads_as_the_clients_read_it_and_the_realm_is_one_hop() {
    let (f, _) = base();
    let challenge = r#"Bearer realm="https://10.0.0.5:5001/token",service="reg",scope="repository:team/app:pull",error="insufficient_scope""#;
    let denied = ex(
        "/v2/team/app/manifests/1.4",
        401,
        &[("www-authenticate", challenge)],
        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
    );
    let realm = Hop {
        role: HopRole::TokenRealm,
        target: crate::target::parse("https://10.0.0.5:5001").unwrap(),
        dns: None,
        tcp: None,
        tls: None,
        error: None,
        via: None,
    };
    let mut f = pull(
        f,
        vec![step(StepKind::Manifest, denied, 0, vec![0])],
        vec![realm],
    );
    if let Some(p) = f.pull.as_mut() {
        p.auth = PullAuth::Bearer {
            scope: "repository:team/app:pull".into(),
            token_url: "https://10.0.0.5:5001/token?scope=repository%3Ateam%2Fapp%3Apull".into(),
            with_credentials: true,
            token: Some(Box::new(ex("/token", 200, &[], ""))),
            error: None,
        };
    }
    let found = findings_of(&Pull, &f);
    assert_eq!(found[0].code, Code::PullDenied);
    // docker/distribution's client puts the challenge's insufficient_scope first
    // (observed with dockerd 20.10 against docker-registry 2.8).
    assert_eq!(
        found[0].client_error.as_deref(),
        Some(
            "Error response from daemon: pull access denied for 10.0.0.5:5000/team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
        )
    );
    let Some(crate::finding::evidence::Evidence::PullPath(path)) = found[0].evidence.as_deref()
    else {
        panic!("no pull path: {:?}", found[0].evidence)
    };
    let roles: Vec<HopRole> = path.hops.iter().map(|h| h.role).collect();
    assert_eq!(roles, [HopRole::Registry, HopRole::TokenRealm]);
}
