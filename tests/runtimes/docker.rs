//! Docker Engine 20.10: a private dockerd per test, pulls with the docker CLI.

use super::*;
use crate::common::runtimes::{Dockerd, PullResult};

fn docker_error(target: &str, cause: &str) -> String {
    format!("Error response from daemon: Get \"https://{target}/v2/\": {cause}")
}

/// Starts dockerd with `daemon_json`; panics with its whole log when it does not start.
fn start(d: &mut Dockerd, daemon_json: &str) {
    if let Err(line) = d.start(daemon_json) {
        panic!("dockerd did not start ({line}):\n{}", d.log());
    }
}

/// dockerd did not start: records its last line and checks it.
fn expect_refused(scenario: &str, started: Result<(), String>, line: &str) {
    let err = started.expect_err(scenario);
    let seen = PullResult {
        ok: false,
        output: err.clone(),
        error: Some(err),
    };
    seen.expect("dockerd", scenario, false, Some(line));
}

#[test]
fn trusts_crt_files_in_certs_d_host_port() {
    let Some(ns) = Netns::new() else { return };
    let Some(mut d) = Dockerd::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let (good, no_san, expired) = (certs.good(), certs.no_ip_san(), certs.expired());
    let Some(reg) = tls_registry(&ns, &good) else {
        return;
    };
    let Some(no_san_reg) = tls_registry(&ns, &no_san) else {
        return;
    };
    let Some(expired_reg) = tls_registry(&ns, &expired) else {
        return;
    };
    start(&mut d, "{}");
    let t = reg.target();
    let node = d.node_args();
    let dir = d.certs_d(&t);
    let judge = |target: &str| regdoctor(&ns, &node, target, &[]);

    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "no CA anywhere",
        false,
        Some(&docker_error(&t, UNKNOWN_AUTHORITY)),
    );
    assert_agrees_line(
        &judge(&t),
        "docker",
        r.ok,
        Some("unknown_authority"),
        &r.message(),
    );

    put(&dir, "ca.crt", &certs.ca.pem);
    let r = d.pull(&reg.image, None);
    r.expect("docker", "CA in certs.d/<ip:port>/ca.crt", true, None);
    assert_agrees_line(&judge(&t), "docker", r.ok, None, &r.message());

    clear(&dir);
    put(&dir, "ca.pem", &certs.ca.pem);
    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "CA named ca.pem in certs.d",
        false,
        Some(&docker_error(&t, UNKNOWN_AUTHORITY)),
    );
    assert_agrees_line(
        &judge(&t),
        "docker",
        r.ok,
        Some("certs_d_wrong_extension"),
        &r.message(),
    );

    clear(&dir);
    put(&dir, "ca.cert", &certs.ca.pem);
    let r = d.pull(&reg.image, None);
    let line = "Error response from daemon: missing key ca.key for client certificate ca.cert. Note that CA certificates should use the extension .crt";
    r.expect("docker", "CA named ca.cert in certs.d", false, Some(line));
    assert_agrees_line(
        &judge(&t),
        "docker",
        r.ok,
        Some("certs_d_client_pair"),
        &r.message(),
    );

    std::fs::remove_dir_all(&dir).unwrap();
    put(&d.certs_d(&certs.ip), "ca.crt", &certs.ca.pem);
    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "CA in certs.d/<ip>/ (no port)",
        false,
        Some(&docker_error(&t, UNKNOWN_AUTHORITY)),
    );
    assert_agrees_line(
        &judge(&t),
        "docker",
        r.ok,
        Some("certs_d_dir_misnamed"),
        &r.message(),
    );

    let t = no_san_reg.target();
    put(&d.certs_d(&t), "ca.crt", &certs.ca.pem);
    let r = d.pull(&no_san_reg.image, None);
    let cause = format!(
        "x509: cannot validate certificate for {} because it doesn't contain any IP SANs",
        certs.ip
    );
    r.expect(
        "docker",
        "leaf without IP SAN dialled by IP, CA trusted",
        false,
        Some(&docker_error(&t, &cause)),
    );
    assert_agrees_line(
        &judge(&t),
        "docker",
        r.ok,
        Some("san_ip_missing"),
        &r.message(),
    );

    // A CA that is not the registry's.
    let t = reg.target();
    let dir = d.certs_d(&t);
    clear(&dir);
    let other = ca("Other CA", now());
    put(&dir, "ca.crt", &other.pem);
    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "another CA in certs.d/<ip:port>/ca.crt",
        false,
        Some(&docker_error(&t, UNKNOWN_AUTHORITY)),
    );
    let report = judge(&t);
    assert_agrees_line(
        &report,
        "docker",
        r.ok,
        Some("certs_d_ca_mismatch"),
        &r.message(),
    );
    let m = finding(&report, "certs_d_ca_mismatch")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("CN=Other CA") && m.contains("CN=Registry CA"),
        "{m}"
    );

    let t = expired_reg.target();
    put(&d.certs_d(&t), "ca.crt", &certs.ca.pem);
    let r = d.pull(&expired_reg.image, None);
    let part = format!(
        "Get \"https://{t}/v2/\": x509: certificate has expired or is not yet valid: current time "
    );
    r.expect("docker", "expired leaf, CA trusted", false, Some(&part));
    assert_agrees_line(&judge(&t), "docker", r.ok, Some("expired"), &r.message());

    // A FIFO as ca.crt: dockerd reads certs.d with os.ReadFile at every pull and blocks
    // on it; the docker CLI prints nothing (stopped here after 10 s). regdoctor does not
    // open it and predicts the failure.
    let t = reg.target();
    let dir = d.certs_d(&t);
    clear(&dir);
    let fifo = dir.join("ca.crt");
    mkfifo(&fifo);
    let (ended, r) = d.pull_within(&reg.image, std::time::Duration::from_secs(10));
    observe_hang("docker", "certs.d ca.crt is a FIFO", ended, &r.output);
    let report = judge(&t);
    // Unblock dockerd's reader (EOF), so the daemon stops cleanly; O_NONBLOCK: no wait
    // when nothing reads.
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(0o4000)
        .open(&fifo);
    assert!(!ended && !r.ok, "docker did not block: {}", r.output);
    assert_agrees(&report, "docker", false, Some("certs_d_file_unreadable"));
}

#[test]
fn presents_the_client_pair_from_certs_d() {
    let Some(ns) = Netns::new() else { return };
    let Some(mut d) = Dockerd::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let client = client_pair();
    let Some(reg) = mtls_registry(&ns, &certs.good(), &client) else {
        return;
    };
    start(&mut d, "{}");
    let t = reg.target();
    let dir = d.certs_d(&t);
    put(&dir, "ca.crt", &certs.ca.pem);
    let judge = || regdoctor(&ns, &d.node_args(), &t, &[]);

    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "mutual TLS, no client pair",
        false,
        Some(&docker_error(&t, BAD_CERTIFICATE)),
    );
    assert_agrees_line(
        &judge(),
        "docker",
        r.ok,
        Some("tls_client_cert_required"),
        &r.message(),
    );

    write_pair(&dir, &client, "client.cert", "client.key");
    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "mutual TLS, client.cert + client.key in certs.d",
        true,
        None,
    );
    assert_agrees_line(&judge(), "docker", r.ok, None, &r.message());

    // A key that belongs to another certificate.
    let stranger = client_pair();
    put(&dir, "client.key", &stranger.cert.key_pem);
    let r = d.pull(&reg.image, None);
    r.expect(
        "docker",
        "mutual TLS, client.key of another certificate",
        false,
        Some("private key does not match public key"),
    );
    assert_agrees_line(
        &judge(),
        "docker",
        r.ok,
        Some("certs_d_client_pair"),
        &r.message(),
    );

    std::fs::remove_file(dir.join("client.key")).unwrap();
    let r = d.pull(&reg.image, None);
    let line = "Error response from daemon: missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt";
    r.expect(
        "docker",
        "mutual TLS, client.cert without client.key",
        false,
        Some(line),
    );
    assert_agrees_line(
        &judge(),
        "docker",
        r.ok,
        Some("certs_d_client_pair"),
        &r.message(),
    );
}

#[test]
fn sends_basic_credentials_from_docker_config() {
    let Some(ns) = Netns::new() else { return };
    let Some(mut d) = Dockerd::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(reg) = basic_registry(&ns, &certs.good()) else {
        return;
    };
    start(&mut d, "{}");
    let t = reg.target();
    put(&d.certs_d(&t), "ca.crt", &certs.ca.pem);
    let node = d.node_args();

    let r = d.pull(&reg.image, None);
    let line = format!(
        "Error response from daemon: Head \"https://{t}/v2/test/hello/manifests/v1\": no basic auth credentials"
    );
    r.expect(
        "docker",
        "htpasswd registry, no credentials",
        false,
        Some(&line),
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "docker",
        r.ok,
        Some("credentials_missing"),
        &r.message(),
    );

    for (scenario, password, works, cause) in [
        (
            "htpasswd registry, credentials in config.json",
            PASSWORD,
            true,
            None,
        ),
        (
            "htpasswd registry, wrong password in config.json",
            "wrong",
            false,
            Some("login_failed"),
        ),
    ] {
        let cfg = docker_config(&t, password);
        let r = d.pull(&reg.image, Some(cfg.path()));
        let line = "Error response from daemon: unauthorized: authentication required";
        r.expect("docker", scenario, works, (!works).then_some(line));
        let json = cfg.path().join("config.json");
        let report = regdoctor(&ns, &node, &t, &["--docker-config", json.to_str().unwrap()]);
        assert_agrees_line(&report, "docker", r.ok, cause, &r.message());
    }
}

#[test]
fn insecure_registries_entries() {
    let Some(ns) = Netns::new() else { return };
    let Some(mut d) = Dockerd::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(plain) = plain_registry(&ns) else {
        return;
    };
    // Presents a certificate of a CA that nothing trusts.
    let Some(tls) = tls_registry(&ns, &certs.good()) else {
        return;
    };
    let (p, t) = (plain.target(), tls.target());
    let judge = |d: &Dockerd, target: &str| regdoctor(&ns, &d.node_args(), target, &[]);

    start(&mut d, "{}");
    let r = d.pull(&plain.image, None);
    r.expect(
        "docker",
        "plain-HTTP registry not in insecure-registries",
        false,
        Some(&docker_error(&p, HTTP_TO_HTTPS)),
    );
    assert_agrees_line(
        &judge(&d, &p),
        "docker",
        r.ok,
        Some("plain_http"),
        &r.message(),
    );

    let cidr = {
        let o = ns.addr().octets();
        format!("{}.{}.{}.0/24", o[0], o[1], o[2])
    };
    for (scenario, entries) in [
        ("insecure-registries host:port", vec![p.clone(), t.clone()]),
        ("insecure-registries CIDR covering it", vec![cidr]),
        (
            "insecure-registries http://host:port (scheme stripped)",
            vec![format!("http://{p}"), format!("http://{t}")],
        ),
    ] {
        let json = serde_json::json!({"insecure-registries": entries}).to_string();
        start(&mut d, &json);
        let r = d.pull(&plain.image, None);
        r.expect("docker", &format!("plain HTTP, {scenario}"), true, None);
        assert_agrees_line(&judge(&d, &p), "docker", r.ok, None, &r.message());
        let r = d.pull(&tls.image, None);
        r.expect("docker", &format!("untrusted TLS, {scenario}"), true, None);
        assert_agrees_line(&judge(&d, &t), "docker", r.ok, None, &r.message());
    }

    // An entry without the port does not cover host:port.
    let json = serde_json::json!({"insecure-registries": [certs.ip]}).to_string();
    start(&mut d, &json);
    let r = d.pull(&tls.image, None);
    r.expect(
        "docker",
        "untrusted TLS, insecure-registries has the IP without the port",
        false,
        Some(&docker_error(&t, UNKNOWN_AUTHORITY)),
    );
    assert_agrees_line(
        &judge(&d, &t),
        "docker",
        r.ok,
        Some("unknown_authority"),
        &r.message(),
    );

    let json = serde_json::json!({"insecure-registries": [format!("ftp://{t}")]}).to_string();
    let line =
        format!("failed to start daemon: insecure registry ftp://{t} should not contain '://'");
    expect_refused("insecure-registries ftp://host:port", d.start(&json), &line);
    assert_agrees_line(
        &judge(&d, &t),
        "docker",
        false,
        Some("daemon_json_bad_insecure_registry"),
        &line,
    );
}

#[test]
fn refuses_to_start_with_a_bad_daemon_json() {
    let Some(ns) = Netns::new() else { return };
    let Some(mut d) = Dockerd::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(reg) = tls_registry(&ns, &certs.good()) else {
        return;
    };
    let t = reg.target();
    put(&d.certs_d(&t), "ca.crt", &certs.ca.pem);
    let file = "unable to configure the Docker daemon with file /etc/docker/daemon.json: ";
    let judge = |d: &Dockerd| regdoctor(&ns, &d.node_args(), &t, &[]);

    let truncated = format!("{{\"insecure-registries\": [\"{t}\"");
    let line = format!("{file}unexpected EOF");
    expect_refused("daemon.json truncated", d.start(&truncated), &line);
    assert_agrees_line(
        &judge(&d),
        "docker",
        false,
        Some("daemon_json_syntax"),
        &line,
    );

    let comma = format!("{{\"insecure-registries\": [\"{t}\"],}}");
    let line = format!("{file}invalid character '}}' looking for beginning of object key string");
    expect_refused("daemon.json trailing comma", d.start(&comma), &line);
    assert_agrees_line(
        &judge(&d),
        "docker",
        false,
        Some("daemon_json_syntax"),
        &line,
    );

    let hosts = r#"{"hosts": ["unix:///var/run/docker.sock"]}"#;
    let line = format!(
        "{file}the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [unix://{}], from file: [unix:///var/run/docker.sock])",
        d.work_dir().join("docker.sock").display()
    );
    expect_refused(
        "\"hosts\" in daemon.json and -H on the command line",
        d.start(hosts),
        &line,
    );
    assert_agrees_line(
        &judge(&d),
        "docker",
        false,
        Some("daemon_json_flag_conflict"),
        &line,
    );

    // The same value both ways is still a conflict.
    let exec = d.work_dir().join("exec");
    let json = serde_json::json!({"exec-root": exec}).to_string();
    let line = format!(
        "{file}the following directives are specified both as a flag and in the configuration file: exec-root: (from flag: {e}, from file: {e})",
        e = exec.display()
    );
    expect_refused(
        "exec-root in daemon.json and as a flag, same value",
        d.start(&json),
        &line,
    );
    assert_agrees_line(
        &judge(&d),
        "docker",
        false,
        Some("daemon_json_flag_conflict"),
        &line,
    );

    let mirror = serde_json::json!({"registry-mirrors": [t]}).to_string();
    let line = format!("failed to start daemon: invalid mirror: \"{t}\" is not a valid URI");
    expect_refused(
        "registry-mirrors entry without a scheme",
        d.start(&mirror),
        &line,
    );
    assert_agrees_line(
        &judge(&d),
        "docker",
        false,
        Some("daemon_json_bad_mirror"),
        &line,
    );

    // The same dockerd starts and pulls once daemon.json is right again.
    start(&mut d, "{}");
    let r = d.pull(&reg.image, None);
    r.expect("docker", "daemon.json {} after the failures", true, None);
    assert_agrees_line(&judge(&d), "docker", r.ok, None, &r.message());
}

/// The Karbon layout of docs/seed (Nutanix Karbon 2.1 Docker nodes): its daemon.json
/// as karbonctl writes it, a secure registry's CA as certs.d/<ip:port>/registry.crt,
/// and an insecure registry in insecure-registries.
#[test]
fn on_a_karbon_node() {
    let Some(ns) = Netns::new() else { return };
    let Some(mut d) = Dockerd::new(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(secure) = tls_registry(&ns, &certs.good()) else {
        return;
    };
    // A self-signed registry certificate, as an insecure Karbon registry often has.
    let own = self_signed_ca_leaf("registry", &[&certs.ip], now());
    let Some(insecure) = tls_registry(&ns, &own) else {
        return;
    };
    let (s, i) = (secure.target(), insecure.target());
    let json = serde_json::json!({
        "bridge": "none",
        "graph": d.data_root(),
        "insecure-registries": [i],
        "live-restore": true,
        "log-driver": "json-file",
        "log-opts": {"max-file": "3", "max-size": "50m"},
        "oom-score-adjust": -1000
    });
    start(&mut d, &serde_json::to_string_pretty(&json).unwrap());
    // dockerd 20.10 still takes "graph", with a warning in its log.
    let log = d.log();
    let warning = log
        .lines()
        .find(|l| l.contains("\"graph\\\" config file option is deprecated"))
        .unwrap_or_else(|| panic!("no deprecation warning for graph:\n{log}"));
    eprintln!("OBSERVED | dockerd | Karbon: \"graph\" in daemon.json | starts | {warning}");
    put(&d.certs_d(&s), "registry.crt", &certs.ca.pem);
    let judge = |target: &str| regdoctor(&ns, &d.node_args(), target, &[]);

    let r = d.pull(&secure.image, None);
    r.expect(
        "docker",
        "Karbon: CA as certs.d/<ip:port>/registry.crt",
        true,
        None,
    );
    assert_agrees_line(&judge(&s), "docker", r.ok, None, &r.message());

    let r = d.pull(&insecure.image, None);
    r.expect(
        "docker",
        "Karbon: self-signed registry in insecure-registries",
        true,
        None,
    );
    assert_agrees_line(&judge(&i), "docker", r.ok, None, &r.message());
}
