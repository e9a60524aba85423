//! What dockerd (Linux, v28.5.2, with the v29 additions) knows about daemon.json keys:
//! their JSON types, the flag spellings it accepts but ignores, and the deprecated and
//! removed keys. Data from ../shared/reference/daemon-json.md §3–§5.

/// The JSON type dockerd decodes a key into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// string
    Str,
    /// bool
    Bool,
    /// int
    Int,
    /// []string
    StrList,
    /// map[string]string (values must be strings)
    StrMap,
    /// an object of some shape
    Obj,
    /// an array of objects
    ObjList,
    /// anything (accepted and ignored)
    Any,
}

impl Ty {
    /// Go's type name, as in "cannot unmarshal … of type <name>".
    pub fn go_name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::StrList => "[]string",
            Ty::StrMap => "map[string]string",
            Ty::Obj => "struct",
            Ty::ObjList => "[]struct",
            Ty::Any => "interface {}",
        }
    }
}

/// Keys dockerd reads, with their types.
pub const KEYS: &[(&str, Ty)] = &[
    ("allow-direct-routing", Ty::Bool),
    ("allow-nondistributable-artifacts", Ty::StrList),
    ("authorization-plugins", Ty::StrList),
    ("bip", Ty::Str),
    ("bip6", Ty::Str),
    ("bridge", Ty::Str),
    ("bridge-accept-fwmark", Ty::Str),
    ("builder", Ty::Obj),
    ("cdi-spec-dirs", Ty::StrList),
    ("cgroup-parent", Ty::Str),
    ("containerd", Ty::Str),
    ("containerd-namespace", Ty::Str),
    ("cpu-rt-period", Ty::Int),
    ("cpu-rt-runtime", Ty::Int),
    ("cri-containerd", Ty::Bool),
    ("data-root", Ty::Str),
    ("debug", Ty::Bool),
    ("default-address-pools", Ty::ObjList),
    ("default-cgroupns-mode", Ty::Str),
    ("default-gateway", Ty::Str),
    ("default-gateway-v6", Ty::Str),
    ("default-ipc-mode", Ty::Str),
    ("default-network-opts", Ty::Obj),
    ("default-runtime", Ty::Str),
    ("default-shm-size", Ty::Str),
    ("default-stop-timeout", Ty::Int),
    ("default-ulimits", Ty::Obj),
    ("deprecated-key-path", Ty::Any),
    ("dns", Ty::StrList),
    ("dns-opts", Ty::StrList),
    ("dns-search", Ty::StrList),
    ("exec-opts", Ty::StrList),
    ("exec-root", Ty::Str),
    ("experimental", Ty::Bool),
    ("features", Ty::Obj),
    ("firewall-backend", Ty::Str),
    ("fixed-cidr", Ty::Str),
    ("fixed-cidr-v6", Ty::Str),
    ("group", Ty::Str),
    ("host-gateway-ip", Ty::Str),
    ("host-gateway-ips", Ty::StrList),
    ("hosts", Ty::StrList),
    ("icc", Ty::Bool),
    ("init", Ty::Bool),
    ("init-path", Ty::Str),
    ("insecure-registries", Ty::StrList),
    ("ip", Ty::Str),
    ("ip-forward", Ty::Bool),
    ("ip-forward-no-drop", Ty::Bool),
    ("ip-masq", Ty::Bool),
    ("ip6tables", Ty::Bool),
    ("iptables", Ty::Bool),
    ("ipv6", Ty::Bool),
    ("labels", Ty::StrList),
    ("live-restore", Ty::Bool),
    ("log-driver", Ty::Str),
    ("log-format", Ty::Str),
    ("log-level", Ty::Str),
    ("log-opts", Ty::StrMap),
    ("max-concurrent-downloads", Ty::Int),
    ("max-concurrent-uploads", Ty::Int),
    ("max-download-attempts", Ty::Int),
    ("metrics-addr", Ty::Str),
    ("min-api-version", Ty::Str),
    ("mtu", Ty::Int),
    ("network-control-plane-mtu", Ty::Int),
    ("network-diagnostic-port", Ty::Int),
    ("no-new-privileges", Ty::Bool),
    ("node-generic-resources", Ty::StrList),
    ("nri-opts", Ty::Obj),
    ("pidfile", Ty::Str),
    ("proxies", Ty::Obj),
    ("raw-logs", Ty::Bool),
    ("registry-mirrors", Ty::StrList),
    ("rootless", Ty::Bool),
    ("runtimes", Ty::Obj),
    ("seccomp-profile", Ty::Str),
    ("selinux-enabled", Ty::Bool),
    ("shutdown-timeout", Ty::Int),
    ("storage-driver", Ty::Str),
    ("storage-opts", Ty::StrList),
    ("swarm-default-advertise-addr", Ty::Str),
    ("tls", Ty::Bool),
    ("tlscacert", Ty::Str),
    ("tlscert", Ty::Str),
    ("tlskey", Ty::Str),
    ("tlsverify", Ty::Bool),
    ("userland-proxy", Ty::Bool),
    ("userland-proxy-path", Ty::Str),
    ("userns-remap", Ty::Str),
];

/// Objects that dockerd does not flatten before its unknown-key check.
pub const FLAT_KEYS: &[&str] = &[
    "cluster-store-opts",
    "default-network-opts",
    "log-opts",
    "runtimes",
    "default-ulimits",
    "features",
    "builder",
    "nri-opts",
];

/// Children of `proxies`, which flattening promotes to the top level.
pub const PROXY_KEYS: &[&str] = &["http-proxy", "https-proxy", "no-proxy"];

/// Flag spellings dockerd accepts as keys but never reads, with the key to use instead.
pub const NO_EFFECT: &[(&str, &str)] = &[
    ("registry-mirror", "\"registry-mirrors\": [\"https://…\"]"),
    (
        "insecure-registry",
        "\"insecure-registries\": [\"host:port\"]",
    ),
    ("label", "\"labels\": [\"key=value\"]"),
    ("host", "\"hosts\": [\"unix:///var/run/docker.sock\"]"),
    ("storage-opt", "\"storage-opts\": [...]"),
    ("exec-opt", "\"exec-opts\": [...]"),
    ("log-opt", "\"log-opts\": {...}"),
    ("dns-opt", "\"dns-opts\": [...]"),
    ("authorization-plugin", "\"authorization-plugins\": [...]"),
    ("default-ulimit", "\"default-ulimits\": {...}"),
    ("add-runtime", "\"runtimes\": {...}"),
    ("default-address-pool", "\"default-address-pools\": [...]"),
    ("default-network-opt", "\"default-network-opts\": {...}"),
    ("node-generic-resource", "\"node-generic-resources\": [...]"),
    ("cdi-spec-dir", "\"cdi-spec-dirs\": [...]"),
    ("feature", "\"features\": {...}"),
    (
        "containerd-plugins-namespace",
        "the --containerd-plugins-namespace flag (the file cannot set it)",
    ),
    ("restart", "restart policies on the containers"),
    ("config-file", "the --config-file flag"),
    ("validate", "`dockerd --validate`"),
    ("version", "`dockerd --version`"),
    ("help", "`dockerd --help`"),
    ("http-proxy", "\"proxies\": {\"http-proxy\": \"…\"}"),
    ("https-proxy", "\"proxies\": {\"https-proxy\": \"…\"}"),
    ("no-proxy", "\"proxies\": {\"no-proxy\": \"…\"}"),
];

/// A deprecated or removed key.
pub struct Deprecation {
    /// The key.
    pub key: &'static str,
    /// Deprecated since.
    pub deprecated: &'static str,
    /// The first version that refuses to start with it (None: never, only ignored).
    pub refused_from: Option<(u32, u32)>,
    /// What to use instead.
    pub instead: &'static str,
}

/// Deprecated and removed keys (§5).
pub const DEPRECATED: &[Deprecation] = &[
    Deprecation {
        key: "graph",
        deprecated: "17.05",
        refused_from: Some((23, 0)),
        instead: "\"data-root\"",
    },
    Deprecation {
        key: "cluster-store",
        deprecated: "20.10",
        refused_from: Some((23, 0)),
        instead: "nothing (classic Swarm was removed): delete it",
    },
    Deprecation {
        key: "cluster-advertise",
        deprecated: "20.10",
        refused_from: Some((23, 0)),
        instead: "nothing (classic Swarm was removed): delete it",
    },
    Deprecation {
        key: "cluster-store-opts",
        deprecated: "20.10",
        refused_from: Some((23, 0)),
        instead: "nothing (classic Swarm was removed): delete it",
    },
    Deprecation {
        key: "disable-legacy-registry",
        deprecated: "17.12",
        refused_from: Some((17, 12)),
        instead: "nothing (v1 registries are gone): delete it",
    },
    Deprecation {
        key: "oom-score-adjust",
        deprecated: "24.0",
        refused_from: Some((25, 0)),
        instead: "OOMScoreAdjust= in the docker.service systemd unit",
    },
    Deprecation {
        key: "api-cors-header",
        deprecated: "27.0",
        refused_from: Some((28, 0)),
        instead: "a reverse proxy that adds CORS headers",
    },
    Deprecation {
        key: "allow-nondistributable-artifacts",
        deprecated: "28.0",
        refused_from: None,
        instead: "nothing (always allowed now): delete it",
    },
    Deprecation {
        key: "host-gateway-ip",
        deprecated: "28.0",
        refused_from: None,
        instead: "\"host-gateway-ips\": [\"…\"]",
    },
];

/// The type of a known key.
pub fn ty(key: &str) -> Option<Ty> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

/// The deprecation of a key.
pub fn deprecation(key: &str) -> Option<&'static Deprecation> {
    DEPRECATED.iter().find(|d| d.key == key)
}

/// The replacement for a no-effect flag spelling.
pub fn no_effect(key: &str) -> Option<&'static str> {
    NO_EFFECT.iter().find(|(k, _)| *k == key).map(|(_, r)| *r)
}
