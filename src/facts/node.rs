//! Facts about this node's runtime configuration: Docker's daemon.json and certs.d,
//! containerd's certs.d (hosts.toml) and config.toml — as read, unjudged.

use std::collections::BTreeMap;

use serde::Serialize;

/// A text file as read.
#[derive(Debug, Clone, Serialize)]
pub struct TextFile {
    /// Its path.
    pub path: String,
    /// Its text (lossy UTF-8).
    #[serde(skip)]
    pub text: String,
}

/// [`NodeFile::error`] of a file that does not exist (a path a hosts.toml names).
pub const NOT_FOUND: &str = "it does not exist";

/// A file inside a host directory.
#[derive(Debug, Clone, Serialize)]
pub struct NodeFile {
    /// The file name.
    pub name: String,
    /// Its bytes (at most 1 MiB).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// A subdirectory rather than a file.
    pub is_dir: bool,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// One directory under a certs.d root.
#[derive(Debug, Clone, Serialize)]
pub struct HostDir {
    /// The directory name (`host:port`, `host_port_`, `_default`...).
    pub name: String,
    /// Its entries, sorted by name.
    pub files: Vec<NodeFile>,
    /// Base names whose `<base>.key` is not the key of `<base>.cert` (computed when read:
    /// loading a private key needs the OS random source, which checks do not touch).
    pub mismatched_pairs: Vec<String>,
}

/// A certs.d root.
#[derive(Debug, Clone, Serialize)]
pub struct CertsRoot {
    /// The root path.
    pub root: String,
    /// Its subdirectories: the targets' own (looked up by name) and at most 500 others.
    pub dirs: Vec<HostDir>,
    /// Entries not read: beyond the 500 other directories listed (0 when all were read).
    pub unread: u64,
    /// Files that hosts.toml files point to outside their directory, by absolute path.
    #[serde(skip)]
    pub referenced: BTreeMap<String, NodeFile>,
}

/// Where a node file's facts came from, or why there are none.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Source<T> {
    /// Read from this path.
    Read(T),
    /// The default path does not exist on this node.
    Absent {
        /// The default path.
        path: String,
    },
    /// Not read: no node configuration was asked for.
    NotRead,
    /// The default path is there but regdoctor did not read it (a pipe, a device, too
    /// large, no permission): a finding, where a path the user named is exit 2.
    Unreadable {
        /// The default path.
        path: String,
        /// Why, in the loader's words ("it is not a regular file (a device, pipe or socket)").
        why: String,
    },
}

impl<T> Source<T> {
    /// The facts, when read.
    pub fn read(&self) -> Option<&T> {
        match self {
            Source::Read(t) => Some(t),
            _ => None,
        }
    }
}

/// A runtime's installation, as found on the node.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Install {
    /// What shows it is there: its configuration files, binaries, sockets, or the flag
    /// that named its files (empty: not found, or not looked for).
    pub evidence: Vec<String>,
    /// Its version (`containerd --version`), when known.
    pub version: Option<String>,
    /// The Go version its binary was built with (from the binary's build information).
    pub go_version: Option<String>,
}

/// The runtimes' installations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Installs {
    /// Whether the node was searched for them (not with --no-node-defaults).
    pub looked: bool,
    /// Docker Engine.
    pub docker: Install,
    /// containerd.
    pub containerd: Install,
    /// CRI-O, podman, skopeo, buildah (containers/image).
    pub containers: Install,
}

/// A systemd service's unit file and drop-ins, in the order systemd applies them, and the
/// environment files they name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceFiles {
    /// The unit, then its drop-ins.
    pub units: Vec<TextFile>,
    /// `EnvironmentFile=` files that could be read.
    pub env_files: Vec<TextFile>,
}

impl ServiceFiles {
    /// What the unit files say, applied as systemd applies them: the effective command
    /// line and the process's environment.
    pub fn service(&self) -> crate::formats::systemd::Service {
        use crate::formats::systemd;
        let units: Vec<systemd::UnitText<'_>> = self
            .units
            .iter()
            .map(|u| systemd::UnitText {
                path: &u.path,
                text: &u.text,
            })
            .collect();
        let mut env = |p: &str| {
            self.env_files
                .iter()
                .find(|f| f.path == p)
                .map(|f| f.text.clone())
        };
        systemd::parse(&units, &mut env)
    }
}

/// Everything read from the node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeFacts {
    /// Docker's daemon.json.
    pub daemon_json: Source<TextFile>,
    /// The Docker Engine version, when known (`--docker-version` or `dockerd --version`).
    pub docker_version: Option<String>,
    /// Docker's certs.d.
    pub docker_certs_d: Source<CertsRoot>,
    /// containerd's certs.d (hosts.toml directories).
    pub containerd_certs_d: Source<CertsRoot>,
    /// containerd's config.toml.
    pub containerd_config: Source<TextFile>,
    /// containers/image's registries.conf.
    pub registries_conf: Source<TextFile>,
    /// containers/image's registries.conf.d drop-ins, in the order they apply.
    pub registries_conf_d: Vec<Source<TextFile>>,
    /// Drop-ins beyond the first 100 (in name order), not read.
    pub registries_conf_d_unread: usize,
    /// containers/image's certs.d roots, in search order.
    pub containers_certs_d: Vec<Source<CertsRoot>>,
    /// The runtimes installed on the node.
    pub installs: Installs,
    /// dockerd's systemd service (None: not read).
    pub docker_service: Option<ServiceFiles>,
    /// containerd's systemd service (None: not read).
    pub containerd_service: Option<ServiceFiles>,
    /// CRI-O's systemd service (None: not read).
    pub crio_service: Option<ServiceFiles>,
    /// regdoctor's own proxy variables (the shell or container it runs in): what `curl`
    /// here would use. Values may hold a proxy password: never serialised.
    #[serde(skip)]
    pub own_proxy_env: Vec<crate::formats::systemd::EnvVar>,
}

impl Default for NodeFacts {
    fn default() -> Self {
        NodeFacts {
            daemon_json: Source::NotRead,
            docker_version: None,
            docker_certs_d: Source::NotRead,
            containerd_certs_d: Source::NotRead,
            containerd_config: Source::NotRead,
            registries_conf: Source::NotRead,
            registries_conf_d: Vec::new(),
            registries_conf_d_unread: 0,
            containers_certs_d: Vec::new(),
            installs: Installs::default(),
            docker_service: None,
            containerd_service: None,
            crio_service: None,
            own_proxy_env: Vec::new(),
        }
    }
}

impl NodeFacts {
    /// The runtime this node seems to run, from which configuration exists.
    pub fn guess_runtime(&self) -> super::RuntimeChoice {
        use super::{Runtime, RuntimeChoice};
        let read = |s: &Source<TextFile>| s.read().map(|f| f.path.clone());
        let root = |s: &Source<CertsRoot>| s.read().map(|r| r.root.clone());
        if let Some(p) = read(&self.daemon_json).or_else(|| root(&self.docker_certs_d)) {
            return RuntimeChoice::new(Runtime::Docker, format!("guessed: {p} exists"));
        }
        if let Some(p) = read(&self.containerd_config).or_else(|| root(&self.containerd_certs_d)) {
            return RuntimeChoice::new(Runtime::Containerd, format!("guessed: {p} exists"));
        }
        if let Some(p) = read(&self.registries_conf) {
            return RuntimeChoice::new(Runtime::CriO, format!("guessed: {p} exists"));
        }
        RuntimeChoice::new(
            Runtime::Docker,
            if self.installs.looked {
                "default: no runtime found on this node"
            } else {
                "default: --no-node-defaults, so no node file was read"
            },
        )
    }
}

/// Every string in a string, array of strings, or array of arrays of strings.
pub fn toml_strings(v: Option<&toml::Value>) -> Vec<String> {
    match v {
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(toml::Value::Array(a)) => a.iter().flat_map(|x| toml_strings(Some(x))).collect(),
        _ => vec![],
    }
}
