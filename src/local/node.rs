//! Reads this node's runtime configuration into facts: daemon.json, Docker's certs.d,
//! containerd's certs.d (with the files its hosts.toml files point to) and config.toml.
//! A default path that does not exist is a fact (`Absent`); a path the user named that
//! does not exist is a [`LoadError`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{LoadError, read_file};
use crate::facts::node::{CertsRoot, HostDir, NodeFile, Source, TextFile, toml_strings};

/// At most this many host directories are read from a certs.d root.
const MAX_DIRS: usize = 500;
/// At most this many bytes of one certs.d file.
const MAX_CERT_FILE: u64 = 1024 * 1024;

/// A path option: given by the user (must exist) or the default (may be absent).
pub struct PathChoice {
    /// The path.
    pub path: PathBuf,
    /// Named by the user.
    pub explicit: bool,
}

impl PathChoice {
    /// The user's path, else the default.
    pub fn new(given: Option<&Path>, default: &str) -> PathChoice {
        match given {
            Some(p) => PathChoice {
                path: p.to_path_buf(),
                explicit: true,
            },
            None => PathChoice {
                path: PathBuf::from(default),
                explicit: false,
            },
        }
    }
}

/// Reads a text file, or notes that the default is absent.
pub fn text_file(choice: &PathChoice) -> Result<Source<TextFile>, LoadError> {
    if !choice.explicit && !choice.path.exists() {
        return Ok(Source::Absent {
            path: choice.path.display().to_string(),
        });
    }
    let bytes = read_file(&choice.path)?;
    Ok(Source::Read(TextFile {
        path: choice.path.display().to_string(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }))
}

/// Reads a certs.d root: every host directory and its files.
pub fn certs_root(choice: &PathChoice) -> Result<Source<CertsRoot>, LoadError> {
    let root = &choice.path;
    let shown = root.display().to_string();
    if !root.exists() {
        if choice.explicit {
            return Err(LoadError::Read {
                path: root.clone(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        return Ok(Source::Absent { path: shown });
    }
    if !root.is_dir() {
        return Err(LoadError::NotAFile {
            path: root.clone(),
            why: "it is not a directory",
        });
    }
    let read_dir = std::fs::read_dir(root).map_err(|source| LoadError::Read {
        path: root.clone(),
        source,
    })?;
    let mut dirs = Vec::new();
    for entry in read_dir.flatten().take(MAX_DIRS) {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let files = dir_files(&path);
        dirs.push(HostDir {
            name: entry.file_name().to_string_lossy().into_owned(),
            mismatched_pairs: mismatched_pairs(&files),
            files,
        });
    }
    dirs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut referenced = BTreeMap::new();
    for d in &dirs {
        for p in hosts_toml_paths(root, d) {
            let key = p.display().to_string();
            referenced.entry(key).or_insert_with(|| node_file(&p));
        }
    }
    Ok(Source::Read(CertsRoot {
        root: shown,
        dirs,
        referenced,
    }))
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
    let too_big = std::fs::metadata(path)
        .map(|m| m.len() > MAX_CERT_FILE)
        .unwrap_or(false);
    if too_big {
        return NodeFile {
            name,
            bytes: vec![],
            is_dir: false,
            error: Some("larger than 1 MiB".into()),
        };
    }
    match std::fs::read(path) {
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
            error: Some(e.to_string()),
        },
    }
}

/// The `ca` and `client` paths a directory's hosts.toml names outside the directory.
fn hosts_toml_paths(root: &Path, d: &HostDir) -> Vec<PathBuf> {
    let Some(f) = d.files.iter().find(|f| f.name == "hosts.toml") else {
        return vec![];
    };
    let Ok(table) = toml::from_str::<toml::Table>(&String::from_utf8_lossy(&f.bytes)) else {
        return vec![];
    };
    let dir = root.join(&d.name);
    let mut out = Vec::new();
    let mut collect = |t: &toml::Table| {
        for key in ["ca", "client"] {
            for s in toml_strings(t.get(key)) {
                let p = PathBuf::from(&s);
                let abs = if p.is_absolute() { p } else { dir.join(p) };
                if !abs.starts_with(&dir) || abs.parent() != Some(dir.as_path()) {
                    out.push(abs);
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
