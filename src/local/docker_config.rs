//! Reads the entry for one registry from a Docker `config.json` (`auths.<host:port>.auth`,
//! `credHelpers`, `credsStore`). Helpers are named, never run.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::LoadError;
use crate::secret::Credentials;

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "an object such as {\"auth\": \"base64 of user:password\"}")]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
}

/// What the config holds for a registry.
pub enum Found {
    /// Nothing for this registry.
    Nothing,
    /// `auths.<key>.auth`.
    Credentials {
        /// The credentials.
        creds: Credentials,
        /// The key that matched.
        key: String,
    },
    /// A credential helper would be asked.
    Helper(String),
    /// The file is not valid JSON / not a config, or an entry cannot be used (why).
    Invalid(String),
}

/// Why a config.json cannot be used at all, with where: `not valid JSON at line 2,
/// column 10: invalid character ',' looking for beginning of object key string`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// "not valid JSON" or "not a Docker config.json".
    pub what: &'static str,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong there.
    pub why: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Malformed {
            what,
            line,
            column,
            why,
        } = self;
        write!(f, "{what} at line {line}, column {column}: {why}")
    }
}

/// Parses a config.json as the docker CLI would use it. A syntax error is given in Go's
/// `encoding/json` words (what the docker CLI prints, and what regdoctor says of a broken
/// daemon.json); a value of the wrong type in serde's, both with line and column.
fn parse(bytes: &[u8]) -> Result<ConfigFile, Malformed> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // The docker CLI reads an empty file as `{}` (it ignores io.EOF).
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    if let Some(e) = crate::jsonpos::parse(text).error {
        return Err(Malformed {
            what: "not valid JSON",
            line: e.pos.line,
            column: e.pos.col,
            why: e.message,
        });
    }
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        Malformed {
            what: "not a Docker config.json",
            line: e.line(),
            column: e.column(),
            why: full.strip_suffix(&suffix).unwrap_or(&full).to_string(),
        }
    })
}

/// Reads and parses the file: the outer error is a file that cannot be read, the inner
/// one a file that reads but cannot be used.
pub fn check(path: &Path) -> Result<Result<(), Malformed>, LoadError> {
    Ok(parse(&super::read_file(path)?).map(|_| ()))
}

/// The default location: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn default_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// Looks `registry` (`host:port` as in image references) up in the file at `path`.
pub fn lookup(path: &Path, registry: &str) -> Result<Found, LoadError> {
    let bytes = super::read_file(path)?;
    let cfg = match parse(&bytes) {
        Ok(c) => c,
        Err(e) => return Ok(Found::Invalid(e.to_string())),
    };
    if let Some(h) = cfg.cred_helpers.get(registry) {
        return Ok(Found::Helper(h.clone()));
    }
    let normal = |k: &str| {
        let k = k
            .strip_prefix("https://")
            .or_else(|| k.strip_prefix("http://"))
            .unwrap_or(k);
        k.split('/').next().unwrap_or(k).to_ascii_lowercase()
    };
    let entry = cfg
        .auths
        .iter()
        .find(|(k, _)| k.as_str() == registry)
        .or_else(|| {
            cfg.auths
                .iter()
                .find(|(k, _)| normal(k) == registry.to_ascii_lowercase())
        });
    if let Some((key, e)) = entry
        && let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty())
    {
        return Ok(match Credentials::from_docker_auth(auth) {
            Some(creds) => Found::Credentials {
                creds,
                key: key.clone(),
            },
            None => Found::Invalid(format!("auths.{key}.auth is not base64 of user:password")),
        });
    }
    Ok(match cfg.creds_store {
        Some(store) if !store.is_empty() => Found::Helper(store),
        _ => Found::Nothing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_is_given_in_go_words_with_line_and_column() {
        let e = parse(b"{\"auths\": {\n  \"x\": {},,\n}}").err().unwrap();
        assert_eq!((e.line, e.column), (2, 11), "{e}");
        assert_eq!(
            e.to_string(),
            "not valid JSON at line 2, column 11: invalid character ',' looking for beginning of object key string"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_says_what_was_expected() {
        let e = parse(b"{\"auths\": {\n  \"x\": 1}}").err().unwrap();
        assert_eq!(e.line, 2, "{e}");
        assert!(
            e.to_string().starts_with(
                "not a Docker config.json at line 2, column 8: invalid type: integer `1`, expected an object such as"
            ),
            "{e}"
        );
        assert!(parse(b"{}").is_ok());
        assert!(parse(b" \n").is_ok());
        assert!(parse(b"{\"auths\": {\"r:5000\": {\"auth\": \"eDp5\"}}}").is_ok());
    }
}
