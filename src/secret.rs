//! Secrets: a password or a token. [`Secret`] has a redacting `Debug`, no `Display` and no
//! `Serialize`, so it cannot reach the report, a log line or an error message by accident.

use base64::Engine;

/// A secret string.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The secret itself, for building a request header. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A user name and password.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The user name (kept out of reports too).
    pub user: Secret,
    /// The password.
    pub password: Secret,
}

impl Credentials {
    /// `base64(user:password)` for a Basic `Authorization` header.
    pub fn basic_token(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.user.expose(),
            self.password.expose()
        ))
    }

    /// Decodes a Docker config.json `auth` value (`base64(user:password)`).
    pub fn from_docker_auth(auth: &str) -> Option<Credentials> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (user, password) = text.split_once(':')?;
        Some(Credentials {
            user: Secret::new(user.to_string()),
            password: Secret::new(password.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials {
            user: Secret::new("alice".into()),
            password: Secret::new("hunter2".into()),
        };
        let d = format!("{c:?}");
        assert!(!d.contains("hunter2") && !d.contains("alice"), "{d}");
    }

    #[test]
    fn docker_auth_round_trips() {
        let c = Credentials::from_docker_auth("YWxpY2U6czNjcjN0OndpdGg6Y29sb25z").unwrap();
        assert_eq!(c.user.expose(), "alice");
        assert_eq!(c.password.expose(), "s3cr3t:with:colons");
        assert_eq!(c.basic_token(), "YWxpY2U6czNjcjN0OndpdGg6Y29sb25z");
        assert!(Credentials::from_docker_auth("!!").is_none());
    }
}
