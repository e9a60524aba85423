//! The registry checks against the real CNCF registry (`docker-registry`), started per
//! test on a free loopback port and stopped when the test ends.

use assert_cmd::Command;

use crate::common::pki::*;
use crate::common::registry::{self, Auth};
use crate::common::*;

struct Tls {
    dir: tempfile::TempDir,
    ca_path: String,
    cert_pem: String,
    key_pem: String,
}

fn tls() -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    Tls {
        dir,
        ca_path,
        cert_pem: l.pem,
        key_pem: l.key_pem,
    }
}

#[test]
fn tls_registry_without_auth_passes_and_lists_the_catalog() {
    let t = tls();
    let Some(reg) = registry::start(Some((&t.cert_pem, &t.key_pem)), Auth::None) else {
        return;
    };
    reg.create_repository("library/alpine");
    let (code, r, _) = diagnose(&[&reg.target(), "--ca", &t.ca_path]);
    assert_eq!(codes(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "pass");
    assert!(
        finding(&r, "catalog_listed")["message"]
            .as_str()
            .unwrap()
            .contains("library/alpine")
    );
    assert_eq!(r["evidence"]["http"]["version"], "HTTP/2");
    assert_eq!(status(&r, "registry-api"), "pass");
    assert_eq!(status(&r, "credentials"), "skip");
}

fn basic_registry(t: &Tls) -> Option<registry::Registry> {
    registry::start(
        Some((&t.cert_pem, &t.key_pem)),
        Auth::Htpasswd {
            user: "alice".into(),
            password: "correct-horse-battery".into(),
        },
    )
}

#[test]
fn htpasswd_registry_asks_for_basic_auth_and_checks_the_password() {
    let t = tls();
    let Some(reg) = basic_registry(&t) else {
        return;
    };
    let target = reg.target();

    let (code, r, _) = diagnose(&[&target, "--ca", &t.ca_path]);
    assert_eq!(
        codes(&r),
        vec![
            "auth_required",
            "catalog_unauthorized",
            "credentials_missing"
        ],
        "{r:#}"
    );
    assert_eq!(
        code, 1,
        "a Basic-auth registry with no credentials: every pull fails"
    );
    // No runtime on this (test) node: the line in each runtime's words.
    let any = runtimes_entry(&r, "any");
    assert_eq!(any["cause"], "credentials_missing");
    let worded: Vec<&str> = any["worded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["line"].as_str().unwrap())
        .collect();
    assert_eq!(
        worded,
        [
            format!(
                "Error response from daemon: Head \"https://{target}/v2/IMAGE/manifests/TAG\": no basic auth credentials"
            ),
            format!(
                "failed to resolve reference \"{target}/IMAGE:TAG\": pulling from host {target} failed with status code [manifests TAG]: 401 Unauthorized"
            ),
            format!(
                "reading manifest TAG in {target}/IMAGE: unauthorized: authentication required"
            ),
        ]
    );
    let f = finding(&r, "auth_required");
    assert_eq!(f["evidence"]["challenges"][0]["scheme"], "basic");
    assert_eq!(
        f["evidence"]["challenges"][0]["params"][0][1],
        "Registry Realm"
    );

    let args = [
        target.as_str(),
        "--ca",
        &t.ca_path,
        "--user",
        "alice",
        "--password-stdin",
    ];
    let (code, r, _) = diagnose_with_stdin(&args, "correct-horse-battery\n");
    assert_eq!(status(&r, "credentials"), "pass", "{r:#}");
    assert!(
        finding(&r, "credentials_ok")["message"]
            .as_str()
            .unwrap()
            .contains("succeeded")
    );
    assert_eq!(code, 0);

    let (code, r, _) = diagnose_with_stdin(&args, "wrong-password\n");
    assert!(codes(&r).contains(&"login_failed".to_string()), "{r:#}");
    assert_eq!(code, 1);
}

#[test]
fn password_from_stdin_never_appears_in_any_output() {
    let t = tls();
    let Some(reg) = basic_registry(&t) else {
        return;
    };
    let secret = "correct-horse-battery";
    for (password, format) in [
        (secret, "human"),
        (secret, "json"),
        ("wrong-but-secret-pw", "json"),
    ] {
        let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .args([
                &reg.target(),
                "--ca",
                &t.ca_path,
                "--user",
                "alice",
                "--password-stdin",
                "--format",
                format,
            ])
            .env("HOME", t.dir.path())
            .env_remove("DOCKER_CONFIG")
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains(password),
            "the password leaked in {format} output"
        );
        // Nor the Basic header value, nor the user name.
        assert!(!all.contains("YWxpY2U6"), "the Authorization value leaked");
        assert!(!all.contains("alice"), "the user name leaked");
        assert!(all.contains("credentials"), "{all}");
    }
}

#[test]
fn token_registry_emits_a_bearer_challenge_with_realm_and_service() {
    let t = tls();
    let signing = ca("Token Signer", now());
    let realm = "https://127.0.0.1:1/token".to_string();
    let Some(reg) = registry::start(
        Some((&t.cert_pem, &t.key_pem)),
        Auth::Token {
            realm: realm.clone(),
            service: "regdoctor-registry".into(),
            signing_ca_pem: signing.pem.clone(),
        },
    ) else {
        return;
    };
    let (code, r, _) = diagnose(&[&reg.target(), "--ca", &t.ca_path]);
    let f = finding(&r, "auth_required");
    let ch = &f["evidence"]["challenges"][0];
    assert_eq!(ch["scheme"], "bearer");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains(&format!("realm=\"{realm}\"")),
        "{f:#}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("service=\"regdoctor-registry\""),
        "{f:#}"
    );
    assert_eq!(code, 0);

    // With credentials, the realm (nothing listens there) is reported under credentials.
    let (code, r, _) = diagnose_with_stdin(
        &[
            &reg.target(),
            "--ca",
            &t.ca_path,
            "--user",
            "bob",
            "--password-stdin",
        ],
        "pw\n",
    );
    let f = finding(&r, "token_failed");
    assert!(f["message"].as_str().unwrap().contains(&realm), "{f:#}");
    assert_eq!(code, 1);
}

#[test]
fn plain_http_registry_is_plain_http_and_v2_still_runs_over_http() {
    let Some(reg) = registry::start(None, Auth::None) else {
        return;
    };
    let (code, r, _) = diagnose(&[&reg.target()]);
    assert_eq!(codes(&r)[0], "plain_http", "{r:#}");
    assert_eq!(code, 1);
    assert_eq!(status(&r, "registry-api"), "pass");
    assert_eq!(r["evidence"]["http"]["scheme"], "http");
    assert_eq!(
        finding(&r, "plain_http")["evidence"]["api_version_header"],
        "registry/2.0"
    );

    // Asked for explicitly with http://, the same registry passes.
    let (code, r, _) = diagnose(&[&format!("http://{}", reg.target())]);
    assert_eq!(status(&r, "tls-handshake"), "skip");
    assert_eq!(status(&r, "registry-api"), "pass");
    assert_eq!(code, 0, "{r:#}");
}

#[test]
fn credentials_are_withheld_over_plain_http() {
    let Some(reg) = registry::start(
        None,
        Auth::Htpasswd {
            user: "alice".into(),
            password: "pw".into(),
        },
    ) else {
        return;
    };
    let (_, r, _) = diagnose_with_stdin(
        &[
            &format!("http://{}", reg.target()),
            "--user",
            "alice",
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(status(&r, "credentials"), "skip", "{r:#}");
    let why = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "credentials")
        .unwrap()["skip_reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(why.contains("plain HTTP"), "{why}");
}

#[test]
fn docker_config_credentials_are_used_and_helpers_are_named_not_run() {
    let t = tls();
    let Some(reg) = basic_registry(&t) else {
        return;
    };
    let auth = base64_of("alice:correct-horse-battery");
    let cfg = write(
        &t.dir,
        "config.json",
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
            reg.target()
        )
        .as_bytes(),
    );
    let (code, r, _) = diagnose(&[&reg.target(), "--ca", &t.ca_path, "--docker-config", &cfg]);
    let f = finding(&r, "credentials_ok");
    assert!(
        f["message"].as_str().unwrap().contains("config.json"),
        "{f:#}"
    );
    assert_eq!(code, 0);
    let out = serde_json::to_string(&r).unwrap();
    assert!(!out.contains(&auth) && !out.contains("correct-horse-battery"));

    let helper = write(
        &t.dir,
        "helper.json",
        br#"{"auths": {}, "credsStore": "secretservice"}"#,
    );
    let (_, r, _) = diagnose(&[
        &reg.target(),
        "--ca",
        &t.ca_path,
        "--docker-config",
        &helper,
    ]);
    let f = finding(&r, "credentials_helper_not_read");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("docker-credential-secretservice"),
        "{f:#}"
    );
}

#[test]
fn named_docker_config_that_does_not_exist_is_exit_2() {
    let (code, _, err) = diagnose(&["127.0.0.1:1", "--docker-config", "/nonexistent/config.json"]);
    assert_eq!(code, 2);
    assert!(
        err == "error: --docker-config /nonexistent/config.json: no such file or directory\n",
        "{err}"
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn token_setup(
    realm_sans: &[&str],
) -> Option<(
    Tls,
    registry::Registry,
    crate::common::server::Server,
    String,
)> {
    token_setup_with(realm_sans, false)
}

fn token_setup_with(
    realm_sans: &[&str],
    redirect: bool,
) -> Option<(
    Tls,
    registry::Registry,
    crate::common::server::Server,
    String,
)> {
    let t = tls();
    // The token service has its own CA; the bundle given with --ca trusts both.
    let ca = ca("Token CA", now());
    let realm_leaf = leaf(&ca, realm_sans, now());
    let cfg = crate::common::server::tls_config(
        std::slice::from_ref(&realm_leaf.der),
        &realm_leaf.key_der,
    );
    let token = crate::common::server::start(
        "127.0.0.1:0",
        if redirect {
            crate::common::server::Behaviour::TlsTokenRedirect(cfg)
        } else {
            crate::common::server::Behaviour::TlsTokenService(cfg)
        },
    );
    // One bundle trusting both the registry's CA and the token service's CA.
    let bundle = format!("{}{}", std::fs::read_to_string(&t.ca_path).unwrap(), ca.pem);
    let bundle_path = write(&t.dir, "bundle.crt", bundle.as_bytes());
    let realm = format!("https://{}/token", token.target());
    let signer = ca.pem.clone();
    let reg = registry::start(
        Some((&t.cert_pem, &t.key_pem)),
        Auth::Token {
            realm,
            service: "regdoctor-registry".into(),
            signing_ca_pem: signer,
        },
    )?;
    Some((t, reg, token, bundle_path))
}

/// Diagnoses a token-auth registry with credentials; returns the exit status, the report
/// and the token service's address.
fn bearer_run(realm_sans: &[&str]) -> Option<(u8, serde_json::Value, String)> {
    let (_t, reg, token, bundle) = token_setup(realm_sans)?;
    let args = [
        reg.target(),
        "--ca".into(),
        bundle,
        "--user".into(),
        "bob".into(),
        "--password-stdin".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, r, _) = diagnose_with_stdin(&args, "pw\n");
    Some((code, r, token.target()))
}

#[test]
fn bearer_flow_follows_a_redirecting_realm_as_go_does() {
    let Some((_t, reg, _token, bundle)) = token_setup_with(&["127.0.0.1"], true) else {
        return;
    };
    let target = reg.target();
    let args = [
        target.as_str(),
        "--ca",
        &bundle,
        "--user",
        "bob",
        "--password-stdin",
    ];
    let (_, r, _) = diagnose_with_stdin(&args, "pw\n");
    // The token was fetched after the redirect (the registry then refuses it, as in the
    // case without a redirect): not token_failed.
    let f = finding(&r, "login_failed");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("issued a token, but the registry refused it"),
        "{f:#}"
    );
    assert!(!codes(&r).contains(&"token_failed".to_string()), "{r:#}");
}

#[test]
fn bearer_flow_fetches_a_token_from_a_realm_on_another_port() {
    let Some((code, r, token)) = bearer_run(&["127.0.0.1"]) else {
        return;
    };
    // The token was fetched over verified TLS; the registry refuses it (not a JWT it can
    // verify), which is the "registry does not trust its token service" failure.
    let f = finding(&r, "login_failed");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("issued a token, but the registry refused it"),
        "{f:#}"
    );
    assert_eq!(f["evidence"]["token_field"], "token");
    assert_eq!(f["evidence"]["realm"], format!("https://{token}/token"));
    let out = serde_json::to_string(&r).unwrap();
    assert!(
        !out.contains("not-a-jwt-the-registry-accepts"),
        "the token leaked into the report"
    );
    assert_eq!(code, 1);
}

#[test]
fn bearer_realm_whose_certificate_lacks_the_ip_is_reported_under_credentials() {
    let Some((_, r, _)) = bearer_run(&["auth.example.internal"]) else {
        return;
    };
    let f = finding(&r, "token_failed");
    let m = f["message"].as_str().unwrap();
    assert!(m.contains("doesn't contain any IP SANs"), "{m}");
    assert!(
        f["client_error"]
            .as_str()
            .unwrap()
            .starts_with("failed to fetch oauth token: Get \"https://127.0.0.1:"),
        "{f:#}"
    );
}
