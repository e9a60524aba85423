//! regdoctor's port of Go's proxy decision (`src/formats/httpproxy.rs`) against the real
//! one: a Go program (built once per run with the installed `go`, offline) calls
//! `net/http.ProxyFromEnvironment` — `golang.org/x/net/http/httpproxy` as vendored in the
//! standard library — with each environment, for each request URL, and regdoctor must
//! choose the same proxy (or none) for every one. Nothing is dialled.
//!
//! Without `go` the test says SKIPPED; under `CI` it fails instead.

use regdoctor::formats::httpproxy::{Config, Decision, GoRules};

use crate::common::goclient::build_go;

/// Prints Go's version, then for each URL argument the proxy Go picks as
/// `scheme://host:port user=bool` (never its password), `-` for none, `ERR …` for an
/// error. The environment comes from the process's own.
const DECIDE: &str = r#"package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
)

func main() {
	fmt.Println(runtime.Version())
	for _, u := range os.Args[1:] {
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		p, err := http.ProxyFromEnvironment(req)
		switch {
		case err != nil:
			fmt.Println("ERR", err)
		case p == nil:
			fmt.Println("-")
		default:
			fmt.Printf("%s://%s:%s user=%v\n", p.Scheme, p.Hostname(), p.Port(), p.User != nil)
		}
	}
}
"#;

/// The request URLs asked for every environment.
const URLS: &[&str] = &[
    "https://registry.example.com/v2/",
    "https://registry.example.com:5000/v2/",
    "https://sub.registry.example.com/v2/",
    "https://example.com/v2/",
    "https://notexample.com/v2/",
    "https://10.0.0.5:5000/v2/",
    "https://10.1.2.3/v2/",
    "https://192.168.1.1/v2/",
    "https://[2001:db8::1]:5000/v2/",
    "https://localhost:5000/v2/",
    "https://127.0.0.1:5000/v2/",
    "https://[::1]:5000/v2/",
    "https://REGISTRY.Example.COM/v2/",
    "http://registry.example.com/v2/",
    "http://10.0.0.5:5000/v2/",
    "https://blobs.s3.amazonaws.com/x",
];

/// Environments: the variables set (each run starts from an empty proxy environment).
fn environments() -> Vec<Vec<(&'static str, &'static str)>> {
    let p = ("HTTPS_PROXY", "http://proxy.corp:3128");
    vec![
        vec![p],
        vec![("https_proxy", "http://lower:3128")],
        vec![("HTTPS_PROXY", ""), ("https_proxy", "http://lower:3128")],
        vec![p, ("https_proxy", "http://lower:3128")],
        vec![p, ("NO_PROXY", "registry.example.com")],
        vec![p, ("NO_PROXY", ".registry.example.com")],
        vec![p, ("NO_PROXY", "*.example.com")],
        vec![p, ("NO_PROXY", "example.com")],
        vec![p, ("NO_PROXY", "10.0.0.0/8,2001:db8::/32")],
        vec![p, ("NO_PROXY", "10.0.0.5")],
        vec![p, ("NO_PROXY", "10.0.0.5:5000")],
        vec![p, ("NO_PROXY", "registry.example.com:5000")],
        vec![p, ("NO_PROXY", "[2001:db8::1]:5000")],
        vec![p, ("NO_PROXY", "*")],
        vec![p, ("no_proxy", "example.com"), ("NO_PROXY", "")],
        vec![p, ("no_proxy", "example.com"), ("NO_PROXY", "10.0.0.5")],
        vec![p, ("NO_PROXY", " Registry.Example.Com , .amazonaws.com ")],
        vec![("HTTPS_PROXY", "proxy.corp:3128")],
        vec![("HTTPS_PROXY", "http://alice:s3cret@proxy.corp:3128")],
        vec![("HTTPS_PROXY", "socks5://proxy.corp:1080")],
        vec![("HTTP_PROXY", "http://plain:8080")],
        vec![
            ("HTTP_PROXY", "http://plain:8080"),
            ("REQUEST_METHOD", "GET"),
        ],
        vec![p, ("NO_PROXY", "localhost,127.0.0.1")],
    ]
}

/// regdoctor's answer in Go's words.
fn ours(env: &[(&str, &str)], url: &str, rules: GoRules) -> String {
    let lookup = |name: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let cfg = Config::from_env(&lookup);
    let (scheme, rest) = url.split_once("://").unwrap();
    let authority = rest.split('/').next().unwrap();
    let (host, port) = match regdoctor::formats::httpproxy::split_host_port(authority) {
        Some((h, p)) => (h, Some(p.parse::<u16>().unwrap())),
        None => (authority.to_string(), None),
    };
    match cfg.proxy_func(rules).decide(scheme, &host, port) {
        Decision::Proxy(p) => format!(
            "{}://{}:{} user={}",
            p.scheme(),
            p.hostname(),
            p.port().unwrap_or_default(),
            p.has_credentials()
        ),
        Decision::Direct(_) => "-".into(),
        Decision::Refused(e) => format!("ERR {e}"),
    }
}

#[test]
fn the_proxy_decision_matches_go_s_for_every_environment() {
    let Some(bin) = build_go(
        "httpproxy-decide",
        "decide",
        DECIDE,
        "the proxy decision program",
    ) else {
        crate::common::skip("go is not installed: the proxy decision is not compared with Go's");
        return;
    };
    let mut compared = 0;
    for env in environments() {
        let mut cmd = std::process::Command::new(&bin);
        for v in crate::common::PROXY_VARIABLES {
            cmd.env_remove(v);
        }
        cmd.envs(env.iter().copied()).args(URLS);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        let version = lines.next().unwrap().to_string();
        let rules = GoRules::for_go(Some(&version));
        for (url, go) in URLS.iter().zip(lines) {
            assert_eq!(
                ours(&env, url, rules),
                go,
                "{version}, environment {env:?}, request {url}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, environments().len() * URLS.len());
}
