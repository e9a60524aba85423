//! containerd 1.6: a private containerd per test, pulls with `ctr images pull --hosts-dir`.

use super::*;
use crate::common::runtimes::Containerd;

fn ctr_error(image: &str, cause: &str) -> String {
    format!("ctr: failed to resolve reference \"{image}\": {cause}")
}

fn ctr_head(image: &str, target: &str, cause: &str) -> String {
    ctr_error(
        image,
        &format!(
            "failed to do request: Head \"https://{target}/v2/test/hello/manifests/v1\": {cause}"
        ),
    )
}

/// `[host."https://<target>"]` with these lines, after `server = "https://<target>"`.
fn host_table(target: &str, body: &str) -> String {
    format!("server = \"https://{target}\"\n\n[host.\"https://{target}\"]\n{body}")
}

#[test]
fn hosts_toml_trust() {
    let Some(ns) = Netns::new() else { return };
    let Some(c) = Containerd::start(&ns) else {
        return;
    };
    let certs = Certs::new(&ns);
    let Some(reg) = tls_registry(&ns, &certs.good()) else {
        return;
    };
    let (t, img) = (reg.target(), reg.image.clone());
    let ca_file = tempfile::tempdir().unwrap();
    put(ca_file.path(), "ca.crt", &certs.ca.pem);
    let ca = ca_file.path().join("ca.crt");
    let missing = ca_file.path().join("gone.crt");
    let judge = || regdoctor(&ns, &c.node_args(), &t, &[]);
    let unknown = ctr_head(&img, &t, UNKNOWN_AUTHORITY);

    let r = c.pull(&img, &[]);
    r.expect("ctr", "no hosts.toml", false, Some(&unknown));
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("unknown_authority"),
        &r.message(),
    );

    c.write_hosts_toml(
        &t,
        &host_table(&t, &format!("  ca = \"{}\"\n", ca.display())),
    );
    let r = c.pull(&img, &[]);
    r.expect("ctr", "hosts.toml [host] ca = absolute path", true, None);
    assert_agrees_line(&judge(), "containerd", r.ok, None, &r.message());

    let dir = c.write_hosts_toml(&t, &host_table(&t, "  ca = \"ca.crt\"\n"));
    put(&dir, "ca.crt", &certs.ca.pem);
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "hosts.toml [host] ca = path relative to the hosts.toml directory",
        true,
        None,
    );
    assert_agrees_line(&judge(), "containerd", r.ok, None, &r.message());

    c.clear_hosts();
    c.write_hosts_toml(&t, &host_table(&t, "  skip_verify = true\n"));
    let r = c.pull(&img, &[]);
    r.expect("ctr", "hosts.toml skip_verify = true", true, None);
    assert_agrees_line(&judge(), "containerd", r.ok, None, &r.message());

    c.write_hosts_toml(
        &t,
        &host_table(&t, &format!("  ca = \"{}\"\n", missing.display())),
    );
    let r = c.pull(&img, &[]);
    let m = missing.display();
    let line = ctr_error(
        &img,
        &format!("unable to read CA cert \"{m}\": open {m}: no such file or directory"),
    );
    r.expect(
        "ctr",
        "hosts.toml ca path that does not exist",
        false,
        Some(&line),
    );
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("hosts_toml_ca_unreadable"),
        &r.message(),
    );

    let broken = format!(
        "server = \"https://{t}\n[host.\"https://{t}\"]\n  ca = \"{}\"\n",
        ca.display()
    );
    c.write_hosts_toml(&t, &broken);
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "hosts.toml that does not parse (ignored: defaults)",
        false,
        Some(&unknown),
    );
    assert!(
        r.output.contains(
            "level=error msg=\"failed to decode hosts.toml\" error=\"failed to parse TOML: (1, "
        ),
        "{}",
        r.output
    );
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("hosts_toml_syntax"),
        &r.message(),
    );

    // containerd#10027: root-level fields without any [host] table are rejected.
    c.write_hosts_toml(
        &t,
        &format!("server = \"https://{t}\"\nca = \"{}\"\n", ca.display()),
    );
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "hosts.toml with server + ca at the root, no [host] table (ignored)",
        false,
        Some(&unknown),
    );
    assert!(
        r.output.contains(
            "level=error msg=\"failed to decode hosts.toml\" error=\"invalid `host` tree\""
        ),
        "{}",
        r.output
    );
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("hosts_toml_invalid"),
        &r.message(),
    );

    c.clear_hosts();
    let underscored = t.replace(':', "_") + "_";
    c.write_hosts_toml(
        &underscored,
        &host_table(&t, &format!("  ca = \"{}\"\n", ca.display())),
    );
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "hosts dir named host_port_ instead of host:port",
        true,
        None,
    );
    assert_agrees_line(&judge(), "containerd", r.ok, None, &r.message());

    // Both names: host_port_ is looked up first and wins.
    c.write_hosts_toml(
        &underscored,
        &host_table(&t, &format!("  ca = \"{}\"\n", missing.display())),
    );
    c.write_hosts_toml(
        &t,
        &host_table(&t, &format!("  ca = \"{}\"\n", ca.display())),
    );
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "both host_port_ (bad ca) and host:port (good ca) dirs",
        false,
        Some(&line),
    );
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("hosts_toml_ca_unreadable"),
        &r.message(),
    );

    c.clear_hosts();
    c.write_hosts_toml(
        &certs.ip,
        &host_table(&t, &format!("  ca = \"{}\"\n", ca.display())),
    );
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "hosts dir named after the IP without the port",
        false,
        Some(&unknown),
    );
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("hosts_toml_dir_misnamed"),
        &r.message(),
    );

    // A hosts.toml that is a FIFO: ctr reads it with os.ReadFile and hangs, printing
    // nothing (stopped here after 10 s); regdoctor does not open it, says
    // hosts_toml_unreadable, and predicts containerd's pull fails.
    c.clear_hosts();
    let dir = c.hosts_dir().join(&t);
    std::fs::create_dir_all(&dir).unwrap();
    mkfifo(&dir.join("hosts.toml"));
    let (ended, r) = c.pull_within(&img, std::time::Duration::from_secs(10));
    // ctr redraws its progress ("resolving", "elapsed: 9.7 s") until it is killed.
    observe_hang("ctr", "hosts.toml is a FIFO", ended, &r.output);
    assert!(!ended && !r.ok, "ctr did not block: {}", r.output);
    let started = std::time::Instant::now();
    let report = judge();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_agrees(&report, "containerd", false, Some("hosts_toml_unreadable"));
}

#[test]
fn plain_http_needs_a_host_table() {
    let Some(ns) = Netns::new() else { return };
    let Some(c) = Containerd::start(&ns) else {
        return;
    };
    let Some(reg) = plain_registry(&ns) else {
        return;
    };
    let (t, img) = (reg.target(), reg.image.clone());
    let judge = || regdoctor(&ns, &c.node_args(), &t, &[]);
    let refused = ctr_head(&img, &t, HTTP_TO_HTTPS);

    let r = c.pull(&img, &[]);
    r.expect("ctr", "plain HTTP, no hosts.toml", false, Some(&refused));
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("plain_http"),
        &r.message(),
    );

    c.write_hosts_toml(&t, &format!("server = \"http://{t}\"\n"));
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "plain HTTP, hosts.toml with only server = \"http://...\" (ignored)",
        false,
        Some(&refused),
    );
    assert!(r.output.contains("invalid `host` tree"), "{}", r.output);
    assert_agrees_line(
        &judge(),
        "containerd",
        r.ok,
        Some("hosts_toml_invalid"),
        &r.message(),
    );

    c.write_hosts_toml(
        &t,
        &format!("server = \"http://{t}\"\n\n[host.\"http://{t}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"),
    );
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "plain HTTP, server + [host.\"http://...\"]",
        true,
        None,
    );
    assert_agrees_line(&judge(), "containerd", r.ok, None, &r.message());

    c.write_hosts_toml(&t, &format!("server = \"http://{t}\"\n[host]\n"));
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "plain HTTP, server = \"http://...\" + empty [host] table",
        true,
        None,
    );
    assert_agrees_line(&judge(), "containerd", r.ok, None, &r.message());

    // ctr's own flag (no CRI equivalent, so no regdoctor comparison).
    c.clear_hosts();
    let r = c.pull(&img, &["--plain-http"]);
    r.expect(
        "ctr",
        "plain HTTP, ctr --plain-http, no hosts.toml",
        true,
        None,
    );
}

#[test]
fn client_certificates_and_credentials() {
    let Some(ns) = Netns::new() else { return };
    let Some(c) = Containerd::start(&ns) else {
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
    let node = c.node_args();

    let (t, img) = (mtls.target(), mtls.image.clone());
    let dir = c.write_hosts_toml(&t, &host_table(&t, "  ca = \"ca.crt\"\n"));
    put(&dir, "ca.crt", &certs.ca.pem);
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "mutual TLS, no client pair",
        false,
        Some(&ctr_head(&img, &t, BAD_CERTIFICATE)),
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "containerd",
        r.ok,
        Some("tls_client_cert_required"),
        &r.message(),
    );

    c.write_hosts_toml(
        &t,
        &host_table(
            &t,
            "  ca = \"ca.crt\"\n  client = [[\"c.pem\", \"k.pem\"]]\n",
        ),
    );
    write_pair(&dir, &client, "c.pem", "k.pem");
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "mutual TLS, client = [[\"c.pem\", \"k.pem\"]]",
        true,
        None,
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "containerd",
        r.ok,
        None,
        &r.message(),
    );

    let (t, img) = (basic.target(), basic.image.clone());
    let dir = c.write_hosts_toml(&t, &host_table(&t, "  ca = \"ca.crt\"\n"));
    put(&dir, "ca.crt", &certs.ca.pem);
    let unauthorized = ctr_error(
        &img,
        &format!("pulling from host {t} failed with status code [manifests v1]: 401 Unauthorized"),
    );
    let r = c.pull(&img, &[]);
    r.expect(
        "ctr",
        "htpasswd registry, no --user",
        false,
        Some(&unauthorized),
    );
    assert_agrees_line(
        &regdoctor(&ns, &node, &t, &[]),
        "containerd",
        r.ok,
        Some("credentials_missing"),
        &r.message(),
    );

    let r = c.pull(&img, &["--user", &format!("{USER}:{PASSWORD}")]);
    r.expect(
        "ctr",
        "htpasswd registry, --user with the right password",
        true,
        None,
    );
    assert_agrees_line(
        &regdoctor_with_login(&ns, &node, &t),
        "containerd",
        r.ok,
        None,
        &r.message(),
    );

    let r = c.pull(&img, &["--user", &format!("{USER}:wrong")]);
    r.expect(
        "ctr",
        "htpasswd registry, --user with a wrong password",
        false,
        Some(&unauthorized),
    );
    let report = regdoctor_stdin(
        &ns,
        &node,
        &t,
        &["--user", USER, "--password-stdin"],
        "wrong",
    );
    assert_agrees_line(
        &report,
        "containerd",
        r.ok,
        Some("login_failed"),
        &r.message(),
    );
}
