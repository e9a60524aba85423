//! A private dockerd (Docker Engine) in the test's namespace, driven by the docker CLI.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::{
    PULL_TIMEOUT, PullResult, in_private_mounts, kill_leftover, mount_point, run_bounded, stop,
    wait_ready,
};
use crate::common::netns::Netns;
use crate::common::tool;

/// The flags the harness gives dockerd so it runs in a namespace without touching the
/// machine, keyed by the daemon.json key that sets the same thing: when the test's
/// daemon.json has the key, the flag is left out (dockerd refuses a directive given
/// both ways, even with the same value: observed). `-H` is always given.
const DOCKERD_FLAGS: &[(&[&str], &str)] = &[
    (&["bridge"], "--bridge=none"),
    (&["iptables"], "--iptables=false"),
    (&["ip6tables"], "--ip6tables=false"),
    (&["storage-driver"], "--storage-driver=vfs"),
];

/// A private dockerd in a namespace (its own data-root, exec-root, socket and pidfile;
/// /etc/docker is the handle's `etc()` directory). The handle also lays out a node root
/// for regdoctor's `--host-root`: `host/etc/docker` (what dockerd sees as /etc/docker),
/// `host/etc/systemd/system/docker.service` with the command line dockerd really runs
/// with, and `host/usr/sbin/dockerd` (a link to the real binary, for its Go version).
pub struct Dockerd<'a> {
    ns: &'a Netns,
    dir: tempfile::TempDir,
    dockerd: PathBuf,
    docker: PathBuf,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

impl<'a> Dockerd<'a> {
    /// Prepares the directories; [`Dockerd::start`] starts it. None (after a SKIPPED
    /// line) when dockerd, docker, unshare or /etc/docker is missing.
    pub fn new(ns: &'a Netns) -> Option<Dockerd<'a>> {
        let dockerd = tool("dockerd")?;
        let docker = tool("docker")?;
        tool("unshare")?;
        mount_point("/etc/docker")?;
        let dir = tempfile::tempdir().unwrap();
        for d in [
            "host/etc/docker/certs.d",
            "host/etc/systemd/system",
            "host/usr/sbin",
            "root",
            "exec",
            "docker-config",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::os::unix::fs::symlink(&dockerd, dir.path().join("host/usr/sbin/dockerd")).unwrap();
        std::fs::write(dir.path().join("docker-config/config.json"), "{}").unwrap();
        Some(Dockerd {
            ns,
            dir,
            dockerd,
            docker,
            child: None,
            env: vec![],
        })
    }

    /// The private /etc/docker.
    pub fn etc(&self) -> PathBuf {
        self.host().join("etc/docker")
    }

    /// The node root regdoctor judges with `--host-root`.
    pub fn host(&self) -> PathBuf {
        self.dir.path().join("host")
    }

    /// `/etc/docker/certs.d/<host>` (created).
    pub fn certs_d(&self, host: &str) -> PathBuf {
        let p = self.etc().join("certs.d").join(host);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// A data-root path inside the handle's directory, for a daemon.json `graph` or
    /// `data-root` key.
    pub fn data_root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The handle's own directory (exec-root, socket, data-root live there).
    pub fn work_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn sock(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// The environment of the next start (proxy variables): given to dockerd's process,
    /// and written as the drop-in `docker.service.d/http-proxy.conf` of the node root, as
    /// a node would have it.
    pub fn set_env(&mut self, env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }

    /// Writes `daemon_json` and (re)starts dockerd with it. Err(dockerd's last line)
    /// when dockerd exits instead of serving, e.g. "unable to configure the Docker
    /// daemon with file /etc/docker/daemon.json: unexpected EOF".
    pub fn start(&mut self, daemon_json: &str) -> Result<(), String> {
        self.stop();
        std::fs::write(self.etc().join("daemon.json"), daemon_json).unwrap();
        let keys: Vec<String> = serde_json::from_str::<Value>(daemon_json)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        let has = |k: &str| keys.iter().any(|x| x == k);
        let d = self.dir.path();
        let mut args: Vec<String> = vec![
            format!("--exec-root={}", d.join("exec").display()),
            format!("--host=unix://{}", self.sock().display()),
            format!("--pidfile={}", d.join("docker.pid").display()),
        ];
        if !has("data-root") && !has("graph") {
            args.push(format!("--data-root={}", d.join("root").display()));
        }
        for (keys, flag) in DOCKERD_FLAGS {
            if !keys.iter().any(|k| has(k)) {
                args.push(flag.to_string());
            }
        }
        // The unit a node would have: regdoctor reads dockerd's command line from it.
        std::fs::write(
            self.host().join("etc/systemd/system/docker.service"),
            format!(
                "[Service]\nExecStart=/usr/sbin/dockerd {}\n",
                args.join(" ")
            ),
        )
        .unwrap();
        super::write_env_drop_in(&self.host(), "docker.service", &self.env);
        let log_path = d.join("dockerd.log");
        let log = File::create(&log_path).unwrap();
        let etc = self.etc();
        let mut child = in_private_mounts(self.ns, &[(&etc, "/etc/docker")], &self.dockerd)
            .args(&args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let ready = wait_ready(&mut child, &log_path, "API listen on", "dockerd");
        self.child = Some(child);
        if ready.is_err() {
            self.stop();
        }
        ready
    }

    /// Stops dockerd (and the containerd it started) if it runs.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop(&mut c);
            let exec = self.dir.path().join("exec");
            kill_leftover(
                &exec.join("containerd/containerd.pid"),
                &exec.to_string_lossy(),
            );
        }
    }

    /// dockerd's log of its last start.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }

    /// `docker pull IMAGE` with `DOCKER_CONFIG` = `docker_config` (a directory holding
    /// config.json; None: an empty one). A pulled image is removed again, so the next
    /// pull of it goes to the registry from scratch.
    pub fn pull(&self, image: &str, docker_config: Option<&Path>) -> PullResult {
        let r = self.pull_only(image, docker_config);
        if r.ok {
            self.rmi(image);
        }
        r
    }

    fn docker(&self, docker_config: Option<&Path>, args: &[&str]) -> Command {
        let empty = self.dir.path().join("docker-config");
        let mut c = self.ns.command(&self.docker);
        c.env("DOCKER_CONFIG", docker_config.unwrap_or(&empty))
            .arg("--host")
            .arg(format!("unix://{}", self.sock().display()))
            .args(args);
        c
    }

    /// `docker pull IMAGE` alone (the pulled image stays: see [`Dockerd::rmi`]).
    pub fn pull_only(&self, image: &str, docker_config: Option<&Path>) -> PullResult {
        let (ok, out, err) = run_bounded(
            &mut self.docker(docker_config, &["pull", image]),
            PULL_TIMEOUT,
        );
        PullResult::from_run(ok, &out, &err)
    }

    /// `docker pull IMAGE` stopped after `limit`: whether it ended by itself, and its result.
    pub fn pull_within(&self, image: &str, limit: std::time::Duration) -> (bool, PullResult) {
        let started = std::time::Instant::now();
        let (ok, out, err) = run_bounded(&mut self.docker(None, &["pull", image]), limit);
        (
            started.elapsed() < limit,
            PullResult::from_run(ok, &out, &err),
        )
    }

    /// `docker rmi -f IMAGE`: the next pull of it goes to the registry from scratch.
    pub fn rmi(&self, image: &str) {
        run_bounded(&mut self.docker(None, &["rmi", "-f", image]), PULL_TIMEOUT);
    }

    /// regdoctor's node flags for this dockerd: its daemon.json and certs.d.
    pub fn node_args(&self) -> Vec<String> {
        vec![
            "--runtime".into(),
            "docker".into(),
            "--docker-version".into(),
            "20.10.24".into(),
            "--host-root".into(),
            self.host().display().to_string(),
        ]
    }
}

impl Drop for Dockerd<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}
