//! A private containerd in the test's namespace, driven by ctr.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{PULL_TIMEOUT, PullResult, in_private_mounts, run_bounded, stop, wait_ready};
use crate::common::netns::Netns;
use crate::common::tool;

/// A private containerd in a namespace (own root, state, sockets, config.toml with the
/// CRI plugin disabled, as Docker CE ships it) and `ctr images pull --hosts-dir`.
///
/// The config.toml is a version 1 file like Docker CE's: 1.6.20 accepts the short name
/// `"cri"` in `disabled_plugins` only there; with `version = 2` it refuses to start
/// ("invalid disabled plugin URI \"cri\" expect io.containerd.x.vx", observed).
pub struct Containerd<'a> {
    ns: &'a Netns,
    dir: tempfile::TempDir,
    ctr: PathBuf,
    child: Child,
    env: Vec<(String, String)>,
}

impl<'a> Containerd<'a> {
    /// Starts containerd and waits until it serves. None (after a SKIPPED line) when
    /// containerd, ctr or unshare is missing.
    pub fn start(ns: &'a Netns) -> Option<Containerd<'a>> {
        let containerd = tool("containerd")?;
        let ctr = tool("ctr")?;
        tool("unshare")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("hosts")).unwrap();
        let config = format!(
            "root = \"{root}\"\nstate = \"{state}\"\ndisabled_plugins = [\"cri\"]\n\n[grpc]\n  address = \"{sock}\"\n\n[ttrpc]\n  address = \"{sock}.ttrpc\"\n",
            root = d.join("root").display(),
            state = d.join("state").display(),
            sock = d.join("containerd.sock").display(),
        );
        std::fs::write(d.join("config.toml"), config).unwrap();
        // What the CRI plugin would read to pull the way `ctr --hosts-dir` does: the same
        // hosts directory as its config_path. regdoctor is given this file.
        let node = format!(
            "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n",
            d.join("hosts").display()
        );
        std::fs::write(d.join("node-config.toml"), node).unwrap();
        let log_path = d.join("containerd.log");
        let log = File::create(&log_path).unwrap();
        // A private mount namespace: unpacking mounts snapshots, which must not show
        // up on the machine.
        let mut child = in_private_mounts(ns, &[], &containerd)
            .arg("--config")
            .arg(d.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        if let Err(last) = wait_ready(
            &mut child,
            &log_path,
            "containerd successfully booted",
            "containerd",
        ) {
            stop(&mut child);
            panic!("containerd exited: {last}");
        }
        Some(Containerd {
            ns,
            dir,
            ctr,
            child,
            env: vec![],
        })
    }

    /// The directory given to `ctr images pull --hosts-dir` (and to regdoctor as
    /// --containerd-certs-d).
    pub fn hosts_dir(&self) -> PathBuf {
        self.dir.path().join("hosts")
    }

    /// Writes `hosts_dir()/<dir>/hosts.toml` (the directory name is given as is, so a
    /// test can try `host:port` and `host_port_`).
    pub fn write_hosts_toml(&self, dir: &str, text: &str) -> PathBuf {
        let d = self.hosts_dir().join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("hosts.toml"), text).unwrap();
        d
    }

    /// Removes every entry of the hosts directory.
    pub fn clear_hosts(&self) {
        let _ = std::fs::remove_dir_all(self.hosts_dir());
        std::fs::create_dir_all(self.hosts_dir()).unwrap();
    }

    /// The environment of the pulls (proxy variables): `ctr images pull` fetches in the
    /// ctr process itself, so ctr gets it; regdoctor reads it from the drop-in
    /// `containerd.service.d/http-proxy.conf` of a node root, where the CRI plugin's
    /// containerd would have it.
    pub fn set_env(&mut self, env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        super::write_env_drop_in(
            &self.dir.path().join("host"),
            "containerd.service",
            &self.env,
        );
    }

    fn ctr(&self) -> Command {
        let mut c = self.ns.command(&self.ctr);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c.arg("--address")
            .arg(self.dir.path().join("containerd.sock"));
        c
    }

    /// `ctr images pull --hosts-dir HOSTS [extra] IMAGE` (extra: `--user u:p`,
    /// `--plain-http`, ...); the native snapshotter, so no overlayfs is needed. A pulled
    /// image is removed again.
    pub fn pull(&self, image: &str, extra: &[&str]) -> PullResult {
        let r = self.pull_only(image, extra);
        if r.ok {
            run_bounded(self.ctr().args(["images", "rm", image]), PULL_TIMEOUT);
        }
        r
    }

    /// [`Containerd::pull`] without removing the pulled image (see
    /// [`Containerd::forget_all`]).
    pub fn pull_only(&self, image: &str, extra: &[&str]) -> PullResult {
        let mut c = self.ctr();
        c.args(["images", "pull", "--snapshotter", "native", "--hosts-dir"])
            .arg(self.hosts_dir())
            .args(extra)
            .arg(image);
        let (ok, out, err) = run_bounded(&mut c, PULL_TIMEOUT);
        PullResult::from_run(ok, &out, &err)
    }

    /// `ctr images pull` stopped after `limit`: whether it ended by itself, and its result.
    pub fn pull_within(&self, image: &str, limit: std::time::Duration) -> (bool, PullResult) {
        let mut c = self.ctr();
        c.args(["images", "pull", "--snapshotter", "native", "--hosts-dir"])
            .arg(self.hosts_dir())
            .arg(image);
        let started = std::time::Instant::now();
        let (ok, out, err) = run_bounded(&mut c, limit);
        (
            started.elapsed() < limit,
            PullResult::from_run(ok, &out, &err),
        )
    }

    /// Removes every image and every blob from containerd's store, so the next pull
    /// fetches everything again (containerd skips a blob it already holds, whichever
    /// registry it came from, and `images rm` leaves the blobs to a later garbage
    /// collection).
    pub fn forget_all(&self) {
        let list = |args: &[&str]| -> Vec<String> {
            let (_, out, _) = run_bounded(self.ctr().args(args), PULL_TIMEOUT);
            out.lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        };
        let images = list(&["images", "ls", "-q"]);
        if !images.is_empty() {
            run_bounded(
                self.ctr().args(["images", "rm", "--sync"]).args(&images),
                PULL_TIMEOUT,
            );
        }
        let blobs = list(&["content", "ls", "-q"]);
        if !blobs.is_empty() {
            run_bounded(
                self.ctr().args(["content", "rm"]).args(&blobs),
                PULL_TIMEOUT,
            );
        }
    }

    /// regdoctor's node flags: the hosts directory and a config.toml whose CRI
    /// `config_path` is that directory.
    pub fn node_args(&self) -> Vec<String> {
        vec![
            "--runtime".into(),
            "containerd".into(),
            "--containerd-version".into(),
            "1.6.20".into(),
            "--go-version".into(),
            super::go_version_of("containerd"),
            "--containerd-certs-d".into(),
            self.hosts_dir().display().to_string(),
            "--containerd-config".into(),
            self.dir
                .path()
                .join("node-config.toml")
                .display()
                .to_string(),
        ]
        .into_iter()
        .chain(
            (!self.env.is_empty())
                .then(|| {
                    [
                        "--host-root".into(),
                        self.dir.path().join("host").display().to_string(),
                    ]
                })
                .into_iter()
                .flatten(),
        )
        .collect()
    }
}

impl Drop for Containerd<'_> {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
