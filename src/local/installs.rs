//! Which runtimes this node has — by their configuration files, binaries, sockets and
//! systemd units — with their versions and the Go version of their binaries; and a
//! service's systemd unit files as systemd would read them.

use std::path::Path;

use super::HostRoot;
use super::node::NodeOptions;
use crate::facts::node::{Install, Installs, NodeFacts, ServiceFiles, Source, TextFile};

const DOCKER_BINARIES: &[&str] = &[
    "/usr/bin/dockerd",
    "/usr/sbin/dockerd",
    "/usr/local/bin/dockerd",
];
const DOCKER_SOCKETS: &[&str] = &["/run/docker.sock", "/var/run/docker.sock"];
const CONTAINERD_BINARIES: &[&str] = &[
    "/usr/bin/containerd",
    "/usr/local/bin/containerd",
    "/usr/sbin/containerd",
];
const CONTAINERD_SOCKETS: &[&str] = &["/run/containerd/containerd.sock"];
/// CRI-O first: its Go version is the one that matters for kubelet pulls.
const CONTAINERS_BINARIES: &[&str] = &[
    "/usr/bin/crio",
    "/usr/local/bin/crio",
    "/usr/bin/podman",
    "/usr/bin/skopeo",
    "/usr/bin/buildah",
];
const CONTAINERS_SOCKETS: &[&str] = &["/run/crio/crio.sock", "/var/run/crio/crio.sock"];

/// The directories systemd reads a system unit from, in precedence order.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];
/// Unit files and environment files are small; this is generous.
const MAX_UNIT: u64 = 256 * 1024;

fn exists(root: &HostRoot, p: &str) -> bool {
    root.at(p).exists()
}

/// What shows each runtime is installed.
pub fn find(opts: &NodeOptions, node: &NodeFacts) -> Installs {
    let root = &opts.host_root;
    let look = !opts.no_defaults;
    let mut docker = Install::default();
    let mut containerd = Install::default();
    let mut containers = Install::default();
    let read = |s: &Source<TextFile>| s.read().map(|f| format!("{} exists", f.path));
    let named = |given: bool, flag: &str| given.then(|| format!("{flag} was given"));
    docker.evidence.extend(read(&node.daemon_json));
    docker
        .evidence
        .extend(named(opts.docker_certs_d.is_some(), "--docker-certs-d"));
    containerd.evidence.extend(read(&node.containerd_config));
    containerd.evidence.extend(named(
        opts.containerd_certs_d.is_some(),
        "--containerd-certs-d",
    ));
    containers.evidence.extend(read(&node.registries_conf));
    containers.evidence.extend(named(
        !opts.containers_certs_d.is_empty(),
        "--containers-certs-d",
    ));
    if look {
        for (install, binaries, sockets) in [
            (&mut docker, DOCKER_BINARIES, DOCKER_SOCKETS),
            (&mut containerd, CONTAINERD_BINARIES, CONTAINERD_SOCKETS),
            (&mut containers, CONTAINERS_BINARIES, CONTAINERS_SOCKETS),
        ] {
            if let Some(bin) = binaries.iter().find(|b| exists(root, b)) {
                install.evidence.push(format!("{bin} exists"));
                install.go_version = super::gobuild::go_version(&root.at(bin));
            }
            if let Some(sock) = sockets.iter().find(|s| exists(root, s)) {
                install.evidence.push(format!("{sock} exists"));
            }
        }
        if let Some(svc) = &node.docker_service
            && let Some(unit) = svc.units.first()
            && docker.evidence.is_empty()
        {
            docker.evidence.push(format!("{} exists", unit.path));
        }
        if !root.is_set() && !containerd.evidence.is_empty() {
            containerd.version = version_of("containerd", &["--version"], 2);
        }
    }
    Installs {
        looked: look,
        docker,
        containerd,
        containers,
    }
}

/// The `word`-th word of `program args`'s first output line.
fn version_of(program: &str, args: &[&str], word: usize) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text.lines().next()?.split_whitespace().nth(word)?;
    Some(v.to_string())
}

fn read_text(root: &HostRoot, shown: &str) -> Option<TextFile> {
    let bytes = super::read_capped(&root.at(shown), MAX_UNIT).ok()?;
    Some(TextFile {
        path: shown.to_string(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// A service's unit file, its drop-ins (`<name>.d/*.conf`, by file name; a file in an
/// earlier directory hides one of the same name in a later one) and the environment
/// files it names.
pub fn service_files(root: &HostRoot, name: &str) -> ServiceFiles {
    let mut files = ServiceFiles::default();
    if let Some(unit) = UNIT_DIRS
        .iter()
        .find_map(|d| read_text(root, &format!("{d}/{name}")))
    {
        files.units.push(unit);
    }
    let mut dropins: Vec<(String, String)> = Vec::new();
    for d in UNIT_DIRS {
        let dir = format!("{d}/{name}.d");
        let Ok(rd) = std::fs::read_dir(root.at(&dir)) else {
            continue;
        };
        for e in rd.flatten().take(256) {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".conf") && !dropins.iter().any(|(seen, _)| *seen == n) {
                dropins.push((n.clone(), format!("{dir}/{n}")));
            }
        }
    }
    dropins.sort();
    files
        .units
        .extend(dropins.iter().filter_map(|(_, p)| read_text(root, p)));
    for unit in &files.units {
        for line in unit.text.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("EnvironmentFile=") {
                let p = v.trim().trim_start_matches('-');
                if Path::new(p).is_absolute()
                    && let Some(f) = read_text(root, p)
                {
                    files.env_files.push(f);
                }
            }
        }
    }
    files
}
