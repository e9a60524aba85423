//! skopeo 1.9 (containers/image, as CRI-O): `skopeo copy` with private /etc/containers,
//! /etc/docker and HOME.

use super::*;
use crate::common::runtimes::Skopeo;

fn skopeo_error(image: &str, cause: &str) -> String {
    format!("initializing source docker://{image}: {cause}")
}

fn skopeo_ping(image: &str, target: &str, cause: &str) -> String {
    skopeo_error(
        image,
        &format!("pinging container registry {target}: Get \"https://{target}/v2/\": {cause}"),
    )
}

#[test]
fn trusts_the_first_certs_d_that_exists() {
    let Some(ns) = Netns::new() else { return };
    let Some(s) = Skopeo::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(reg) = tls_registry(&ns, &certs.good()) else {
        return;
    };
    let (t, img) = (reg.target(), reg.image.clone());
    let [home, containers, docker] = s.certs_d_roots();
    let judge = || regdoctor(&ns, &s.node_args(), &t, &[]);
    let unknown = skopeo_ping(&img, &t, UNKNOWN_AUTHORITY);

    let r = s.pull(&img, &[]);
    r.expect("skopeo", "no CA anywhere", false, Some(&unknown));
    assert_agrees_line(
        &judge(),
        "cri-o",
        r.ok,
        Some("unknown_authority"),
        &r.message(),
    );

    put(&containers.join(&t), "ca.crt", &certs.ca.pem);
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "CA in /etc/containers/certs.d/<ip:port>/ca.crt",
        true,
        None,
    );
    assert_agrees_line(&judge(), "cri-o", r.ok, None, &r.message());

    clear(&containers.join(&t));
    put(&containers.join(&t), "ca.pem", &certs.ca.pem);
    let r = s.pull(&img, &[]);
    r.expect("skopeo", "CA named ca.pem (ignored)", false, Some(&unknown));
    assert_agrees_line(
        &judge(),
        "cri-o",
        r.ok,
        Some("containers_certs_d_wrong_extension"),
        &r.message(),
    );

    clear(&containers.join(&t));
    put(&docker.join(&t), "ca.crt", &certs.ca.pem);
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "/etc/containers/certs.d/<ip:port> empty, CA in /etc/docker/certs.d/<ip:port>",
        false,
        Some(&unknown),
    );
    assert_agrees_line(
        &judge(),
        "cri-o",
        r.ok,
        Some("containers_certs_d_shadowed"),
        &r.message(),
    );

    std::fs::remove_dir_all(containers.join(&t)).unwrap();
    std::fs::remove_dir_all(docker.join(&t)).unwrap();
    put(&docker.join(&t), "registry.crt", &certs.ca.pem);
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "Karbon layout: only /etc/docker/certs.d/<ip:port>/registry.crt",
        true,
        None,
    );
    assert_agrees_line(&judge(), "cri-o", r.ok, None, &r.message());

    std::fs::create_dir_all(home.join(&t)).unwrap();
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "$HOME/.config/containers/certs.d/<ip:port> empty (root too), CA in /etc/docker/certs.d",
        false,
        Some(&unknown),
    );
    assert_agrees_line(
        &judge(),
        "cri-o",
        r.ok,
        Some("containers_certs_d_shadowed"),
        &r.message(),
    );

    // --cert-dir replaces the search; regdoctor gets its parent as the only root.
    std::fs::remove_dir_all(home.join(&t)).unwrap();
    std::fs::remove_dir_all(docker.join(&t)).unwrap();
    let own = tempfile::tempdir().unwrap();
    put(&own.path().join(&t), "ca.crt", &certs.ca.pem);
    let cert_dir = own.path().join(&t);
    let r = s.pull(&img, &["--src-cert-dir", cert_dir.to_str().unwrap()]);
    r.expect("skopeo", "--src-cert-dir with ca.crt", true, None);
    let report = regdoctor(
        &ns,
        &[
            "--runtime".into(),
            "cri-o".into(),
            "--containers-certs-d".into(),
            own.path().display().to_string(),
        ],
        &t,
        &[],
    );
    assert_agrees_line(&report, "cri-o", r.ok, None, &r.message());
}

#[test]
fn insecure_comes_from_registries_conf_and_its_drop_ins() {
    let Some(ns) = Netns::new() else { return };
    let Some(s) = Skopeo::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(plain) = plain_registry(&ns) else {
        return;
    };
    let Some(tls) = tls_registry(&ns, &certs.good()) else {
        return;
    };
    let (p, t) = (plain.target(), tls.target());
    let conf = s.etc_containers().join("registries.conf");
    let drop_ins = s.etc_containers().join("registries.conf.d");
    let insecure =
        |loc: &str, yes: bool| format!("[[registry]]\nlocation = \"{loc}\"\ninsecure = {yes}\n");
    let judge = |target: &str| regdoctor(&ns, &s.node_args(), target, &[]);

    let r = s.pull(&plain.image, &[]);
    r.expect(
        "skopeo",
        "plain HTTP, not insecure",
        false,
        Some(&skopeo_ping(&plain.image, &p, HTTP_TO_HTTPS)),
    );
    assert_agrees_line(&judge(&p), "cri-o", r.ok, Some("plain_http"), &r.message());

    let both = format!(
        "unqualified-search-registries = []\n\n{}\n{}",
        insecure(&p, true),
        insecure(&t, true)
    );
    std::fs::write(&conf, both).unwrap();
    let r = s.pull(&plain.image, &[]);
    r.expect(
        "skopeo",
        "plain HTTP, registries.conf insecure = true",
        true,
        None,
    );
    assert_agrees_line(&judge(&p), "cri-o", r.ok, None, &r.message());
    let r = s.pull(&tls.image, &[]);
    r.expect(
        "skopeo",
        "untrusted TLS, registries.conf insecure = true",
        true,
        None,
    );
    assert_agrees_line(&judge(&t), "cri-o", r.ok, None, &r.message());

    put(&drop_ins, "50-secure.conf", &insecure(&p, false));
    let r = s.pull(&plain.image, &[]);
    r.expect(
        "skopeo",
        "plain HTTP, insecure = true overridden by registries.conf.d insecure = false",
        false,
        Some(&skopeo_ping(&plain.image, &p, HTTP_TO_HTTPS)),
    );
    assert_agrees_line(&judge(&p), "cri-o", r.ok, Some("plain_http"), &r.message());

    std::fs::write(&conf, "unqualified-search-registries = []\n").unwrap();
    clear(&drop_ins);
    put(&drop_ins, "50-insecure.conf", &insecure(&t, true));
    let r = s.pull(&tls.image, &[]);
    r.expect(
        "skopeo",
        "untrusted TLS, insecure = true only in a registries.conf.d drop-in",
        true,
        None,
    );
    assert_agrees_line(&judge(&t), "cri-o", r.ok, None, &r.message());
}

#[test]
fn client_certificates_and_credentials() {
    let Some(ns) = Netns::new() else { return };
    let Some(s) = Skopeo::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let client = client_pair();
    let Some(mtls) = mtls_registry(&ns, &certs.good(), &client) else {
        return;
    };
    let Some(basic) = basic_registry(&ns, &certs.good()) else {
        return;
    };
    let node = s.node_args();
    let containers = s.certs_d_roots()[1].clone();

    let (t, img) = (mtls.target(), mtls.image.clone());
    let dir = containers.join(&t);
    put(&dir, "ca.crt", &certs.ca.pem);
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "mutual TLS, no client pair",
        false,
        Some(&skopeo_ping(&img, &t, BAD_CERTIFICATE)),
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "cri-o",
        r.ok,
        Some("tls_client_cert_required"),
        &r.message(),
    );

    write_pair(&dir, &client, "client.cert", "client.key");
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "mutual TLS, client.cert + client.key in certs.d",
        true,
        None,
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "cri-o",
        r.ok,
        None,
        &r.message(),
    );

    std::fs::remove_file(dir.join("client.key")).unwrap();
    let r = s.pull(&img, &[]);
    let line = skopeo_error(
        &img,
        "missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt",
    );
    r.expect(
        "skopeo",
        "mutual TLS, client.cert without client.key",
        false,
        Some(&line),
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "cri-o",
        r.ok,
        Some("containers_certs_d_client_pair"),
        &r.message(),
    );

    let (t, img) = (basic.target(), basic.image.clone());
    put(&containers.join(&t), "ca.crt", &certs.ca.pem);
    let denied = skopeo_error(
        &img,
        &format!("reading manifest v1 in {t}/test/hello: unauthorized: authentication required"),
    );
    let r = s.pull(&img, &[]);
    r.expect(
        "skopeo",
        "htpasswd registry, no credentials",
        false,
        Some(&denied),
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "cri-o",
        r.ok,
        Some("credentials_missing"),
        &r.message(),
    );

    let r = s.pull(&img, &["--src-creds", &format!("{USER}:{PASSWORD}")]);
    r.expect(
        "skopeo",
        "htpasswd registry, --src-creds right password",
        true,
        None,
    );
    assert_agrees_line(
        &regdoctor_with_login(&ns, &node, &t),
        "cri-o",
        r.ok,
        None,
        &r.message(),
    );

    let r = s.pull(&img, &["--src-creds", &format!("{USER}:wrong")]);
    r.expect(
        "skopeo",
        "htpasswd registry, --src-creds wrong password",
        false,
        Some(&denied),
    );
    let report = regdoctor_stdin(
        &ns,
        &node,
        &t,
        &["--user", USER, "--password-stdin"],
        "wrong",
    );
    assert_agrees_line(&report, "cri-o", r.ok, Some("login_failed"), &r.message());

    let cfg = docker_config(&t, PASSWORD);
    let auth = cfg.path().join("config.json");
    let r = s.pull(&img, &["--src-authfile", auth.to_str().unwrap()]);
    r.expect("skopeo", "htpasswd registry, --src-authfile", true, None);
    let report = regdoctor(&ns, &node, &t, &["--docker-config", auth.to_str().unwrap()]);
    assert_agrees_line(&report, "cri-o", r.ok, None, &r.message());
}

/// An IPv6 registry: skopeo (containers/image, as CRI-O) refuses the image reference
/// before any request; regdoctor says so for CRI-O, whatever the network says.
#[test]
fn an_ipv6_registry_cannot_be_named() {
    let Some(ns) = Netns::new() else { return };
    let Some(s) = Skopeo::new(&ns) else {
        return;
    };
    let (t, img) = ("[fd00::5]:5000", "[fd00::5]:5000/test/hello:v1");
    let r = s.pull(img, &[]);
    r.expect(
        "skopeo",
        "IPv6 registry",
        false,
        Some("invalid reference format"),
    );
    let report = regdoctor(&ns, &s.node_args(), t, &["--timeout", "2"]);
    assert_agrees(&report, "cri-o", false, Some("ipv6_reference_unsupported"));
}
