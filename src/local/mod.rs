//! Reads local files into facts: the `--ca` bundle and the system trust store. A file
//! that cannot be read at all is a [`LoadError`] (the CLI exits 2); a file that reads but
//! holds the wrong thing is a fact, judged later by a check.

pub mod docker_config;
pub mod gobuild;
pub mod installs;
pub mod node;

use std::path::{Path, PathBuf};

use crate::facts::{CaFileFacts, SystemRoots};

/// The largest file regdoctor reads (a CA bundle is a few hundred KiB at most).
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// A named file that cannot be read. Shown as one line, `PATH: why` after "cannot read"
/// (the OS error once, in lower case, without its number: `no such file or directory`);
/// the CLI puts the flag that named the file in front ([`LoadError::with_flag`]).
#[derive(Debug)]
pub enum LoadError {
    /// Open or read failed.
    Read {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A directory, a device, or a file that is far too large.
    NotAFile {
        /// The path.
        path: PathBuf,
        /// Why.
        why: &'static str,
    },
}

impl LoadError {
    /// Why, without the path (for a finding that names the file itself).
    pub fn reason(&self) -> String {
        match self {
            LoadError::Read { source, .. } => io_reason(source),
            LoadError::NotAFile { why, .. } => (*why).to_string(),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Read { path, .. } | LoadError::NotAFile { path, .. } => path,
        }
    }

    /// The one line for a file named by `flag`: `--ca /nope/ca.pem: no such file or directory`.
    pub fn with_flag(&self, flag: &str) -> String {
        format!("{flag} {}: {}", self.path().display(), self.reason())
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot read {}: {}",
            self.path().display(),
            self.reason()
        )
    }
}

// No `source()`: the reason is already in the line, and `{:#}` would print it twice.
impl std::error::Error for LoadError {}

/// An OS error as a reason in a sentence: once, lower case, without "(os error N)"
/// (`No such file or directory (os error 2)` → `no such file or directory`; an error made
/// from a kind alone, "entity not found", reads the same).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => return "no such file or directory".into(),
        ErrorKind::PermissionDenied => return "permission denied".into(),
        _ => {}
    }
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => &text[..i],
        _ => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        // Lower-case a capital that starts a word, not an acronym ("EOF").
        Some(c) if c.is_uppercase() && !chars.next().is_some_and(char::is_uppercase) => c
            .to_lowercase()
            .chain(text[c.len_utf8()..].chars())
            .collect(),
        _ => text.to_string(),
    }
}

/// Reads a named file, refusing directories and huge files.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    read_capped(path, MAX_FILE)
}

/// Opens a regular file for reading. Directories, devices, pipes and sockets are refused
/// from their metadata, before any open (a FIFO would block the open). For a file read as
/// a stream (a log for triage); [`read_capped`] reads a whole one.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), LoadError> {
    let read_err = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.is_dir() {
        return Err(LoadError::NotAFile {
            path: path.to_path_buf(),
            why: "it is a directory",
        });
    }
    if !meta.is_file() {
        return Err(LoadError::NotAFile {
            path: path.to_path_buf(),
            why: "it is not a regular file (a device, pipe or socket)",
        });
    }
    let file = std::fs::File::open(path).map_err(read_err)?;
    Ok((file, meta))
}

/// Reads at most `limit` bytes of a regular file. Directories, devices, pipes and sockets
/// are refused from their metadata, before any open (a FIFO would block the open); the
/// read itself is capped with `take`, whatever the metadata says.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let (file, meta) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::NotAFile {
            path: path.to_path_buf(),
            why: if limit >= MAX_FILE {
                "it is larger than 16 MiB"
            } else {
                "it is larger than 1 MiB"
            },
        });
    }
    Ok(bytes)
}

/// Where the node's files are: `/`, or `--host-root DIR` when regdoctor runs in a
/// container with the host's root mounted at DIR. Paths are shown as on the node.
#[derive(Debug, Clone, Default)]
pub struct HostRoot(pub Option<PathBuf>);

impl HostRoot {
    /// The real path of a node path (`/etc/docker` → `DIR/etc/docker`).
    pub fn at(&self, node_path: impl AsRef<Path>) -> PathBuf {
        let p = node_path.as_ref();
        match &self.0 {
            Some(root) if p.is_absolute() => root.join(p.strip_prefix("/").unwrap_or(p)),
            _ => p.to_path_buf(),
        }
    }

    /// Whether regdoctor judges another root than its own.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }
}

/// Reads the `--ca` file.
pub fn read_ca(path: &Path) -> Result<CaFileFacts, LoadError> {
    Ok(CaFileFacts {
        path: path.display().to_string(),
        bytes: read_file(path)?,
    })
}

/// The bundle files Go's crypto/x509 tries on Linux, in its order.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The directories Go's crypto/x509 reads every file of on Linux, after the bundle.
const SYSTEM_DIRS: &[&str] = &[
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/system/etc/security/cacerts",
];

/// At most this many files of the system certificate directories are read.
const MAX_DIR_FILES: usize = 4096;

/// Loads the system roots as Go's `loadSystemRoots` does on Linux: the first bundle that
/// exists (`$SSL_CERT_FILE` instead of the list when set), then every file of the
/// certificate directories (`$SSL_CERT_DIR`, colon-separated, instead of the list when
/// set), except symlinks to a file of the same directory. Debian's `/etc/ssl/certs/*.pem`
/// repeat the bundle, but a CA copied there without `update-ca-certificates` is trusted by
/// Go (and so by the runtimes) though absent from the bundle. Under the host root the
/// node's store is read and regdoctor's own `SSL_CERT_*` variables are not used (they are
/// regdoctor's environment, not the runtime's). Missing roots are not an error: the chain
/// check then says nothing is trusted.
pub fn system_roots(root: &HostRoot) -> Option<SystemRoots> {
    let own =
        |v: Result<String, std::env::VarError>| v.ok().filter(|v| !v.is_empty() && !root.is_set());
    let files: Vec<String> = match own(std::env::var("SSL_CERT_FILE")) {
        Some(f) => vec![f],
        None => SYSTEM_BUNDLES.iter().map(|s| s.to_string()).collect(),
    };
    let dirs: Vec<String> = match own(std::env::var("SSL_CERT_DIR")) {
        Some(d) => d.split(':').map(str::to_string).collect(),
        None => SYSTEM_DIRS.iter().map(|s| s.to_string()).collect(),
    };
    let bundle = files
        .iter()
        .find_map(|f| read_file(&root.at(f)).ok().map(|b| (f.clone(), b)));
    let (mut shown, mut pem) = match bundle {
        Some((f, bytes)) => (f, bytes),
        None => (String::new(), Vec::new()),
    };
    let mut seen: std::collections::HashSet<Vec<u8>> = pem_blocks(&pem).collect();
    let mut extra: Vec<String> = Vec::new();
    for dir in &dirs {
        for (name, bytes) in dir_files_as_go(&root.at(dir)) {
            let mut added = false;
            for block in pem_blocks(&bytes) {
                if seen.insert(block.clone()) {
                    pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
                    pem.extend_from_slice(&block);
                    pem.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
                    added = true;
                }
            }
            if added {
                extra.push(format!("{}/{name}", dir.trim_end_matches('/')));
            }
        }
    }
    if pem.is_empty() {
        return None;
    }
    if !extra.is_empty() {
        let named = crate::text::clip_list(&extra, " + ");
        shown = if shown.is_empty() {
            named
        } else {
            format!("{shown} + {named}")
        };
    }
    // Decoded and parsed later, once, while the network is busy.
    Some(SystemRoots::from_pem(shown, pem))
}

/// The files of a certificate directory Go reads (`readUniqueDirectoryEntries`: not a
/// symlink whose target has no `/`), each capped; name order, at most [`MAX_DIR_FILES`].
fn dir_files_as_go(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter(|e| {
            let same_dir_link = e.file_type().is_ok_and(|t| t.is_symlink())
                && std::fs::read_link(e.path()).is_ok_and(|t| !t.to_string_lossy().contains('/'));
            !same_dir_link
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // Names only, and bounded all the same.
        .take(MAX_DIR_FILES * 16)
        .collect();
    // The first in name order, so which files are read does not depend on the listing.
    names.sort();
    names
        .into_iter()
        .take(MAX_DIR_FILES)
        .filter_map(|n| {
            let bytes = read_capped(&dir.join(&n), node::MAX_CERT_FILE).ok()?;
            Some((n, bytes))
        })
        .collect()
}

/// The base64 bodies of the `CERTIFICATE` blocks of a PEM text, whitespace removed (what
/// Go's `AppendCertsFromPEM` takes; equal bodies are the same certificate).
fn pem_blocks(pem: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut rest = pem;
    std::iter::from_fn(move || {
        let start = rest.windows(BEGIN.len()).position(|w| w == BEGIN)? + BEGIN.len();
        let len = rest[start..].windows(END.len()).position(|w| w == END)?;
        let body: Vec<u8> = rest[start..start + len]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        rest = &rest[start + len + END.len()..];
        Some(body)
    })
}

/// The node's host name: `/etc/hostname` under the host root, else the kernel's.
pub fn hostname(root: &HostRoot) -> Option<String> {
    let from = |p: PathBuf| {
        read_capped(&p, 4096)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .filter(|h| !h.is_empty())
    };
    from(root.at("/etc/hostname")).or_else(|| {
        (!root.is_set())
            .then(|| from(PathBuf::from("/proc/sys/kernel/hostname")))
            .flatten()
    })
}

/// regdoctor's own proxy variables, as Go's `FromEnvironment` would read them in this
/// process: what `curl` and any Go client started from the same shell use.
pub fn own_proxy_env() -> Vec<crate::formats::systemd::EnvVar> {
    crate::formats::httpproxy::NAMES
        .iter()
        .filter_map(|name| {
            let value = std::env::var(name).ok()?;
            Some(crate::formats::systemd::EnvVar {
                name: name.to_string(),
                value,
                origin: "regdoctor's environment".into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_is_said_once_in_lower_case() {
        let gone = std::fs::metadata("/nonexistent/x").unwrap_err();
        assert_eq!(io_reason(&gone), "no such file or directory");
        let kind_only = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_reason(&kind_only), "no such file or directory");
        let other = std::io::Error::from_raw_os_error(21);
        assert_eq!(io_reason(&other), "is a directory");
        let e = read_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read /nonexistent/ca.pem: no such file or directory"
        );
        assert_eq!(
            e.with_flag("--ca"),
            "--ca /nonexistent/ca.pem: no such file or directory"
        );
        assert!(std::error::Error::source(&e).is_none());
    }
}
