//! skopeo (containers/image, the library of CRI-O and podman) in the test's namespace.

use std::path::PathBuf;

use super::{PULL_TIMEOUT, PullResult, in_private_mounts, mount_point, run_bounded};
use crate::common::netns::Netns;
use crate::common::tool;

/// skopeo (containers/image, as CRI-O and podman) in a namespace and a private mount
/// namespace where /etc/containers and /etc/docker are the handle's directories, with a
/// private HOME and XDG_RUNTIME_DIR: registries.conf, registries.conf.d and the three
/// certs.d roots are the test's. skopeo 1.9.3 ignores CONTAINERS_REGISTRIES_CONF
/// (observed), so the system paths are the way in.
pub struct Skopeo<'a> {
    ns: &'a Netns,
    dir: tempfile::TempDir,
    skopeo: PathBuf,
    env: Vec<(String, String)>,
}

impl<'a> Skopeo<'a> {
    /// Prepares the private directories with an accept-anything policy.json and a
    /// registries.conf without search registries. None (after a SKIPPED line) when
    /// skopeo, unshare, /etc/containers or /etc/docker is missing.
    pub fn new(ns: &'a Netns) -> Option<Skopeo<'a>> {
        let skopeo = tool("skopeo")?;
        tool("unshare")?;
        mount_point("/etc/containers")?;
        mount_point("/etc/docker")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // All three certs.d roots exist (empty roots change nothing for skopeo: only a
        // <host:port> directory below one counts).
        for p in [
            "etc-containers/registries.conf.d",
            "etc-containers/certs.d",
            "etc-docker/certs.d",
            "home/.config/containers/certs.d",
            "run",
        ] {
            std::fs::create_dir_all(d.join(p)).unwrap();
        }
        std::fs::write(
            d.join("etc-containers/policy.json"),
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("etc-containers/registries.conf"),
            "unqualified-search-registries = []\n",
        )
        .unwrap();
        Some(Skopeo {
            ns,
            dir,
            skopeo,
            env: vec![],
        })
    }

    /// The environment of the pulls (proxy variables), given to skopeo's process;
    /// regdoctor reads it from the drop-in `crio.service.d/http-proxy.conf` of a node
    /// root, where CRI-O would have it.
    pub fn set_env(&mut self, env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        super::write_env_drop_in(&self.dir.path().join("host"), "crio.service", &self.env);
    }

    /// The private /etc/containers.
    pub fn etc_containers(&self) -> PathBuf {
        self.dir.path().join("etc-containers")
    }

    /// The private /etc/docker.
    pub fn etc_docker(&self) -> PathBuf {
        self.dir.path().join("etc-docker")
    }

    /// The private HOME.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The three certs.d roots in containers/image's search order.
    pub fn certs_d_roots(&self) -> [PathBuf; 3] {
        [
            self.home().join(".config/containers/certs.d"),
            self.etc_containers().join("certs.d"),
            self.etc_docker().join("certs.d"),
        ]
    }

    /// `skopeo copy [extra] docker://IMAGE dir:TMP`: fetches manifest, config and layer
    /// as a CRI-O pull does.
    pub fn pull(&self, image: &str, extra: &[&str]) -> PullResult {
        let out = tempfile::tempdir().unwrap();
        let d = self.dir.path();
        let (containers, docker) = (self.etc_containers(), self.etc_docker());
        let mounts = [(&*containers, "/etc/containers"), (&*docker, "/etc/docker")];
        let mut c = in_private_mounts(self.ns, &mounts, &self.skopeo);
        c.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("HOME", self.home())
            .env("XDG_RUNTIME_DIR", d.join("run"))
            .env_remove("CONTAINERS_REGISTRIES_CONF")
            .env_remove("REGISTRY_AUTH_FILE")
            .args(["copy", "-q"])
            .args(extra)
            .arg(format!("docker://{image}"))
            .arg(format!("dir:{}", out.path().join("image").display()));
        let (ok, out, err) = run_bounded(&mut c, PULL_TIMEOUT);
        PullResult::from_run(ok, &out, &err)
    }

    /// `skopeo copy [extra] docker://IMAGE containers-storage:[vfs@ROOT+RUNROOT]IMAGE`
    /// into a fresh store: the pull CRI-O makes (containers/image copying into
    /// containers-storage). Unlike a `dir:` copy, containers-storage must match the
    /// runtime's OS, so the image config is read **before** the layers
    /// (`copy.checkImageDestinationForCurrentRuntime`) and a failing config blob reads
    /// `parsing image configuration: …` (a `dir:` copy reads the layers first: `reading
    /// blob sha256:…: …`). /var/lib/containers (containers/image's blob-info cache) is a
    /// private directory too when it exists on this machine.
    pub fn pull_to_storage(&self, image: &str, extra: &[&str]) -> PullResult {
        let store = tempfile::tempdir().unwrap();
        let d = self.dir.path();
        let (containers, docker) = (self.etc_containers(), self.etc_docker());
        let cache = store.path().join("var-lib-containers");
        std::fs::create_dir_all(&cache).unwrap();
        let mut mounts = vec![(&*containers, "/etc/containers"), (&*docker, "/etc/docker")];
        if std::path::Path::new("/var/lib/containers").is_dir() {
            mounts.push((&*cache, "/var/lib/containers"));
        }
        let mut c = in_private_mounts(self.ns, &mounts, &self.skopeo);
        c.env("HOME", self.home())
            .env("XDG_RUNTIME_DIR", d.join("run"))
            .env_remove("CONTAINERS_REGISTRIES_CONF")
            .env_remove("REGISTRY_AUTH_FILE")
            .args(["copy", "-q"])
            .args(extra)
            .arg(format!("docker://{image}"))
            .arg(format!(
                "containers-storage:[vfs@{}+{}]{image}",
                store.path().join("root").display(),
                store.path().join("runroot").display()
            ));
        let (ok, out, err) = run_bounded(&mut c, PULL_TIMEOUT);
        PullResult::from_run(ok, &out, &err)
    }

    /// regdoctor's node flags: registries.conf and the three certs.d roots.
    pub fn node_args(&self) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--runtime".into(),
            "cri-o".into(),
            "--go-version".into(),
            super::go_version_of("skopeo"),
            "--registries-conf".into(),
            self.etc_containers()
                .join("registries.conf")
                .display()
                .to_string(),
        ];
        for root in self.certs_d_roots() {
            v.push("--containers-certs-d".into());
            v.push(root.display().to_string());
        }
        if !self.env.is_empty() {
            v.push("--host-root".into());
            v.push(self.dir.path().join("host").display().to_string());
        }
        v
    }
}
