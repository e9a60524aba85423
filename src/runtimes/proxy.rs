//! Each runtime's proxy: the proxy variables its *process* gets — from its systemd unit and
//! drop-ins (`Environment=`, `EnvironmentFile=`), and for Docker ≥ 23 from daemon.json
//! `"proxies"` and the `--http-proxy`/`--https-proxy`/`--no-proxy` flags, which override
//! both spellings of each variable (moby `configureProxyEnv`) — never the shell's; and
//! Go's decision ([`crate::formats::httpproxy`]) for a request, with the Go rules of the
//! runtime's binary.

use serde::Serialize;

use crate::formats::httpproxy::{self, Decision, Direct, GoRules, ProxyUrl};
use crate::formats::systemd::EnvVar;
use crate::target::{Host, Target};

/// A process's proxy variables, each with where it was set. Values may hold a proxy
/// password: shown only through [`ProxyEnv::shown`] (masked).
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    vars: Vec<EnvVar>,
    /// Where the environment comes from, for people ("docker.service").
    pub source: String,
    /// The Go rules of the binary that reads it.
    pub rules: GoRules,
}

impl Serialize for ProxyEnv {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.shown().serialize(s)
    }
}

/// How a runtime reaches a host, by Go's rules with its environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "route")]
pub enum Route {
    /// A direct connection.
    Direct {
        /// Why, when a proxy variable is set at all ("NO_PROXY entry …"); None when the
        /// process has no proxy variable for the scheme.
        #[serde(skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    /// Through a proxy.
    Proxy {
        /// The proxy (user and password masked when shown).
        proxy: ProxyUrl,
        /// The variable that names it (`HTTPS_PROXY`).
        variable: String,
        /// Where it is set (`file:line`).
        origin: String,
    },
    /// Go refuses the request (`HTTP_PROXY` in a CGI process).
    Refused {
        /// Go's error.
        error: String,
    },
}

impl Route {
    /// The proxy, when the route goes through one.
    pub fn proxy(&self) -> Option<&ProxyUrl> {
        match self {
            Route::Proxy { proxy, .. } => Some(proxy),
            _ => None,
        }
    }

    /// The route in a few words: "direct", "through http://proxy:3128 (HTTPS_PROXY, file:3)".
    pub fn describe(&self) -> String {
        match self {
            Route::Direct { why: None } => "direct (no proxy variable is set)".into(),
            Route::Direct { why: Some(w) } => format!("direct ({w})"),
            Route::Proxy {
                proxy,
                variable,
                origin,
            } => format!("through the proxy {proxy} ({variable}, {origin})"),
            Route::Refused { error } => format!("refused by Go: {error}"),
        }
    }
}

impl ProxyEnv {
    /// The proxy variables among `env` (the last assignment of each name wins).
    pub fn new(source: impl Into<String>, env: &[EnvVar], rules: GoRules) -> ProxyEnv {
        let mut out = ProxyEnv {
            vars: vec![],
            source: source.into(),
            rules,
        };
        for e in env
            .iter()
            .filter(|e| httpproxy::NAMES.contains(&e.name.as_str()))
        {
            out.set(&e.name, &e.value, &e.origin);
        }
        out
    }

    /// The environment a systemd service's process gets.
    pub fn of_service(
        files: Option<&crate::facts::node::ServiceFiles>,
        unit: &str,
        rules: GoRules,
    ) -> ProxyEnv {
        match files {
            None => ProxyEnv::new(format!("{unit} (not read)"), &[], rules),
            Some(f) if f.units.is_empty() => ProxyEnv::new(
                format!("{unit} (no unit file found: no proxy variables from systemd)"),
                &[],
                rules,
            ),
            Some(f) => ProxyEnv::new(unit, &f.service().environment, rules),
        }
    }

    /// Sets a variable (a later setting overrides).
    pub fn set(&mut self, name: &str, value: &str, origin: &str) {
        self.vars.retain(|v| v.name != name);
        self.vars.push(EnvVar {
            name: name.to_string(),
            value: value.to_string(),
            origin: origin.to_string(),
        });
    }

    /// A variable.
    pub fn get(&self, name: &str) -> Option<&EnvVar> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// Whether no proxy variable is set (REQUEST_METHOD alone changes nothing).
    pub fn is_empty(&self) -> bool {
        self.vars
            .iter()
            .all(|v| v.value.is_empty() || v.name == "REQUEST_METHOD")
    }

    /// Go's `FromEnvironment` over these variables.
    pub fn config(&self) -> httpproxy::Config {
        httpproxy::Config::from_env(&|n| self.get(n).map(|v| v.value.clone()))
    }

    /// The variable Go takes for a setting (upper-case first, non-empty).
    fn chosen(&self, upper: &str, lower: &str) -> Option<&EnvVar> {
        [upper, lower]
            .iter()
            .filter_map(|n| self.get(n))
            .find(|v| !v.value.is_empty())
    }

    /// Go's decision for a request to `scheme://host:port`.
    pub fn route(&self, scheme: &str, host: &Host, port: u16) -> Route {
        let host = match host {
            Host::Ip(ip) => ip.to_string(),
            Host::Name(n) => n.clone(),
        };
        let (upper, lower) = match scheme {
            "https" => ("HTTPS_PROXY", "https_proxy"),
            _ => ("HTTP_PROXY", "http_proxy"),
        };
        let var = self.chosen(upper, lower);
        match self
            .config()
            .proxy_func(self.rules)
            .decide(scheme, &host, Some(port))
        {
            Decision::Proxy(proxy) => Route::Proxy {
                proxy,
                variable: var.map(|v| v.name.clone()).unwrap_or_default(),
                origin: var.map(|v| v.origin.clone()).unwrap_or_default(),
            },
            Decision::Refused(error) => Route::Refused { error },
            Decision::Direct(why) => Route::Direct {
                why: match (why, var) {
                    (Direct::NoProxy, None) => None,
                    (Direct::NoProxy, Some(v)) => Some(format!(
                        "{}={} at {} does not parse as a proxy URL, and Go ignores it",
                        v.name,
                        mask(&v.value),
                        v.origin
                    )),
                    (Direct::Localhost, _) => {
                        Some("Go never sends localhost through a proxy".into())
                    }
                    (Direct::Loopback, _) => {
                        Some("Go never sends a loopback address through a proxy".into())
                    }
                    (Direct::Excluded(entry), _) => {
                        let no = self.chosen("NO_PROXY", "no_proxy");
                        Some(format!(
                            "the {} entry \"{entry}\"{} exempts {host}",
                            no.map(|v| v.name.as_str()).unwrap_or("NO_PROXY"),
                            no.map(|v| format!(" at {}", v.origin)).unwrap_or_default()
                        ))
                    }
                },
            },
        }
    }

    /// The route a client of this runtime takes to the registry (https unless it speaks
    /// plain HTTP only).
    pub fn route_to(&self, target: &Target, tls_first: bool) -> Route {
        let scheme = if tls_first { "https" } else { "http" };
        self.route(scheme, &target.host, target.port)
    }

    /// The variables, for people: `HTTPS_PROXY=http://xxxxx:xxxxx@proxy:3128 (file:line)`.
    pub fn shown(&self) -> Vec<String> {
        self.vars
            .iter()
            .map(|v| format!("{}={} ({})", v.name, mask(&v.value), v.origin))
            .collect()
    }

    /// The value of the `NO_PROXY` Go reads (empty when unset), with the variable.
    pub fn no_proxy(&self) -> Option<&EnvVar> {
        self.chosen("NO_PROXY", "no_proxy")
    }
}

/// The distinct proxies the judged clients use for the target, in order, and the index of
/// the one every judged client uses when they all go through the same proxy.
pub fn distinct_proxies(
    clients: &super::Clients,
    target: &Target,
) -> (Vec<ProxyUrl>, Option<usize>) {
    let mut proxies: Vec<ProxyUrl> = Vec::new();
    let mut indices = Vec::new();
    for c in &clients.judged {
        let index = c.route(target).proxy().map(|p| {
            proxies.iter().position(|q| q == p).unwrap_or_else(|| {
                proxies.push(p.clone());
                proxies.len() - 1
            })
        });
        indices.push(index);
    }
    let all = match indices.first() {
        Some(Some(first)) if indices.iter().all(|i| *i == Some(*first)) => Some(*first),
        _ => None,
    };
    (proxies, all)
}

/// A variable's value with any user name and password masked.
pub fn mask(value: &str) -> String {
    match httpproxy::ProxyUrl::parse(value) {
        Ok(u) if u.has_credentials() => u.redacted(),
        _ if value.contains('@') => "<a value with credentials, not shown>".into(),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, value: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: value.into(),
            origin: format!("drop-in.conf:{}", name.len()),
        }
    }

    #[test]
    fn routes_say_which_variable_and_why() {
        let env = ProxyEnv::new(
            "docker.service",
            &[
                var("https_proxy", "http://lower:3128"),
                var("HTTPS_PROXY", "http://alice:pw@upper:3128"),
                var("no_proxy", ".corp,10.0.0.0/8"),
                var("PATH", "/bin"),
            ],
            GoRules::GO_1_19,
        );
        let t = crate::target::parse("registry.example:5000").unwrap();
        match env.route_to(&t, true) {
            Route::Proxy {
                proxy,
                variable,
                origin,
            } => {
                assert_eq!(proxy.redacted(), "http://xxxxx:xxxxx@upper:3128");
                assert_eq!(variable, "HTTPS_PROXY");
                assert_eq!(origin, "drop-in.conf:11");
            }
            other => panic!("{other:?}"),
        }
        let ip = crate::target::parse("10.0.0.5:5000").unwrap();
        assert_eq!(
            env.route_to(&ip, true).describe(),
            "direct (the no_proxy entry \"10.0.0.0/8\" at drop-in.conf:8 exempts 10.0.0.5)"
        );
        assert_eq!(
            env.route_to(&t, false),
            Route::Direct { why: None },
            "no HTTP_PROXY for a plain-HTTP registry"
        );
        let shown = env.shown().join(" ");
        assert!(!shown.contains("pw") && !shown.contains("alice"), "{shown}");
        assert!(!shown.contains("PATH"));
    }
}
