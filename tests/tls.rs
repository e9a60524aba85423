//! TLS diagnosis against real in-process TLS servers (tokio-rustls, rcgen certificates),
//! one per case, through the CLI in-process. Each asserts the exact codes and exit status.

use std::time::Instant;

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

fn tls_server(chain: &[Vec<u8>], key: &[u8]) -> server::Server {
    server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(chain, key)),
    )
}

#[test]
fn valid_chain_with_ip_san_passes() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["evidence"]["tls"]["go_verdict"], "ok");
    assert_eq!(r["evidence"]["http"]["exchanges"][0]["status"], 200);
}

#[test]
fn dns_only_san_dialled_by_ip() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["registry.local"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), vec!["san_ip_missing"]);
    assert_eq!(code, 1);
    let f = finding(&r, "san_ip_missing");
    assert_eq!(
        f["client_error"],
        format!(
            "Get \"https://{}/v2/\": tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
            s.target()
        )
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("DNS:registry.local")
    );
    assert!(
        f["hint"]
            .as_str()
            .unwrap()
            .contains("subjectAltName=IP:127.0.0.1,DNS:registry.local")
    );
}

#[test]
fn cn_only_certificate() {
    let root = ca("Registry CA", now());
    let mut p = params("127.0.0.1", &[], now() - DAY, now() + 365 * DAY);
    p.subject_alt_names.clear();
    let l = leaf_with(&root, p);
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), vec!["cn_only"]);
    assert_eq!(code, 1);
    assert!(
        finding(&r, "cn_only")["client_error"]
            .as_str()
            .unwrap()
            .ends_with("x509: certificate relies on legacy Common Name field, use SANs instead")
    );
}

#[test]
fn expired_leaf() {
    let root = ca("Registry CA", now());
    let l = leaf_with(
        &root,
        params(
            "registry",
            &["127.0.0.1"],
            now() - 400 * DAY,
            now() - 3 * DAY,
        ),
    );
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), vec!["expired"]);
    assert_eq!(code, 1);
    let f = finding(&r, "expired");
    assert!(
        f["message"].as_str().unwrap().contains("3 days ago"),
        "{f:#}"
    );
    let go = r["evidence"]["tls"]["go_verdict"].as_str().unwrap();
    assert!(
        go.contains("x509: certificate has expired or is not yet valid: current time "),
        "{go}"
    );
}

#[test]
fn not_yet_valid_leaf() {
    let root = ca("Registry CA", now());
    let l = leaf_with(
        &root,
        params(
            "registry",
            &["127.0.0.1"],
            now() + 2 * DAY,
            now() + 365 * DAY,
        ),
    );
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), vec!["not_yet_valid"]);
    assert_eq!(code, 1);
    assert!(
        finding(&r, "not_yet_valid")["client_error"]
            .as_str()
            .unwrap()
            .contains(" is before ")
    );
}

#[test]
fn self_signed_ca_leaf_given_as_ca_passes_as_in_go() {
    let dir = tempfile::tempdir().unwrap();
    let l = self_signed_ca_leaf("127.0.0.1", &["127.0.0.1"], now());
    let s = tls_server(std::slice::from_ref(&l.der), &l.key_der);
    let ca_path = write(&dir, "registry.crt", l.pem.as_bytes());
    let (code, r, _) = diagnose(&[&s.target(), "--ca", &ca_path]);
    // Go accepts it (leaf-in-roots); rustls-webpki's CaUsedAsEndEntity is only a warning.
    assert_eq!(codes(&r), vec!["rustls_would_reject"]);
    let path = finding(&r, "rustls_would_reject")["evidence"]["path"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(path.contains("trusted as itself"), "{path}");
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "warn");
    assert_eq!(r["evidence"]["tls"]["go_verdict"], "ok");
}

#[test]
fn self_signed_leaf_without_ca() {
    let l = self_signed_ca_leaf("127.0.0.1", &["127.0.0.1"], now());
    let s = tls_server(std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = diagnose(&[&s.target()]);
    assert_eq!(codes(&r), vec!["unknown_authority"]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "ca-file"), "skip");
    let f = finding(&r, "unknown_authority");
    assert!(f["message"].as_str().unwrap().contains("self-signed"));
    assert!(
        f["client_error"]
            .as_str()
            .unwrap()
            .ends_with("x509: certificate signed by unknown authority")
    );
}

#[test]
fn rsa_1024_leaf_passes_go_with_weak_key_warnings() {
    let s = server::start("127.0.0.1:0", Behaviour::Tls(server::rsa1024_config()));
    let ca_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fixture-ca.crt");
    let (code, r, _) = diagnose(&[&s.target(), "--ca", ca_path]);
    let c = codes(&r);
    assert!(c.contains(&"weak_key".to_string()), "{r:#}");
    assert!(
        c.contains(&"tls_key_possession_unproven".to_string()),
        "{r:#}"
    );
    assert!(
        !c.iter()
            .any(|c| ["unknown_authority", "san_ip_missing", "san_mismatch"].contains(&c.as_str()))
    );
    assert_eq!(status(&r, "ca-chain"), "pass");
    assert_eq!(r["evidence"]["tls"]["go_verdict"], "ok");
    assert_eq!(code, 0);
    assert!(
        finding(&r, "weak_key")["message"]
            .as_str()
            .unwrap()
            .contains("not counted as verified")
    );
}

#[test]
fn wrong_ca_with_same_subject_and_different_key() {
    let root = ca("Registry CA", now());
    let imposter = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let s = scenario(&imposter.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), vec!["wrong_ca"]);
    assert_eq!(code, 1);
    assert!(finding(&r, "wrong_ca")["client_error"].as_str().unwrap().ends_with(
        "x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"Registry CA\")"
    ));
}

#[test]
fn intermediate_not_sent() {
    let root = ca("Registry Root", now());
    let inter = intermediate(&root, "Registry Intermediate", now());
    let l = leaf(&inter, &["127.0.0.1"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), vec!["missing_intermediate"]);
    assert_eq!(code, 1);
    let f = finding(&r, "missing_intermediate");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("CN=Registry Intermediate")
    );
    assert!(f["hint"].as_str().unwrap().contains("fullchain.crt"));
}

#[test]
fn intermediate_sent_passes() {
    let root = ca("Registry Root", now());
    let inter = intermediate(&root, "Registry Intermediate", now());
    let l = leaf(&inter, &["127.0.0.1"], now());
    let s = scenario(&root.pem, &[l.der.clone(), inter.der.clone()], &l.key_der);
    let (code, r, _) = s.run();
    assert_eq!(codes(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
    assert_eq!(r["evidence"]["tls"]["chain"].as_array().unwrap().len(), 2);
}

#[test]
fn plaintext_http_server() {
    let s = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    let (code, r, _) = diagnose(&[&s.target()]);
    assert_eq!(codes(&r), vec!["plain_http"]);
    assert_eq!(code, 1);
    let f = finding(&r, "plain_http");
    assert_eq!(
        f["client_error"],
        format!(
            "Get \"https://{}/v2/\": http: server gave HTTP response to HTTPS client",
            s.target()
        )
    );
    // Confirmed with a real plain GET /v2/.
    assert_eq!(f["evidence"]["plain_get_v2_status"], 200);
    assert_eq!(r["evidence"]["http"]["scheme"], "http");
}

#[test]
fn server_that_never_answers_times_out_within_the_deadline() {
    let s = server::start("127.0.0.1:0", Behaviour::Stall);
    let start = Instant::now();
    let (code, r, _) = diagnose(&[&s.target(), "--timeout", "1"]);
    let took = start.elapsed();
    assert_eq!(codes(&r), vec!["tls_handshake_timeout"]);
    assert_eq!(code, 1);
    // The deadline plus a generous margin: this only guards against a hang.
    assert!(took.as_secs() < 10, "took {took:?}");
}

#[test]
fn ssh_banner_is_not_tls() {
    let s = server::start("127.0.0.1:0", Behaviour::Ssh);
    let (code, r, _) = diagnose(&[&s.target()]);
    assert_eq!(codes(&r), vec!["not_tls"]);
    assert_eq!(code, 1);
    assert!(
        finding(&r, "not_tls")["message"]
            .as_str()
            .unwrap()
            .contains("SSH-2.0-OpenSSH")
    );
}

#[test]
fn closed_port_is_refused() {
    let addr = server::closed_port();
    let (code, r, _) = diagnose(&[&addr.to_string()]);
    assert_eq!(codes(&r), vec!["tcp_refused"]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls-handshake"), "skip");
}

fn mtls_case(tls12_only: bool) {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let client_ca = ca("Client CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let cfg = server::mtls_config(
        std::slice::from_ref(&l.der),
        &l.key_der,
        &client_ca.der,
        tls12_only,
    );
    let s = server::start("127.0.0.1:0", Behaviour::Tls(cfg));
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let (code, r, _) = diagnose(&[&s.target(), "--ca", &ca_path]);
    assert_eq!(codes(&r), vec!["tls_client_cert_required"], "{r:#}");
    assert_eq!(code, 1);
    let f = finding(&r, "tls_client_cert_required");
    assert!(
        f["message"].as_str().unwrap().contains("asked for one"),
        "{f:#}"
    );
    // What if the runtime were given a client certificate the registry trusts: it is
    // presented, and the pull would work.
    let mut p = params("puller", &[], now() - DAY, now() + 365 * DAY);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client = leaf_with(&client_ca, p);
    let cert = write(&dir, "client.cert", client.pem.as_bytes());
    let key = write(&dir, "client.key", client.key_pem.as_bytes());
    let (code, r, _) = diagnose(&[
        &s.target(),
        "--ca",
        &ca_path,
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    assert_eq!(codes(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
    assert_eq!(runtimes_entry(&r, "any")["client_certificate"], cert);
    // One the registry does not trust is refused.
    let stranger = leaf_with(
        &ca("Stranger CA", now()),
        params("x", &[], now() - DAY, now() + DAY),
    );
    let cert = write(&dir, "stranger.cert", stranger.pem.as_bytes());
    let key = write(&dir, "stranger.key", stranger.key_pem.as_bytes());
    let (code, r, _) = diagnose(&[
        &s.target(),
        "--ca",
        &ca_path,
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    assert_eq!(codes(&r), vec!["tls_client_cert_required"], "{r:#}");
    assert_eq!(code, 1);
}

/// nginx with `ssl_verify_client on` completes the handshake without a client certificate
/// and answers `400 No required SSL certificate was sent`: still a client certificate
/// requirement, which the real Go client (skopeo) fails on too.
#[test]
fn nginx_requiring_a_client_certificate_is_tls_client_cert_required() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let client_ca = ca("Client CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let client_ca_path = write(&dir, "client-ca.pem", client_ca.pem.as_bytes());
    let Some(n) = crate::common::nginx::start(
        &l.pem,
        &l.key_pem,
        &format!("ssl_client_certificate {client_ca_path};\n    ssl_verify_client on;"),
    ) else {
        return;
    };
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let (code, r, _) = diagnose(&[&n.target, "--ca", &ca_path]);
    assert_eq!(codes(&r), vec!["tls_client_cert_required"], "{r:#}");
    assert_eq!(code, 1);
    let f = finding(&r, "tls_client_cert_required");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("No required SSL certificate was sent"),
        "{f:#}"
    );
    // The real Go client fails too.
    let Some(real) =
        crate::common::runtimes::skopeo_inspect_loopback(&format!("{}/x:y", n.target), dir.path())
    else {
        return;
    };
    assert!(!real.ok, "{}", real.output);
    eprintln!(
        "OBSERVED | skopeo | nginx ssl_verify_client on | {}",
        real.message()
    );
    // With a client certificate from that CA, the pull would work.
    let mut p = params("puller", &[], now() - DAY, now() + 365 * DAY);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client = leaf_with(&client_ca, p);
    let cert = write(&dir, "client.cert", client.pem.as_bytes());
    let key = write(&dir, "client.key", client.key_pem.as_bytes());
    let (code, r, _) = diagnose(&[&n.target, "--ca", &ca_path, "--cert", &cert, "--key", &key]);
    assert_eq!(codes(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
    let real =
        crate::common::runtimes::skopeo_inspect_loopback(&format!("{}/x:y", n.target), dir.path())
            .unwrap();
    // skopeo reads client.cert + client.key from the same --cert-dir and gets past TLS
    // (nginx then answers the manifest request as a registry would not: it is not one).
    assert!(
        !real.message().contains("No required SSL certificate"),
        "{}",
        real.output
    );
}

#[test]
fn client_certificate_required_tls13_alert_after_handshake() {
    mtls_case(false);
}

#[test]
fn client_certificate_required_tls12() {
    mtls_case(true);
}

#[test]
fn ipv6_loopback_target_passes() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["::1"], now());
    let s = server::start(
        "[::1]:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let (code, r, _) = diagnose(&[&format!("[::1]:{}", s.addr.port()), "--ca", &ca_path]);
    assert_eq!(codes(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
    assert_eq!(r["target"]["host"], "::1");
}

#[test]
fn ca_file_holding_a_key_empty_or_garbage_is_a_finding_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let s = tls_server(std::slice::from_ref(&l.der), &l.key_der);
    for (name, bytes, code) in [
        ("key.pem", l.key_pem.as_bytes().to_vec(), "ca_private_key"),
        ("empty.pem", vec![], "ca_empty"),
        (
            "garbage.pem",
            b"\x00\x01garbage\xff not pem".to_vec(),
            "ca_not_certificate",
        ),
    ] {
        let path = write(&dir, name, &bytes);
        let (exit, r, err) = diagnose(&[&s.target(), "--ca", &path]);
        assert_eq!(exit, 1, "{name}: {err}");
        let c = codes(&r);
        assert_eq!(c[0], code, "{name}: {c:?}");
        // With no usable CA, the chain cannot verify either.
        assert!(
            c.contains(&"unknown_authority".to_string()),
            "{name}: {c:?}"
        );
    }
}

#[test]
fn dns_name_target_resolves_and_matches_dns_sans() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let good = leaf(&root, &["localhost"], now());
    let s = tls_server(std::slice::from_ref(&good.der), &good.key_der);
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let target = format!("localhost:{}", s.addr.port());
    let (_, r, _) = diagnose(&[&target, "--ca", &ca_path]);
    assert_eq!(status(&r, "san-matches-host"), "pass", "{r:#}");
    assert_eq!(status(&r, "ca-chain"), "pass");
    assert!(
        r["evidence"]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "127.0.0.1")
    );

    let wrong = leaf(&root, &["registry.local"], now());
    let s = tls_server(std::slice::from_ref(&wrong.der), &wrong.key_der);
    let target = format!("localhost:{}", s.addr.port());
    let (_, r, _) = diagnose(&[&target, "--ca", &ca_path]);
    let f = finding(&r, "san_mismatch");
    assert!(
        f["client_error"]
            .as_str()
            .unwrap()
            .ends_with("x509: certificate is valid for registry.local, not localhost"),
        "{f:#}"
    );
}

/// A fatal TLS alert record: level 2, the given description.
const fn alert(description: u8) -> [u8; 7] {
    [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, description]
}
const PROTOCOL_VERSION: [u8; 7] = alert(70);
const HANDSHAKE_FAILURE: [u8; 7] = alert(40);

#[test]
fn server_that_only_speaks_old_tls_answers_protocol_version() {
    let s = server::start("127.0.0.1:0", Behaviour::Raw(&PROTOCOL_VERSION));
    let (code, r, _) = diagnose(&[&s.target()]);
    assert_eq!(codes(&r), vec!["tls_protocol_too_old"], "{r:#}");
    assert_eq!(code, 1);
}

#[test]
fn handshake_failure_alert_is_named() {
    let s = server::start("127.0.0.1:0", Behaviour::Raw(&HANDSHAKE_FAILURE));
    let (_, r, _) = diagnose(&[&s.target()]);
    assert_eq!(codes(&r), vec!["tls_alert"], "{r:#}");
    assert!(
        finding(&r, "tls_alert")["client_error"]
            .as_str()
            .unwrap()
            .ends_with("remote error: tls: handshake failure")
    );
}

#[test]
fn server_that_closes_at_once_is_tls_failed() {
    let s = server::start("127.0.0.1:0", Behaviour::Raw(b""));
    let (_, r, _) = diagnose(&[&s.target()]);
    assert_eq!(codes(&r), vec!["tls_failed"], "{r:#}");
    assert!(
        finding(&r, "tls_failed")["client_error"]
            .as_str()
            .unwrap()
            .ends_with("\": EOF")
    );
}

fn static_server(response: &'static str) -> (server::Server, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Web CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let cfg = server::tls_config(std::slice::from_ref(&l.der), &l.key_der);
    let s = server::start("127.0.0.1:0", Behaviour::TlsStatic(cfg, response));
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    (s, dir, ca_path)
}

#[test]
fn a_web_server_on_the_port_is_not_a_registry() {
    let (s, _d, ca) = static_server(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found",
    );
    let (code, r, _) = diagnose(&[&s.target(), "--ca", &ca]);
    assert_eq!(codes(&r), vec!["not_a_registry"], "{r:#}");
    assert_eq!(status(&r, "catalog"), "skip");
    assert_eq!(code, 1);
}

#[test]
fn a_redirect_is_reported_not_followed() {
    let (s, _d, ca) = static_server(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/v2/\r\nContent-Length: 0\r\n\r\n",
    );
    let (_, r, _) = diagnose(&[&s.target(), "--ca", &ca]);
    let f = finding(&r, "http_redirect");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("https://elsewhere.example/v2/"),
        "{f:#}"
    );
    // Only the two requests regdoctor makes itself: the redirect was not followed.
    assert_eq!(
        r["evidence"]["http"]["exchanges"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn a_v2_redirect_loop_stops_after_ten_as_go_does() {
    let (s, d, ca) = static_server(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: /v2/\r\nContent-Length: 0\r\n\r\n",
    );
    let (code, r, _) = diagnose(&[&s.target(), "--ca", &ca]);
    assert_eq!(codes(&r), vec!["v2_redirect_loop"], "{r:#}");
    assert_eq!(code, 1);
    let line = runtimes_entry(&r, "any")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(line.ends_with(": stopped after 10 redirects"), "{line}");
    // The real Go client (skopeo 1.9, go1.19) says the same.
    let Some(real) =
        crate::common::runtimes::skopeo_inspect_loopback(&format!("{}/x:y", s.target()), d.path())
    else {
        return;
    };
    assert!(!real.ok);
    let cause = line.rsplit_once("/v2/\": ").unwrap().1;
    assert!(
        real.message().contains(&format!("/v2/\": {cause}")),
        "skopeo printed {}",
        real.message()
    );
}

#[test]
fn a_failing_registry_shows_its_error_code() {
    let (s, _d, ca) = static_server(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: 67\r\n\r\n{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"service unavailable\"}]}",
    );
    let (_, r, _) = diagnose(&[&s.target(), "--ca", &ca]);
    let f = finding(&r, "http_error");
    assert_eq!(f["client_error"], "unavailable: service unavailable");
}

/// A catalog over regdoctor's 1 MiB cap and a proxy's HTML page (with an escape sequence)
/// answering for the catalog, from a real TLS server: said with their sizes (and the page's
/// start, escaped), never "lists no repositories"; the report stays small.
#[test]
fn a_cut_or_foreign_catalog_is_said_as_such() {
    let big: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"repositories\":[{}\"z\"]}}",
            2 * 1024 * 1024 + 20,
            "\"r\",".repeat((2 * 1024 * 1024 - 4) / 4)
        )
        .into_boxed_str(),
    );
    let page = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 27\r\n\r\n<html>\x1b[2JSign in</html>\n\n\n";
    for (response, code, says) in [
        (big, "catalog_listed", "cut after 1048576 bytes"),
        (
            page,
            "catalog_error",
            "text/html body is not the expected JSON",
        ),
    ] {
        let root = ca("Registry CA", now());
        let l = leaf(&root, &["127.0.0.1"], now());
        let cfg = server::tls_config(std::slice::from_ref(&l.der), &l.key_der);
        let s = server::start("127.0.0.1:0", Behaviour::TlsCatalog(cfg, response));
        let dir = tempfile::tempdir().unwrap();
        let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
        let (_, r, _) = diagnose(&[&s.target(), "--ca", &ca_path]);
        let m = finding(&r, code)["message"].as_str().unwrap().to_string();
        assert!(m.contains(says), "{m}");
        assert!(!m.contains("no repositories"), "{m}");
        let human = assert_cmd::Command::cargo_bin("regdoctor")
            .unwrap()
            .args([
                &s.target(),
                "--ca",
                &ca_path,
                "--color",
                "never",
                "--no-node-defaults",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&human.stdout);
        assert!(text.len() < 64 * 1024, "{} bytes", text.len());
        assert!(!text.contains('\x1b'), "{text}");
    }
}

/// An HTTP/2 server that answers 200 and then floods every stream with DATA, ignoring the
/// RST_STREAM regdoctor sends when it abandons the body at its 1 MiB cap (but staying in
/// the connection window, which h2 keeps granting for a reset stream): each connection is
/// closed after its 32 MiB budget, so what the server can push is bounded, not "as much
/// as it can until the deadline".
#[test]
fn an_http2_flood_on_abandoned_streams_is_cut_off() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let cfg = std::sync::Arc::unwrap_or_clone(server::tls_config(
        std::slice::from_ref(&l.der),
        &l.key_der,
    ));
    let flood = crate::common::h2flood::start(cfg);
    let dir = tempfile::tempdir().unwrap();
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let started = std::time::Instant::now();
    let (_, r, _) = diagnose(&[&flood.server.target(), "--ca", &ca_path, "--timeout", "5"]);
    let cut = finding(&r, "catalog_error")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(cut.contains("more than 32 MiB on one connection"), "{cut}");
    let took = started.elapsed();
    let sent = flood
        .counters
        .sent
        .load(std::sync::atomic::Ordering::Relaxed);
    let resets = flood
        .counters
        .resets
        .load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "OBSERVED | h2 flood | server sent {} MiB in {took:?}; {resets} RST_STREAM received",
        sent >> 20
    );
    // The stream abandoned at the 1 MiB cap was reset, not left open.
    assert!(resets >= 1, "no RST_STREAM from regdoctor");
    assert_eq!(r["evidence"]["tls"]["alpn"], "h2", "{r:#}");
    // Each connection is cut at its 32 MiB budget; what the server "sent" also counts what
    // sat unread in the two loopback socket buffers when it was closed (a few MiB).
    let conns = flood
        .counters
        .connections
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        sent <= conns * (40 << 20),
        "the server pushed {} MiB over {conns} connections",
        sent >> 20
    );
    assert!(took < std::time::Duration::from_secs(9), "{took:?}");
}
