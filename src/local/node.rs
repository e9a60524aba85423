//! Reads this node's runtime configuration into facts: daemon.json, Docker's certs.d,
//! containerd's certs.d (with the files its hosts.toml files point to) and config.toml.
//! A default path that does not exist is a fact (`Absent`); a path the user named that
//! does not exist is a [`LoadError`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{HostRoot, LoadError, read_capped, read_file};
use crate::facts::node::{CertsRoot, HostDir, NodeFacts, NodeFile, Source, TextFile, toml_strings};

/// At most this many host directories other than the targets' own are read from a
/// certs.d root.
const MAX_DIRS: usize = 500;
/// At most this many `registries.conf.d` drop-ins are read.
const MAX_DROP_INS: usize = 100;
/// At most this many names of a certs.d root are listed (and sorted).
const MAX_LISTED: usize = 100_000;
/// At most this many bytes of one certs.d file.
pub const MAX_CERT_FILE: u64 = 1024 * 1024;

/// A path option: given by the user (must exist) or the default (may be absent).
pub struct PathChoice {
    /// The path to read.
    pub path: PathBuf,
    /// The path as shown: as on the node (the default without `--host-root`), or as named.
    pub shown: String,
    /// Named by the user.
    pub explicit: bool,
    /// The node's root, for paths written inside the file.
    pub host_root: HostRoot,
}

impl PathChoice {
    /// The user's path, else the default (under the host root).
    pub fn new(given: Option<&Path>, default: &str) -> PathChoice {
        PathChoice::rooted(given, default, &HostRoot::default())
    }

    /// The user's path as given, else the default under `root`.
    pub fn rooted(given: Option<&Path>, default: &str, root: &HostRoot) -> PathChoice {
        match given {
            Some(p) => PathChoice {
                path: p.to_path_buf(),
                shown: p.display().to_string(),
                explicit: true,
                host_root: root.clone(),
            },
            None => PathChoice {
                path: root.at(default),
                shown: default.to_string(),
                explicit: false,
                host_root: root.clone(),
            },
        }
    }
}

/// Reads a text file, or notes that the default is absent.
pub fn text_file(choice: &PathChoice) -> Result<Source<TextFile>, LoadError> {
    if !choice.explicit && !choice.path.exists() {
        return Ok(Source::Absent {
            path: choice.shown.clone(),
        });
    }
    let bytes = match read_file(&choice.path) {
        Ok(b) => b,
        Err(e) if !choice.explicit => {
            return Ok(Source::Unreadable {
                path: choice.shown.clone(),
                why: e.reason(),
            });
        }
        Err(e) => return Err(e),
    };
    Ok(Source::Read(TextFile {
        path: choice.shown.clone(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }))
}

/// Reads a certs.d root: the directories named in `wanted` (the targets' own, looked up by
/// name as the runtimes do, however many others there are), then the first [`MAX_DIRS`]
/// others in name order (for the offline lint, suggestions and `--from-node`); how many
/// were left unread is recorded, never silently dropped.
pub fn certs_root(choice: &PathChoice, wanted: &[String]) -> Result<Source<CertsRoot>, LoadError> {
    let root = &choice.path;
    let shown = choice.shown.clone();
    if !root.exists() {
        if choice.explicit {
            return Err(LoadError::Read {
                path: root.clone(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        return Ok(Source::Absent { path: shown });
    }
    let read_dir = if root.is_dir() {
        std::fs::read_dir(root).map_err(|source| LoadError::Read {
            path: root.clone(),
            source,
        })
    } else {
        Err(LoadError::NotAFile {
            path: root.clone(),
            why: "it is not a directory",
        })
    };
    let read_dir = match read_dir {
        Ok(rd) => rd,
        Err(e) if !choice.explicit => {
            return Ok(Source::Unreadable {
                path: shown,
                why: e.reason(),
            });
        }
        Err(e) => return Err(e),
    };
    let mut dirs: Vec<HostDir> = Vec::new();
    for name in wanted {
        // A registry name never holds a `/`; `.` and `..` are not registries.
        let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
        if plain && !dirs.iter().any(|d| &d.name == name) && root.join(name).is_dir() {
            dirs.push(host_dir(root, name.clone()));
        }
    }
    let mut names = Vec::new();
    let mut entries = 0u64;
    for entry in read_dir.flatten() {
        entries += 1;
        if names.len() < MAX_LISTED {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let mut unread = entries - names.len() as u64;
    let mut others = 0;
    for name in names {
        if dirs.iter().any(|d| d.name == name) || !root.join(&name).is_dir() {
            continue;
        }
        if others == MAX_DIRS {
            unread += 1;
            continue;
        }
        others += 1;
        dirs.push(host_dir(root, name));
    }
    dirs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut referenced = BTreeMap::new();
    for d in &dirs {
        for (shown_path, real) in hosts_toml_paths(Path::new(&shown), root, d, &choice.host_root) {
            referenced
                .entry(shown_path)
                .or_insert_with(|| node_file(&real));
        }
    }
    Ok(Source::Read(CertsRoot {
        root: shown,
        dirs,
        unread,
        referenced,
    }))
}

/// One host directory and its files.
fn host_dir(root: &Path, name: String) -> HostDir {
    let files = dir_files(&root.join(&name));
    HostDir {
        mismatched_pairs: mismatched_pairs(&files),
        name,
        files,
    }
}

/// `<base>` for every `<base>.cert` whose `<base>.key` belongs to another certificate.
pub fn mismatched_pairs(files: &[NodeFile]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let stem = f.name.strip_suffix(".cert")?;
            let key = files.iter().find(|k| k.name == format!("{stem}.key"))?;
            let cert = crate::pki::bundle::parse(&f.bytes)
                .certs
                .into_iter()
                .next()?;
            (key_matches(&cert, &key.bytes) == Some(false)).then(|| stem.to_string())
        })
        .collect()
}

fn dir_files(dir: &Path) -> Vec<NodeFile> {
    let mut files: Vec<NodeFile> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| node_file(&e.path())).collect(),
        Err(e) => vec![NodeFile {
            name: String::new(),
            bytes: vec![],
            is_dir: false,
            error: Some(e.to_string()),
        }],
    };
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

fn node_file(path: &Path) -> NodeFile {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if path.is_dir() {
        return NodeFile {
            name,
            bytes: vec![],
            is_dir: true,
            error: None,
        };
    }
    match read_capped(path, MAX_CERT_FILE) {
        Ok(bytes) => NodeFile {
            name,
            bytes,
            is_dir: false,
            error: None,
        },
        Err(e) => NodeFile {
            name,
            bytes: vec![],
            is_dir: false,
            error: Some(match &e {
                LoadError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    crate::facts::node::NOT_FOUND.to_string()
                }
                _ => e.reason(),
            }),
        },
    }
}

/// The `ca` and `client` paths a directory's hosts.toml names outside the directory: each
/// as shown (as on the node) and where it is read (an absolute path under the host root).
fn hosts_toml_paths(
    shown_root: &Path,
    real_root: &Path,
    d: &HostDir,
    host_root: &HostRoot,
) -> Vec<(String, PathBuf)> {
    let Some(f) = d.files.iter().find(|f| f.name == "hosts.toml") else {
        return vec![];
    };
    let Ok(table) = toml::from_str::<toml::Table>(&String::from_utf8_lossy(&f.bytes)) else {
        return vec![];
    };
    let dir = shown_root.join(&d.name);
    let real_dir = real_root.join(&d.name);
    let mut out = Vec::new();
    let mut collect = |t: &toml::Table| {
        for key in ["ca", "client"] {
            for s in toml_strings(t.get(key)) {
                let p = PathBuf::from(&s);
                let (abs, real) = if p.is_absolute() {
                    (p.clone(), host_root.at(&p))
                } else {
                    (dir.join(&p), real_dir.join(&p))
                };
                if !abs.starts_with(&dir) || abs.parent() != Some(dir.as_path()) {
                    out.push((abs.display().to_string(), real));
                }
            }
        }
    };
    collect(&table);
    if let Some(toml::Value::Table(hosts)) = table.get("host") {
        for v in hosts.values() {
            if let toml::Value::Table(t) = v {
                collect(t);
            }
        }
    }
    out
}

/// Which node files to read: the paths named on the command line, and whether the
/// defaults (under the host root) are read too.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// `--host-root`.
    pub host_root: HostRoot,
    /// `--no-node-defaults`: only the named paths.
    pub no_defaults: bool,
    /// `--daemon-json`.
    pub daemon_json: Option<PathBuf>,
    /// `--docker-certs-d`.
    pub docker_certs_d: Option<PathBuf>,
    /// `--containerd-certs-d`.
    pub containerd_certs_d: Option<PathBuf>,
    /// `--containerd-config`.
    pub containerd_config: Option<PathBuf>,
    /// `--registries-conf`.
    pub registries_conf: Option<PathBuf>,
    /// `--containers-certs-d` (in search order).
    pub containers_certs_d: Vec<PathBuf>,
    /// `--docker-version`.
    pub docker_version: Option<String>,
    /// `--containerd-version`.
    pub containerd_version: Option<String>,
    /// The user's home directory (for `~/.config/containers/certs.d`).
    pub home: Option<PathBuf>,
    /// The certs.d directory names the targets need (each runtime's spellings): always
    /// read, by name, however many other directories a root holds.
    pub wanted_dirs: Vec<String>,
}

impl NodeOptions {
    fn choose(&self, given: &Option<PathBuf>, default: &str) -> Option<PathChoice> {
        match given {
            Some(p) => Some(PathChoice::rooted(Some(p), default, &self.host_root)),
            None if self.no_defaults => None,
            None => Some(PathChoice::rooted(None, default, &self.host_root)),
        }
    }

    /// Whether any node file was named.
    pub fn any_named(&self) -> bool {
        self.daemon_json.is_some()
            || self.docker_certs_d.is_some()
            || self.containerd_certs_d.is_some()
            || self.containerd_config.is_some()
            || self.registries_conf.is_some()
            || !self.containers_certs_d.is_empty()
    }
}

/// Reads this node's runtime configuration (named paths must exist; defaults may not).
pub fn read(opts: &NodeOptions) -> Result<NodeFacts, LoadError> {
    let mut node = NodeFacts::default();
    if let Some(c) = opts.choose(&opts.daemon_json, "/etc/docker/daemon.json") {
        node.daemon_json = text_file(&c)?;
    }
    if let Some(c) = opts.choose(&opts.docker_certs_d, "/etc/docker/certs.d") {
        node.docker_certs_d = certs_root(&c, &opts.wanted_dirs)?;
    }
    if let Some(c) = opts.choose(&opts.containerd_config, "/etc/containerd/config.toml") {
        node.containerd_config = text_file(&c)?;
    }
    let hosts_default = node
        .containerd_config
        .read()
        .and_then(config_path)
        .unwrap_or_else(|| "/etc/containerd/certs.d".to_string());
    if let Some(c) = opts.choose(&opts.containerd_certs_d, &hosts_default) {
        node.containerd_certs_d = certs_root(&c, &opts.wanted_dirs)?;
    }
    if let Some(c) = opts.choose(&opts.registries_conf, "/etc/containers/registries.conf") {
        node.registries_conf = text_file(&c)?;
        (node.registries_conf_d, node.registries_conf_d_unread) = drop_ins(&c);
    }
    if !opts.containers_certs_d.is_empty() {
        for p in &opts.containers_certs_d {
            node.containers_certs_d.push(certs_root(
                &PathChoice::rooted(Some(p), "", &opts.host_root),
                &opts.wanted_dirs,
            )?);
        }
    } else if !opts.no_defaults {
        let home = opts
            .home
            .as_ref()
            .map(|h| format!("{}/.config/containers/certs.d", h.display()));
        for d in home
            .iter()
            .map(String::as_str)
            .chain(["/etc/containers/certs.d", "/etc/docker/certs.d"])
        {
            node.containers_certs_d.push(certs_root(
                &PathChoice::rooted(None, d, &opts.host_root),
                &opts.wanted_dirs,
            )?);
        }
    }
    if !opts.no_defaults {
        let unit = |name| Some(super::installs::service_files(&opts.host_root, name));
        node.docker_service = unit("docker.service");
        node.containerd_service = unit("containerd.service");
        node.crio_service = unit("crio.service");
    }
    node.own_proxy_env = super::own_proxy_env();
    node.docker_version = match &opts.docker_version {
        Some(v) => Some(v.clone()),
        // Ask dockerd only about this node's own daemon.json.
        None if opts.daemon_json.is_none()
            && !opts.host_root.is_set()
            && node.daemon_json.read().is_some() =>
        {
            dockerd_version()
        }
        None => None,
    };
    node.installs = super::installs::find(opts, &node);
    if let Some(v) = &opts.containerd_version {
        node.installs.containerd.version = Some(v.clone());
    }
    Ok(node)
}

/// The first directory of containerd's `config_path` (1.x and 2.x sections).
pub fn config_path(cfg: &TextFile) -> Option<String> {
    let table = crate::formats::toml::table(&cfg.text).ok()?;
    let plugins = table.get("plugins")?.as_table()?;
    ["io.containerd.cri.v1.images", "io.containerd.grpc.v1.cri"]
        .iter()
        .find_map(|name| {
            plugins
                .get(*name)?
                .get("registry")?
                .get("config_path")?
                .as_str()
                .map(str::to_string)
        })
        .and_then(|p| p.split(':').next().map(str::to_string))
        .filter(|p| !p.is_empty())
}

/// `registries.conf.d/*.conf` beside a registries.conf, in name order.
fn drop_ins(conf: &PathChoice) -> (Vec<Source<TextFile>>, usize) {
    let Some(dir) = conf.path.parent().map(|p| p.join("registries.conf.d")) else {
        return (vec![], 0);
    };
    let shown_dir = Path::new(&conf.shown)
        .parent()
        .map(|p| p.join("registries.conf.d"))
        .unwrap_or_else(|| dir.clone());
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return (vec![], 0);
    };
    let mut names: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".conf"))
        .collect();
    names.sort();
    let more = names.len().saturating_sub(MAX_DROP_INS);
    let out: Vec<Source<TextFile>> = names
        .into_iter()
        .take(MAX_DROP_INS)
        .map(|n| {
            let path = shown_dir.join(&n).display().to_string();
            match read_capped(&dir.join(&n), MAX_CERT_FILE) {
                Ok(bytes) => Source::Read(TextFile {
                    path,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                }),
                Err(e) => Source::Unreadable {
                    path,
                    why: e.reason(),
                },
            }
        })
        .collect();
    (out, more)
}

/// The Docker Engine version from `dockerd --version` ("Docker version 28.2.2, build …").
pub fn dockerd_version() -> Option<String> {
    let out = std::process::Command::new("dockerd")
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text
        .split("version ")
        .nth(1)?
        .split(',')
        .next()?
        .trim()
        .to_string();
    (!v.is_empty()).then_some(v)
}

/// Whether a private key (PEM) belongs to the certificate: Some(false) is Go's
/// "tls: private key does not match public key"; None when the key cannot be read here
/// (encrypted, SEC1, or an RSA size ring does not load).
pub fn key_matches(cert: &crate::pki::Cert, key_pem: &[u8]) -> Option<bool> {
    use ring::signature::{self as sig, KeyPair};
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    let key = PrivateKeyDer::from_pem_slice(key_pem).ok()?;
    let public: Vec<u8> = match &key {
        PrivateKeyDer::Pkcs8(k) => {
            let der = k.secret_pkcs8_der();
            let rng = ring::rand::SystemRandom::new();
            if let Ok(p) =
                sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
            {
                p.public_key().as_ref().to_vec()
            } else if let Ok(p) =
                sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_ASN1_SIGNING, der, &rng)
            {
                p.public_key().as_ref().to_vec()
            } else if let Ok(p) = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
                p.public_key().as_ref().to_vec()
            } else {
                sig::RsaKeyPair::from_pkcs8(der)
                    .ok()?
                    .public()
                    .as_ref()
                    .to_vec()
            }
        }
        PrivateKeyDer::Pkcs1(k) => sig::RsaKeyPair::from_der(k.secret_pkcs1_der())
            .ok()?
            .public()
            .as_ref()
            .to_vec(),
        _ => return None,
    };
    Some(public == cert.key_bytes)
}
