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
    /// The file is not valid JSON / not a config (why).
    Invalid(String),
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
    let cfg: ConfigFile = match serde_json::from_slice(&bytes) {
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
