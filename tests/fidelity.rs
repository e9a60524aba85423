//! Go fidelity, proven against real Go clients: for each crafted chain an in-process TLS
//! server on 127.0.0.1 presents it; a Go program (crypto/tls, built once per run with
//! the installed `go`) and skopeo (containers/image) dial it; regdoctor must fail
//! exactly when they fail, with their x509 error in its line.
//!
//! Without `go` and skopeo the tests say SKIPPED loudly; under `CI` they fail instead.

use crate::common::craft::*;
use crate::common::goclient::*;
use crate::common::pki::*;
use crate::common::server::Server;
use crate::common::*;

/// What regdoctor must say: the pull works, or fails with this root cause (or with
/// Go's line whatever the root cause, see each use).
enum Expect {
    Works,
    Fails(&'static str),
}

/// Dials `server` with the real Go clients and regdoctor (trusting `ca_pem`), prints
/// what each said, and asserts that they agree: regdoctor's verdict for `any` fails
/// exactly when the Go clients fail, its root cause is the expected one, and its line
/// and Go verdict contain the Go clients' `x509: ...` (or `tls: failed to parse ...`)
/// error. Returns the Go clients' outcomes.
fn agree(case: &str, server: &Server, ca_pem: &str, expect: Expect) -> Vec<GoOutcome> {
    let dir = tempfile::tempdir().unwrap();
    let ca = write(&dir, "ca.crt", ca_pem.as_bytes());
    let target = server.target();
    let clients = real_go_clients(&target, &ca);
    let (_, report, stderr) = diagnose(&[&target, "--ca", &ca]);
    assert!(
        !report.is_null(),
        "{case}: regdoctor printed no report: {stderr}"
    );
    let any = runtimes_entry(&report, "any");
    for c in &clients {
        eprintln!("OBSERVED | {case} | {} | {}", c.client, c.line);
    }
    eprintln!(
        "REGDOCTOR | {case} | {} {} | {}",
        any["verdict"], any["cause"], any["error"]
    );
    let verdict = any["verdict"].as_str().unwrap_or_default();
    let regdoctor_ok = matches!(verdict, "pass" | "warn");
    for c in &clients {
        assert_eq!(
            c.ok,
            regdoctor_ok,
            "{case}: {} {} but regdoctor says {verdict}: {any:#}",
            c.client,
            if c.ok { "connected" } else { "failed" }
        );
        if !c.ok {
            let go_text = c.x509_part();
            let line = any["error"].as_str().unwrap_or_default();
            assert!(
                line.contains(&go_text),
                "{case}: {} printed\n  {}\nregdoctor's line is\n  {line}",
                c.client,
                c.line
            );
            let go_verdict = report["evidence"]["tls"]["go_verdict"]
                .as_str()
                .unwrap_or_default();
            assert!(
                go_verdict.contains(&go_text),
                "{case}: Go verdict {go_verdict:?} lacks {go_text:?}"
            );
        }
    }
    match expect {
        Expect::Works => assert!(regdoctor_ok, "{case}: expected a working pull: {any:#}"),
        Expect::Fails(code) => {
            assert_eq!(any["cause"], code, "{case}: root cause: {any:#}");
            assert!(
                codes(&report).iter().any(|c| c == code),
                "{case}: no {code} finding: {:?}",
                codes(&report)
            );
        }
    }
    clients
}

/// A certificate parameter set with an extension of `content`, critical or not.
fn with_extension(
    mut p: rcgen::CertificateParams,
    oid: &[u64],
    content: Vec<u8>,
    critical: bool,
) -> rcgen::CertificateParams {
    let mut e = rcgen::CustomExtension::from_oid_content(oid, content);
    e.set_criticality(critical);
    p.custom_extensions.push(e);
    p
}

/// A private-enterprise OID no Go version knows.
const PRIVATE_OID: [u64; 8] = [1, 3, 6, 1, 4, 1, 55555, 1];

fn leaf_params(now: i64) -> rcgen::CertificateParams {
    params("registry", &["127.0.0.1"], now - DAY, now + 365 * DAY)
}

/// An intermediate CA signed by `parent` from explicit parameters (CA:TRUE is set).
fn intermediate_with(parent: &Ca, mut p: rcgen::CertificateParams) -> Ca {
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: rcgen::Issuer::new(p, key),
    }
}

fn all_say(clients: &[GoOutcome], text: &str) {
    for c in clients {
        assert!(
            c.line.contains(text),
            "{}: expected {text:?}, got {:?}",
            c.client,
            c.line
        );
    }
}

#[test]
fn unknown_critical_extension_on_the_leaf() {
    let now = now();
    let root = ca("Registry CA", now);
    let l = leaf_with(
        &root,
        with_extension(leaf_params(now), &PRIVATE_OID, vec![5, 0], true),
    );
    let s = raw_server(std::slice::from_ref(&l.der), &l.key_der);
    let clients = agree(
        "leaf with a critical private extension",
        &s,
        &root.pem,
        Expect::Fails("unhandled_critical_extension"),
    );
    all_say(&clients, "x509: unhandled critical extension");
}

#[test]
fn the_same_extension_not_critical_is_fine() {
    let now = now();
    let root = ca("Registry CA", now);
    let l = leaf_with(
        &root,
        with_extension(leaf_params(now), &PRIVATE_OID, vec![5, 0], false),
    );
    let s = raw_server(std::slice::from_ref(&l.der), &l.key_der);
    agree(
        "leaf with a non-critical private extension",
        &s,
        &root.pem,
        Expect::Works,
    );
}

#[test]
fn unhandled_critical_extension_comes_before_the_leaf_s_dates() {
    let now = now();
    let root = ca("Registry CA", now);
    let p = params("registry", &["127.0.0.1"], now - 30 * DAY, now - DAY);
    let l = leaf_with(&root, with_extension(p, &PRIVATE_OID, vec![5, 0], true));
    let s = raw_server(std::slice::from_ref(&l.der), &l.key_der);
    // Go checks the extension before the dates: so is the root cause regdoctor names.
    let clients = agree(
        "expired leaf with a critical private extension",
        &s,
        &root.pem,
        Expect::Fails("unhandled_critical_extension"),
    );
    all_say(&clients, "x509: unhandled critical extension");
}

#[test]
fn critical_san_with_no_name_go_understands() {
    let now = now();
    let root = ca("Registry CA", now);
    // subjectAltName holding only a registeredID [8]: Go parses no name from it.
    let san = vec![0x30, 0x04, 0x88, 0x02, 0x2a, 0x03];
    let mut p = leaf_params(now);
    p.subject_alt_names.clear();
    let l = leaf_with(&root, with_extension(p, &[2, 5, 29, 17], san, true));
    let s = raw_server(std::slice::from_ref(&l.der), &l.key_der);
    // Go checks the extension before the host name: so is the root cause regdoctor names.
    let clients = agree(
        "leaf whose critical SAN has only a registeredID",
        &s,
        &root.pem,
        Expect::Fails("unhandled_critical_extension"),
    );
    all_say(&clients, "x509: unhandled critical extension");
}

#[test]
fn unknown_critical_extension_on_the_intermediate() {
    let now = now();
    let root = ca("Registry CA", now);
    let p = params("Registry Intermediate", &[], now - DAY, now + 3650 * DAY);
    let inter = intermediate_with(&root, with_extension(p, &PRIVATE_OID, vec![5, 0], true));
    let l = leaf(&inter, &["127.0.0.1"], now);
    let s = raw_server(&[l.der.clone(), inter.der.clone()], &l.key_der);
    let clients = agree(
        "intermediate with a critical private extension",
        &s,
        &root.pem,
        Expect::Fails("unhandled_critical_extension"),
    );
    all_say(&clients, "x509: unhandled critical extension");
}

#[test]
fn extra_certificate_with_a_point_off_its_curve() {
    let now = now();
    let root = ca("Registry CA", now);
    let l = leaf(&root, &["127.0.0.1"], now);
    let extra = with_point_off_curve(&intermediate(&root, "Extra CA", now).der);
    let s = raw_server(&[l.der.clone(), extra], &l.key_der);
    let clients = agree(
        "extra certificate whose EC point is off the curve",
        &s,
        &root.pem,
        Expect::Fails("cert_unparseable"),
    );
    all_say(
        &clients,
        "tls: failed to parse certificate from server: x509: failed to unmarshal elliptic curve point",
    );
}

#[test]
fn extra_ca_with_malformed_name_constraints() {
    let now = now();
    let root = ca("Registry CA", now);
    let l = leaf(&root, &["127.0.0.1"], now);
    for (what, subtree, go) in [
        (
            "a dnsName constraint with an empty label",
            rcgen::GeneralSubtree::DnsName("bad..name".into()),
            "x509: failed to parse dnsName constraint \"bad..name\"",
        ),
        (
            "an IP constraint whose mask is not a prefix",
            rcgen::GeneralSubtree::IpAddress(rcgen::CidrSubnet::V4(
                [10, 0, 0, 0],
                [255, 0, 255, 0],
            )),
            "x509: IP constraint contained invalid mask ff00ff00",
        ),
    ] {
        let mut p = params("Constrained CA", &[], now - DAY, now + 3650 * DAY);
        p.name_constraints = Some(rcgen::NameConstraints {
            permitted_subtrees: vec![subtree],
            excluded_subtrees: vec![],
        });
        let extra = intermediate_with(&root, p);
        let s = raw_server(&[l.der.clone(), extra.der], &l.key_der);
        let clients = agree(
            &format!("extra CA with {what}"),
            &s,
            &root.pem,
            Expect::Fails("cert_unparseable"),
        );
        all_say(
            &clients,
            &format!("tls: failed to parse certificate from server: {go}"),
        );
    }
}

#[test]
fn leaf_with_a_malformed_utctime() {
    let now = now();
    let root = ca("Registry CA", now);
    let l = leaf(&root, &["127.0.0.1"], now);
    let (_, t) = first_utctime(&l.der);
    // Month 13: the signature no longer matches either, but Go never gets that far.
    let bad = with_not_before_text(&l.der, &format!("{}13{}", &t[..2], &t[4..]));
    let s = raw_server(&[bad], &l.key_der);
    let clients = agree(
        "leaf whose notBefore has month 13",
        &s,
        &root.pem,
        Expect::Fails("cert_unparseable"),
    );
    all_say(
        &clients,
        "tls: failed to parse certificate from server: x509: malformed UTCTime",
    );
}

/// The leaf, signed by "Registry Intermediate", and 120 other CAs with that name.
struct SameSubject {
    root: Ca,
    inter: Ca,
    leaf: Leaf,
    others: Vec<Vec<u8>>,
}

fn same_subject(now: i64) -> SameSubject {
    let root = ca("Registry CA", now);
    let inter = intermediate(&root, "Registry Intermediate", now);
    let leaf = leaf(&inter, &["127.0.0.1"], now);
    let others = (0..120)
        .map(|_| ca("Registry Intermediate", now).der)
        .collect();
    SameSubject {
        root,
        inter,
        leaf,
        others,
    }
}

#[test]
fn many_copies_of_a_wrong_ca_with_the_issuer_s_name() {
    let now = now();
    let k = same_subject(now);
    // 120 copies of one wrong CA: Go's pool holds it once, one failed signature check.
    let chain = [vec![k.leaf.der.clone()], vec![k.others[0].clone(); 120]].concat();
    let s = raw_server(&chain, &k.leaf.key_der);
    let clients = agree(
        "120 copies of a CA with the issuer's name but another key",
        &s,
        &k.root.pem,
        Expect::Fails("missing_intermediate"),
    );
    all_say(
        &clients,
        "x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"Registry Intermediate\")",
    );
    // The same copies and then the real intermediate: Go finds it.
    let chain = [chain, vec![k.inter.der.clone()]].concat();
    let s = raw_server(&chain, &k.leaf.key_der);
    agree(
        "120 copies of a wrong CA, then the real intermediate",
        &s,
        &k.root.pem,
        Expect::Works,
    );
}

#[test]
fn many_different_cas_with_the_issuer_s_name() {
    let now = now();
    let k = same_subject(now);
    // 120 different CAs with that name before the real one: Go gives up after 100
    // signature checks.
    let chain = [
        vec![k.leaf.der.clone()],
        k.others.clone(),
        vec![k.inter.der.clone()],
    ]
    .concat();
    let s = raw_server(&chain, &k.leaf.key_der);
    let clients = agree(
        "120 different CAs with the issuer's name, then the real intermediate",
        &s,
        &k.root.pem,
        Expect::Fails("unknown_authority"),
    );
    all_say(
        &clients,
        "x509: signature check attempts limit reached while verifying certificate chain",
    );
    // 50 of them and then the real one: within the limit.
    let chain = [
        vec![k.leaf.der.clone()],
        k.others[..50].to_vec(),
        vec![k.inter.der.clone()],
    ]
    .concat();
    let s = raw_server(&chain, &k.leaf.key_der);
    agree(
        "50 different CAs with the issuer's name, then the real intermediate",
        &s,
        &k.root.pem,
        Expect::Works,
    );
}

/// A signer with these basic constraints and key usages, signed by `root` or, when
/// `root` is None, self-signed (to be trusted as a root).
fn signer(root: Option<&Ca>, is_ca: rcgen::IsCa, kus: Vec<rcgen::KeyUsagePurpose>, now: i64) -> Ca {
    let mut p = params("Signer", &[], now - DAY, now + 3650 * DAY);
    p.is_ca = is_ca;
    p.key_usages = kus;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = match root {
        Some(r) => p.signed_by(&key, &r.issuer).unwrap(),
        None => p.self_signed(&key).unwrap(),
    };
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: rcgen::Issuer::new(p, key),
    }
}

#[test]
fn a_signer_that_may_not_sign_certificates() {
    let now = now();
    let root = ca("Registry CA", now);
    let go = "x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\" while trying to verify candidate authority certificate \"Signer\")";
    for (what, is_ca, kus) in [
        (
            "an intermediate with CA:FALSE",
            rcgen::IsCa::ExplicitNoCa,
            vec![],
        ),
        (
            "an intermediate without basicConstraints",
            rcgen::IsCa::NoCa,
            vec![],
        ),
        (
            "a CA intermediate whose keyUsage lacks keyCertSign",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
            vec![rcgen::KeyUsagePurpose::DigitalSignature],
        ),
    ] {
        let inter = signer(Some(&root), is_ca, kus, now);
        let l = leaf(&inter, &["127.0.0.1"], now);
        let s = raw_server(&[l.der.clone(), inter.der.clone()], &l.key_der);
        let clients = agree(what, &s, &root.pem, Expect::Fails("not_a_ca"));
        all_say(&clients, go);
    }
    // A trusted "root" made without CA:TRUE: Go checks roots the same way.
    let fake_root = signer(None, rcgen::IsCa::NoCa, vec![], now);
    let l = leaf(&fake_root, &["127.0.0.1"], now);
    let s = raw_server(std::slice::from_ref(&l.der), &l.key_der);
    let clients = agree(
        "a trusted root without basicConstraints",
        &s,
        &fake_root.pem,
        Expect::Fails("not_a_ca"),
    );
    all_say(&clients, go);
}

/// Go's system roots are the bundle **and every file of /etc/ssl/certs** (not a same-dir
/// symlink): a CA copied there without `update-ca-certificates` is trusted by Go, though
/// absent from ca-certificates.crt. The real Go client (system roots from SSL_CERT_FILE and
/// SSL_CERT_DIR pointing into a node root) and regdoctor (--host-root) must agree, with the
/// CA there and without it.
#[test]
fn a_ca_in_the_system_directory_but_not_the_bundle_is_trusted_as_by_go() {
    let registry_ca = ca("Registry CA", now());
    let other = ca("Some Public CA", now());
    let l = leaf(&registry_ca, &["127.0.0.1"], now());
    let server = crate::common::server::start(
        "127.0.0.1:0",
        crate::common::server::Behaviour::Tls(crate::common::server::tls_config(
            std::slice::from_ref(&l.der),
            &l.key_der,
        )),
    );
    let root = tempfile::tempdir().unwrap();
    let certs = root.path().join("etc/ssl/certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca-certificates.crt"), &other.pem).unwrap();
    let bundle = certs.join("ca-certificates.crt").display().to_string();
    let dir = certs.display().to_string();
    let judge = || {
        let argv = vec![
            "regdoctor".to_string(),
            server.target(),
            "--host-root".into(),
            root.path().display().to_string(),
            "--format".into(),
            "json".into(),
        ];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        regdoctor::cli::run_full(argv, &mut &b""[..], &mut out, &mut err, false);
        serde_json::from_slice::<serde_json::Value>(&out).expect("regdoctor printed no JSON")
    };
    for (case, with_file) in [("bundle only", false), ("CA file beside the bundle", true)] {
        if with_file {
            std::fs::write(certs.join("registry-ca.pem"), &registry_ca.pem).unwrap();
            // A same-directory symlink, as c_rehash makes: Go skips it (no duplicate).
            std::os::unix::fs::symlink("registry-ca.pem", certs.join("0a1b2c3d.0")).unwrap();
        }
        let Some(go) = go_dial_env(
            &server.target(),
            "system",
            &[("SSL_CERT_FILE", &bundle), ("SSL_CERT_DIR", &dir)],
        ) else {
            return;
        };
        eprintln!(
            "OBSERVED | {} | system roots, {case} | {}",
            go.client, go.line
        );
        let r = judge();
        let chain = status(&r, "ca-chain");
        assert_eq!(go.ok, with_file, "{case}: {}", go.line);
        assert_eq!(
            chain == "pass",
            go.ok,
            "{case}: Go said {}, regdoctor: {r:#}",
            go.line
        );
        if !go.ok {
            assert!(
                finding(&r, "unknown_authority")["client_error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&go.x509_part()),
                "{r:#}"
            );
        }
    }
}
