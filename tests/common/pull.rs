//! The whole pull path with the real clients: image references, manifests and indexes,
//! tokens, and blob `GET`s redirected to a storage host, inside one network namespace.
//!
//! A [`Lab`] is one namespace's worth of servers, built once per test:
//!
//! * the **origin** registry (Debian's `docker-registry`, TLS with a certificate of the
//!   lab's "Registry CA" for the namespace address) holding the images, pushed with
//!   `skopeo copy`: `test/hello:v1` (an OCI image, linux/amd64), indexes whose only entry
//!   is linux/s390x, linux/386, linux/amd64 variant v1, linux/amd64 variant v2, or an
//!   entry without `platform`, and `test/chart:0.1.0`, a Helm chart (an OCI artifact);
//! * one nginx (Debian's `nginx-light`) with a server per **blob host** behaviour, serving
//!   the registry's storage directory: certificate of the registry's CA with the right
//!   SAN, of another CA, of the registry's CA without the host's IP in the SAN, a port
//!   nobody listens on, a redirect to itself, and tampered copies of the config blob or the
//!   layer (same size, other bytes); plus the Bearer **token service**, which
//!   authenticates `puller` (Basic) and grants no access (a signed JWT with `access: []`);
//! * for each scenario that needs one, another registry on the **same storage** whose
//!   storage middleware `redirect` sends every blob to one blob host, or which demands
//!   tokens from that token service;
//! * the clients, started on first use: a private dockerd 20.10 (`docker pull`), a private
//!   containerd 1.6 (`ctr images pull --hosts-dir`), skopeo 1.9 copying into
//!   containers-storage as CRI-O does (and into `dir:` for comparison).
//!
//! A [`Scenario`] is one [`Kind`] seen through that lab: the image reference to give
//! regdoctor ([`Scenario::target_ref`]), the node files each runtime reads for it
//! ([`Scenario::node_args`], written per the scenario's [`Trust`]), and pulls with each
//! real client ([`Scenario::pull_docker`], [`Scenario::pull_containerd`],
//! [`Scenario::pull_crio`]) that say what the client did, what it printed and how long it
//! took.
//!
//! Every process is stopped by its PID when its handle drops (also when a test panics),
//! and the namespace is removed by its own handle.

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;

use super::image::{Built, Layout, Platform};
use super::netns::Netns;
use super::nginx::{self, Nginx};
use super::pki::{Ca, DAY, Leaf, ca, leaf, params};
use super::registry::{Auth, Registry, Spec, next_ns_port};
use super::runtimes::{Containerd, Dockerd, PullResult, Skopeo};
use super::{now, tool};

/// The repository of the test image.
pub const REPO: &str = "test/hello";
/// The user the token service authenticates.
pub const USER: &str = "puller";
/// Its password.
pub const PASSWORD: &str = "pull-secret";
/// The token registry's `service` (the JWT's audience).
pub const SERVICE: &str = "regdoctor-registry";
/// A name only the SAN of the no-SAN blob host's certificate holds.
pub const BLOB_DNS_NAME: &str = "blobs.internal";

/// A case of the pull path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `test/hello:v1` served by the origin registry itself (no redirect).
    Direct,
    /// (a) Blobs redirected to a host whose certificate the registry's CA signed, with the
    /// host's IP in its SAN.
    BlobTrusted,
    /// (b) ... whose certificate another CA ("Other CA") signed.
    BlobOtherCa,
    /// (c) ... whose certificate the registry's CA signed for `DNS:blobs.internal` only.
    BlobNoSan,
    /// (d) ... to a port nobody listens on.
    BlobDown,
    /// (e) ... to a host that redirects every request to itself (307).
    BlobLoop,
    /// ... to a host that answers every request 403 (an expired signed URL, a bucket
    /// policy).
    BlobForbidden,
    /// (f) ... to a host serving a tampered copy of the config blob (same size).
    BlobTamperedConfig,
    /// (f) ... to a host serving a tampered copy of the layer (same size: the gzip
    /// header's MTIME changed, so it still decompresses).
    BlobTamperedLayer,
    /// `test/missing:v1`: a repository the registry does not know.
    UnknownRepository,
    /// `test/hello:missing`: a tag the repository does not have.
    UnknownTag,
    /// A token registry whose token service authenticates the user and grants nothing.
    NoPullScope,
    /// `test/hello:s390x-only`: an index whose only entry is linux/s390x.
    ForeignPlatform,
    /// `test/hello:386-only`: an index whose only entry is linux/386.
    Only386,
    /// `test/hello:amd64-v1`: an index whose only entry is linux/amd64 variant v1.
    Amd64V1,
    /// `test/hello:amd64-v2`: an index whose only entry is linux/amd64 variant v2.
    Amd64V2,
    /// `test/hello:no-platform`: an index whose only entry has no `platform` field.
    NoPlatformField,
    /// `test/chart:0.1.0`: a Helm chart (OCI manifest, config
    /// `application/vnd.cncf.helm.config.v1+json`, layer
    /// `application/vnd.cncf.helm.chart.content.v1.tar+gzip`).
    HelmChart,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 18] = [
        Kind::Direct,
        Kind::BlobTrusted,
        Kind::BlobOtherCa,
        Kind::BlobNoSan,
        Kind::BlobDown,
        Kind::BlobLoop,
        Kind::BlobForbidden,
        Kind::BlobTamperedConfig,
        Kind::BlobTamperedLayer,
        Kind::UnknownRepository,
        Kind::UnknownTag,
        Kind::NoPullScope,
        Kind::ForeignPlatform,
        Kind::Only386,
        Kind::Amd64V1,
        Kind::Amd64V2,
        Kind::NoPlatformField,
        Kind::HelmChart,
    ];

    /// One line for the observations table.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Direct => "image served by the registry itself",
            Kind::BlobTrusted => "blobs redirected to a host with a cert of the registry's CA",
            Kind::BlobOtherCa => "blobs redirected to a host with a cert of another CA",
            Kind::BlobNoSan => "blobs redirected to a host whose cert lacks its IP in the SAN",
            Kind::BlobDown => "blobs redirected to a closed port",
            Kind::BlobLoop => "blobs redirected to a host that redirects to itself",
            Kind::BlobForbidden => "blobs redirected to a host that answers 403",
            Kind::BlobTamperedConfig => "blob host serves a tampered config blob",
            Kind::BlobTamperedLayer => "blob host serves a tampered layer",
            Kind::UnknownRepository => "unknown repository",
            Kind::UnknownTag => "unknown tag",
            Kind::NoPullScope => "token service authenticates, grants no pull scope",
            Kind::ForeignPlatform => "index with only linux/s390x",
            Kind::Only386 => "index with only linux/386",
            Kind::Amd64V1 => "index with only linux/amd64 variant v1",
            Kind::Amd64V2 => "index with only linux/amd64 variant v2",
            Kind::NoPlatformField => "index with one entry without platform",
            Kind::HelmChart => "a Helm chart (OCI artifact)",
        }
    }

    /// `name:tag` of the image this kind pulls.
    pub fn name_tag(self) -> &'static str {
        match self {
            Kind::UnknownRepository => "test/missing:v1",
            Kind::UnknownTag => "test/hello:missing",
            Kind::ForeignPlatform => "test/hello:s390x-only",
            Kind::Only386 => "test/hello:386-only",
            Kind::Amd64V1 => "test/hello:amd64-v1",
            Kind::Amd64V2 => "test/hello:amd64-v2",
            Kind::NoPlatformField => "test/hello:no-platform",
            Kind::HelmChart => "test/chart:0.1.0",
            _ => "test/hello:v1",
        }
    }

    /// The blob host this kind's registry redirects to.
    pub fn blob_host(self) -> Option<BlobHost> {
        Some(match self {
            Kind::BlobTrusted => BlobHost::Trusted,
            Kind::BlobOtherCa => BlobHost::OtherCa,
            Kind::BlobNoSan => BlobHost::NoSan,
            Kind::BlobDown => BlobHost::Down,
            Kind::BlobLoop => BlobHost::Loop,
            Kind::BlobForbidden => BlobHost::Forbidden,
            Kind::BlobTamperedConfig => BlobHost::TamperedConfig,
            Kind::BlobTamperedLayer => BlobHost::TamperedLayer,
            _ => return None,
        })
    }

    fn registry(self) -> Role {
        match (self, self.blob_host()) {
            (_, Some(b)) => Role::Redirect(b),
            (Kind::NoPullScope, None) => Role::Token,
            _ => Role::Origin,
        }
    }
}

/// What a blob host does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlobHost {
    /// Serves the storage with a certificate of the registry's CA for its IP.
    Trusted,
    /// ... of another CA.
    OtherCa,
    /// ... of the registry's CA for `DNS:blobs.internal` only.
    NoSan,
    /// Nothing listens.
    Down,
    /// Answers every request `307` to itself.
    Loop,
    /// Answers every request `403` with an S3-like XML body.
    Forbidden,
    /// Serves a tampered config blob.
    TamperedConfig,
    /// Serves a tampered layer.
    TamperedLayer,
}

const BLOB_HOSTS: [BlobHost; 8] = [
    BlobHost::Trusted,
    BlobHost::OtherCa,
    BlobHost::NoSan,
    BlobHost::Down,
    BlobHost::Loop,
    BlobHost::Forbidden,
    BlobHost::TamperedConfig,
    BlobHost::TamperedLayer,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Origin,
    Redirect(BlobHost),
    Token,
}

/// Where a runtime finds the CA for the registry (and the blob host) of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Nothing: only the system roots.
    Nothing,
    /// The registry's CA in the registry's own entry, as documented: Docker
    /// `certs.d/<registry>/ca.crt`; containerd `<hosts>/<registry>/hosts.toml` with
    /// `server = "https://<registry>"` and `[host."https://<registry>"] ca = ...`; CRI-O
    /// `/etc/containers/certs.d/<registry>/ca.crt`. The default.
    Registry,
    /// [`Trust::Registry`], and for containerd the `ca` also at the root of hosts.toml,
    /// so the `server` host containerd tries after the `[host]` entries trusts it too.
    RegistryAndServer,
    /// [`Trust::Registry`], plus the blob host's CA in an entry named after the blob host
    /// (`certs.d/<blob host>/ca.crt`, `<hosts>/<blob host>/hosts.toml`).
    BlobHostEntry,
    /// The registry's entry holds the registry's CA and the blob host's CA.
    BothInRegistryEntry,
    /// The registry is insecure: Docker `insecure-registries` (dockerd restarted),
    /// containerd `skip_verify = true` in its `[host]` table, CRI-O `insecure = true` in
    /// a registries.conf.d drop-in.
    Insecure,
}

/// A runtime whose pull is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// dockerd 20.10 + docker CLI.
    Docker,
    /// containerd 1.6 + ctr.
    Containerd,
    /// CRI-O, played by skopeo 1.9 copying into containers-storage.
    CriO,
}

impl Runtime {
    /// The name regdoctor's report uses.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
        }
    }
}

/// A pull and how long the client took (the client command alone, not the clean-up).
#[derive(Debug)]
pub struct Pulled {
    /// What the client did and printed.
    pub result: PullResult,
    /// Wall-clock time of the client command.
    pub elapsed: Duration,
}

impl std::ops::Deref for Pulled {
    type Target = PullResult;
    fn deref(&self) -> &PullResult {
        &self.result
    }
}

impl Pulled {
    /// Asserts the outcome and (when failing) that the error contains `part`, and prints
    /// one `OBSERVED` line: client, scenario, outcome, seconds, exact line.
    pub fn expect(&self, client: &str, scenario: &str, works: bool, part: Option<&str>) {
        self.result
            .expect_timed(client, scenario, works, part, Some(self.elapsed));
    }
}

/// The images in the lab whose blobs the tests name.
pub struct Images {
    /// `test/hello:v1`.
    pub hello: Built,
}

/// One namespace's servers and clients for the pull scenarios (see the module's text).
pub struct Lab<'a> {
    ns: &'a Netns,
    /// The registry's CA: signs the registries', the token service's and most blob
    /// hosts' certificates.
    pub ca: Ca,
    /// Signs the [`BlobHost::OtherCa`] certificate.
    pub other_ca: Ca,
    /// The images pushed to the origin.
    pub images: Images,
    registry_leaf: Leaf,
    dir: tempfile::TempDir,
    origin: Registry,
    nginx: Nginx,
    ports: BTreeMap<BlobHost, u16>,
    token_port: u16,
    signer_pem: String,
    registries: RefCell<BTreeMap<Role, Registry>>,
    trust: RefCell<BTreeMap<String, Trust>>,
    dockerd: RefCell<Option<Dockerd<'a>>>,
    daemon_json: RefCell<Option<String>>,
    containerd: OnceCell<Option<Containerd<'a>>>,
    skopeo: OnceCell<Option<Skopeo<'a>>>,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A JWT (ES256) as distribution's token auth accepts it: the signing certificate in
/// `x5c` (verified against the registry's `rootcertbundle`), issuer `regdoctor-test`
/// (what [`super::registry`] configures), audience [`SERVICE`], and `access: []` — the
/// user is known, and may do nothing.
fn no_access_token(signer_key_der: &[u8], signer_cert_der: &[u8]) -> String {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let std = base64::engine::general_purpose::STANDARD;
    let header =
        serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [std.encode(signer_cert_der)]});
    let t = now();
    let claims = serde_json::json!({
        "iss": "regdoctor-test",
        "sub": USER,
        "aud": SERVICE,
        "exp": t + 365 * DAY,
        "nbf": t - DAY,
        "iat": t - DAY,
        "jti": "regdoctor-pull-harness",
        "access": [],
    });
    let signing_input = format!(
        "{}.{}",
        url.encode(header.to_string()),
        url.encode(claims.to_string())
    );
    let rng = ring::rand::SystemRandom::new();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, signer_key_der, &rng).unwrap();
    let sig = key.sign(&rng, signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", url.encode(sig.as_ref()))
}

/// Builds every image into one OCI layout.
fn build_images(layout: &mut Layout) -> Images {
    let linux = |architecture, variant| Platform {
        os: "linux",
        architecture,
        variant,
    };
    let hello = layout.image("test/hello:v1", &linux("amd64", None));
    layout.tag("v1", &hello.manifest);
    let mut single = |tag: &str, p: Platform, state: bool| {
        let img = layout.image(&format!("test/hello:{tag}"), &p);
        let index = layout.index(&[(&img.manifest, state.then_some(&p))]);
        layout.tag(tag, &index);
    };
    single("s390x-only", linux("s390x", None), true);
    single("386-only", linux("386", None), true);
    single("amd64-v1", linux("amd64", Some("v1")), true);
    single("amd64-v2", linux("amd64", Some("v2")), true);
    single("no-platform", linux("amd64", None), false);
    let chart_config = layout.blob(
        "application/vnd.cncf.helm.config.v1+json",
        br#"{"apiVersion":"v2","name":"app","version":"0.1.0"}"#,
    );
    let chart_layer = layout.blob(
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        // Any bytes: nothing gets as far as unpacking them.
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    );
    let chart_manifest = layout.manifest(&chart_config, &chart_layer);
    layout.tag("0.1.0", &chart_manifest);
    Images { hello }
}

impl<'a> Lab<'a> {
    /// Builds the lab in `ns`: the origin registry with every image pushed, the blob
    /// hosts and the token service. None (after a SKIPPED line; a failure under CI) when
    /// docker-registry, nginx, skopeo, tar or gzip is missing.
    pub fn new(ns: &'a Netns) -> Option<Lab<'a>> {
        for t in ["docker-registry", "nginx", "skopeo", "tar", "gzip"] {
            tool(t)?;
        }
        let ip = ns.addr().to_string();
        let registry_ca = ca("Registry CA", now());
        let other_ca = ca("Other CA", now());
        let registry_leaf = leaf(&registry_ca, &[&ip], now());
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let storage = d.join("storage");

        let mut layout = Layout::new(&d.join("layout"));
        let images = build_images(&mut layout);
        let origin = Spec {
            tls: Some((&registry_leaf.pem, &registry_leaf.key_pem)),
            netns: Some(ns),
            storage: Some(&storage),
            ..Spec::default()
        }
        .start()?;
        for tag in [
            "v1",
            "s390x-only",
            "386-only",
            "amd64-v1",
            "amd64-v2",
            "no-platform",
        ] {
            layout.push(ns, &origin.target(), REPO, tag)?;
        }
        layout.push(ns, &origin.target(), "test/chart", "0.1.0")?;

        // Tampered copies, same size: the config's Cmd names "jello.txt"; the layer's
        // gzip header has another MTIME (it still decompresses to the same tar).
        let config = layout.read(&images.hello.config);
        let tampered = String::from_utf8(config)
            .unwrap()
            .replacen("hello.txt", "jello.txt", 1);
        let tampered_config = write(&d, "tampered-config", tampered.as_bytes());
        let mut layer = layout.read(&images.hello.layer);
        layer[4] ^= 1;
        let tampered_layer = write(&d, "tampered-layer", &layer);

        // The token service's signing key and certificate (the registry's rootcertbundle).
        let signer_key = rcgen::KeyPair::generate().unwrap();
        let signer = params("token signer", &[], now() - DAY, now() + 365 * DAY)
            .self_signed(&signer_key)
            .unwrap();
        let token = no_access_token(&signer_key.serialize_der(), signer.der());
        let token_json =
            serde_json::json!({"token": token, "access_token": token, "expires_in": 3600});
        let token_path = write(&d, "token.json", token_json.to_string().as_bytes());
        let htpasswd = write(
            &d,
            "htpasswd",
            format!("{USER}:{{PLAIN}}{PASSWORD}\n").as_bytes(),
        );

        // The blob hosts' certificates.
        let pem_pair = |name: &str, l: &Leaf| -> (PathBuf, PathBuf) {
            (
                write(&d, &format!("{name}.crt"), l.pem.as_bytes()),
                write(&d, &format!("{name}.key"), l.key_pem.as_bytes()),
            )
        };
        let trusted = pem_pair("blob-trusted", &leaf(&registry_ca, &[&ip], now()));
        let other = pem_pair("blob-other", &leaf(&other_ca, &[&ip], now()));
        let no_san = pem_pair("blob-nosan", &leaf(&registry_ca, &[BLOB_DNS_NAME], now()));
        let ports: BTreeMap<BlobHost, u16> =
            BLOB_HOSTS.iter().map(|b| (*b, next_ns_port())).collect();
        let token_port = next_ns_port();
        let server = |port: u16, (crt, key): &(PathBuf, PathBuf), body: &str| {
            format!(
                "  server {{\n    listen {ip}:{port} ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};\n{body}  }}\n",
                crt.display(),
                key.display()
            )
        };
        let root = format!("    root {};\n", storage.display());
        let alias = |path: &str, file: &Path| {
            format!(
                "    location = {path} {{ alias {}; }}\n    location / {{ }}\n",
                file.display()
            )
        };
        let mut servers = String::new();
        let mut listening = Vec::new();
        for b in BLOB_HOSTS {
            let port = ports[&b];
            let s = match b {
                BlobHost::Trusted => server(port, &trusted, &root),
                BlobHost::OtherCa => server(port, &other, &root),
                BlobHost::NoSan => server(port, &no_san, &root),
                BlobHost::Down => continue,
                BlobHost::Loop => server(
                    port,
                    &trusted,
                    &format!("    location / {{ return 307 https://{ip}:{port}$request_uri; }}\n"),
                ),
                BlobHost::Forbidden => server(
                    port,
                    &trusted,
                    "    location / {\n      default_type application/xml;\n      return 403 '<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';\n    }\n",
                ),
                BlobHost::TamperedConfig => server(
                    port,
                    &trusted,
                    &(root.clone() + &alias(&images.hello.config.storage_path(), &tampered_config)),
                ),
                BlobHost::TamperedLayer => server(
                    port,
                    &trusted,
                    &(root.clone() + &alias(&images.hello.layer.storage_path(), &tampered_layer)),
                ),
            };
            servers.push_str(&s);
            listening.push(port);
        }
        servers.push_str(&server(
            token_port,
            &trusted,
            &format!(
                "    location = /token {{\n      auth_basic \"token service\";\n      auth_basic_user_file {};\n      default_type application/json;\n      alias {};\n    }}\n",
                htpasswd.display(),
                token_path.display()
            ),
        ));
        listening.push(token_port);
        let nginx = nginx::start_in(ns, &servers, &listening)?;

        Some(Lab {
            ns,
            ca: registry_ca,
            other_ca,
            images,
            registry_leaf,
            dir,
            origin,
            nginx,
            ports,
            token_port,
            signer_pem: signer.pem(),
            registries: RefCell::new(BTreeMap::new()),
            trust: RefCell::new(BTreeMap::new()),
            dockerd: RefCell::new(None),
            daemon_json: RefCell::new(None),
            containerd: OnceCell::new(),
            skopeo: OnceCell::new(),
        })
    }

    /// `ip:port` of a blob host.
    pub fn blob_host(&self, b: BlobHost) -> String {
        format!("{}:{}", self.ns.addr(), self.ports[&b])
    }

    /// `ip:port` of the token service (its realm is `https://<this>/token`).
    pub fn token_service(&self) -> String {
        format!("{}:{}", self.ns.addr(), self.token_port)
    }

    /// The blob hosts' and the token service's access log (nginx; see
    /// [`nginx::start_in`] for the format).
    pub fn blob_log(&self) -> String {
        self.nginx.access_log()
    }

    /// The CA that signed a blob host's certificate.
    pub fn blob_host_ca(&self, b: BlobHost) -> &Ca {
        match b {
            BlobHost::OtherCa => &self.other_ca,
            _ => &self.ca,
        }
    }

    fn registry_for(&self, role: Role) -> String {
        if role == Role::Origin {
            return self.origin.target();
        }
        let mut regs = self.registries.borrow_mut();
        if let Some(r) = regs.get(&role) {
            return r.target();
        }
        let storage = self.dir.path().join("storage");
        let leaf = &self.registry_leaf;
        let redirect = match role {
            Role::Redirect(b) => Some(format!("https://{}/", self.blob_host(b))),
            _ => None,
        };
        let auth = match role {
            Role::Token => Auth::Token {
                realm: format!("https://{}/token", self.token_service()),
                service: SERVICE.into(),
                signing_ca_pem: self.signer_pem.clone(),
            },
            _ => Auth::None,
        };
        let reg = Spec {
            tls: Some((&leaf.pem, &leaf.key_pem)),
            netns: Some(self.ns),
            storage: Some(&storage),
            redirect: redirect.as_deref(),
            auth,
            ..Spec::default()
        }
        .start()
        .expect("docker-registry was found when the lab was built");
        let target = reg.target();
        regs.insert(role, reg);
        target
    }

    /// The scenario of `kind`, its registry started if needed; its trust is
    /// [`Trust::Registry`].
    pub fn scenario(&self, kind: Kind) -> Scenario<'_, 'a> {
        let registry = self.registry_for(kind.registry());
        self.make(kind, registry)
    }

    fn make(&self, kind: Kind, registry: String) -> Scenario<'_, 'a> {
        self.trust
            .borrow_mut()
            .entry(registry.clone())
            .or_insert(Trust::Registry);
        Scenario {
            lab: self,
            kind,
            target_ref: format!("{registry}/{}", kind.name_tag()),
            blob_host: kind.blob_host().map(|b| self.blob_host(b)),
            registry,
            docker_config: OnceCell::new(),
        }
    }

    /// Starts a client if it is not running yet. False (after a SKIPPED line; a failure
    /// under CI) when it cannot run here.
    pub fn runtime(&self, rt: Runtime) -> bool {
        match rt {
            Runtime::Docker => {
                if self.dockerd.borrow().is_none() {
                    let Some(d) = Dockerd::new(self.ns) else {
                        return false;
                    };
                    *self.dockerd.borrow_mut() = Some(d);
                    self.ensure_daemon_json("{}");
                }
                true
            }
            Runtime::Containerd => self
                .containerd
                .get_or_init(|| Containerd::start(self.ns))
                .is_some(),
            Runtime::CriO => self.skopeo.get_or_init(|| Skopeo::new(self.ns)).is_some(),
        }
    }

    /// (Re)starts dockerd when its daemon.json is not `json` already.
    fn ensure_daemon_json(&self, json: &str) {
        if self.daemon_json.borrow().as_deref() == Some(json) {
            return;
        }
        let mut d = self.dockerd.borrow_mut();
        let d = d.as_mut().expect("Lab::runtime(Runtime::Docker) first");
        if let Err(line) = d.start(json) {
            panic!("dockerd did not start ({line}):\n{}", d.log());
        }
        *self.daemon_json.borrow_mut() = Some(json.to_string());
    }

    fn containerd(&self) -> &Containerd<'a> {
        self.containerd
            .get()
            .and_then(Option::as_ref)
            .expect("Lab::runtime(Runtime::Containerd) first")
    }

    fn skopeo(&self) -> &Skopeo<'a> {
        self.skopeo
            .get()
            .and_then(Option::as_ref)
            .expect("Lab::runtime(Runtime::CriO) first")
    }
}

/// One [`Kind`] seen through a [`Lab`].
pub struct Scenario<'l, 'a> {
    lab: &'l Lab<'a>,
    /// The case.
    pub kind: Kind,
    /// The image reference, as a user gives it to a runtime and to regdoctor:
    /// `10.x.y.z:port/test/hello:v1`.
    pub target_ref: String,
    /// `ip:port` of the registry the clients talk to.
    pub registry: String,
    /// `ip:port` of the host the registry redirects blobs to.
    pub blob_host: Option<String>,
    docker_config: OnceCell<tempfile::TempDir>,
}

impl<'a> Scenario<'_, 'a> {
    /// The lab's namespace.
    pub fn ns(&self) -> &'a Netns {
        self.lab.ns
    }

    /// The credentials the scenario's pulls use (the token service's user), if any.
    pub fn credentials(&self) -> Option<(&'static str, &'static str)> {
        (self.kind == Kind::NoPullScope).then_some((USER, PASSWORD))
    }

    /// A DOCKER_CONFIG directory whose config.json holds the credentials for the
    /// registry (None without credentials).
    pub fn docker_config(&self) -> Option<&Path> {
        let (user, password) = self.credentials()?;
        let dir = self.docker_config.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let auth =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let json = serde_json::json!({"auths": {&self.registry: {"auth": auth}}});
            write(dir.path(), "config.json", json.to_string().as_bytes());
            dir
        });
        Some(dir.path())
    }

    /// The current trust for this scenario's registry.
    pub fn trust(&self) -> Trust {
        self.lab.trust.borrow()[&self.registry]
    }

    /// Sets where the runtimes find the CAs (written into each runtime's files before
    /// its next pull and by [`Scenario::node_args`]). Scenarios sharing a registry share
    /// its trust.
    pub fn set_trust(&self, t: Trust) {
        self.lab.trust.borrow_mut().insert(self.registry.clone(), t);
    }

    fn blob_ca(&self) -> Option<&Ca> {
        self.kind.blob_host().map(|b| self.lab.blob_host_ca(b))
    }

    fn ca_files(&self, both: bool) -> Vec<(&'static str, String)> {
        let mut v = vec![("ca.crt", self.lab.ca.pem.clone())];
        if both && let Some(b) = self.blob_ca() {
            v.push(("blob-ca.crt", b.pem.clone()));
        }
        v
    }

    /// Writes Docker's certs.d entries and daemon.json for this scenario.
    fn apply_docker(&self) {
        let lab = self.lab;
        assert!(lab.runtime(Runtime::Docker), "dockerd cannot run here");
        let t = self.trust();
        let json = if t == Trust::Insecure {
            serde_json::json!({"insecure-registries": [self.registry]}).to_string()
        } else {
            "{}".to_string()
        };
        lab.ensure_daemon_json(&json);
        let d = lab.dockerd.borrow();
        let d = d.as_ref().unwrap();
        let certs = d.etc().join("certs.d");
        let reset = |host: &str| fresh_dir(&certs, host);
        let reg = reset(&self.registry);
        let blob = self.blob_host.as_deref().map(reset);
        match t {
            Trust::Nothing => {}
            Trust::Registry | Trust::RegistryAndServer | Trust::Insecure => {
                put(&reg, &self.ca_files(false))
            }
            Trust::BlobHostEntry => {
                put(&reg, &self.ca_files(false));
                if let (Some(b), Some(ca)) = (&blob, self.blob_ca()) {
                    put(b, &[("ca.crt", ca.pem.clone())]);
                }
            }
            Trust::BothInRegistryEntry => put(&reg, &self.ca_files(true)),
        }
    }

    /// Writes containerd's hosts.toml files for this scenario.
    fn apply_containerd(&self) {
        let lab = self.lab;
        assert!(
            lab.runtime(Runtime::Containerd),
            "containerd cannot run here"
        );
        let c = lab.containerd();
        let hosts = c.hosts_dir();
        let _ = std::fs::remove_dir_all(hosts.join(&self.registry));
        if let Some(b) = &self.blob_host {
            let _ = std::fs::remove_dir_all(hosts.join(b));
        }
        let t = self.trust();
        if t == Trust::Nothing {
            // No directory at all: containerd 1.6 reads the *.crt files of a host
            // directory without hosts.toml as Docker's certs.d.
            return;
        }
        let files = self.ca_files(t == Trust::BothInRegistryEntry);
        let dir = hosts.join(&self.registry);
        std::fs::create_dir_all(&dir).unwrap();
        let paths: Vec<String> = files
            .iter()
            .map(|(name, pem)| write(&dir, name, pem.as_bytes()).display().to_string())
            .collect();
        let ca_line = format!(
            "ca = [{}]",
            paths
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let r = &self.registry;
        let text = match t {
            Trust::Nothing => unreachable!(),
            Trust::Registry | Trust::BlobHostEntry | Trust::BothInRegistryEntry => {
                format!("server = \"https://{r}\"\n\n[host.\"https://{r}\"]\n  {ca_line}\n")
            }
            Trust::RegistryAndServer => format!(
                "server = \"https://{r}\"\n{ca_line}\n\n[host.\"https://{r}\"]\n  {ca_line}\n"
            ),
            Trust::Insecure => {
                format!(
                    "server = \"https://{r}\"\n\n[host.\"https://{r}\"]\n  skip_verify = true\n"
                )
            }
        };
        c.write_hosts_toml(r, &text);
        if t == Trust::BlobHostEntry
            && let (Some(b), Some(ca)) = (&self.blob_host, self.blob_ca())
        {
            let d = hosts.join(b);
            std::fs::create_dir_all(&d).unwrap();
            let p = write(&d, "ca.crt", ca.pem.as_bytes());
            c.write_hosts_toml(
                b,
                &format!(
                    "server = \"https://{b}\"\nca = {p:?}\n\n[host.\"https://{b}\"]\n  ca = {p:?}\n",
                    p = p.display().to_string()
                ),
            );
        }
    }

    /// Writes CRI-O's (containers/image's) certs.d entries and registries.conf.d drop-in.
    fn apply_crio(&self) {
        let lab = self.lab;
        assert!(lab.runtime(Runtime::CriO), "skopeo cannot run here");
        let s = lab.skopeo();
        let certs = s.etc_containers().join("certs.d");
        let dropin = s
            .etc_containers()
            .join("registries.conf.d")
            .join(format!("{}.conf", self.registry.replace(':', "_")));
        let _ = std::fs::remove_file(&dropin);
        let reset = |host: &str| fresh_dir(&certs, host);
        let reg = reset(&self.registry);
        let blob = self.blob_host.as_deref().map(reset);
        match self.trust() {
            Trust::Nothing => {}
            Trust::Registry | Trust::RegistryAndServer => put(&reg, &self.ca_files(false)),
            Trust::BlobHostEntry => {
                put(&reg, &self.ca_files(false));
                if let (Some(b), Some(ca)) = (&blob, self.blob_ca()) {
                    put(b, &[("ca.crt", ca.pem.clone())]);
                }
            }
            Trust::BothInRegistryEntry => put(&reg, &self.ca_files(true)),
            Trust::Insecure => {
                put(&reg, &self.ca_files(false));
                std::fs::write(
                    &dropin,
                    format!(
                        "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
                        self.registry
                    ),
                )
                .unwrap();
            }
        }
    }

    /// `docker pull` of [`Scenario::target_ref`] with the scenario's trust and
    /// credentials; the image is removed afterwards.
    pub fn pull_docker(&self) -> Pulled {
        self.apply_docker();
        let d = self.lab.dockerd.borrow();
        let d = d.as_ref().unwrap();
        let start = Instant::now();
        let result = d.pull_only(&self.target_ref, self.docker_config());
        let elapsed = start.elapsed();
        d.rmi(&self.target_ref);
        Pulled { result, elapsed }
    }

    /// `ctr images pull --hosts-dir` of [`Scenario::target_ref`] (with `--user` when the
    /// scenario has credentials) into an empty store.
    pub fn pull_containerd(&self) -> Pulled {
        self.apply_containerd();
        let c = self.lab.containerd();
        c.forget_all();
        let user = self.credentials().map(|(u, p)| format!("{u}:{p}"));
        let mut extra: Vec<&str> = Vec::new();
        if let Some(u) = &user {
            extra.extend(["--user", u]);
        }
        let start = Instant::now();
        let result = c.pull_only(&self.target_ref, &extra);
        let elapsed = start.elapsed();
        c.forget_all();
        Pulled { result, elapsed }
    }

    fn skopeo_extra(&self) -> Vec<String> {
        match self.credentials() {
            Some((u, p)) => vec!["--src-creds".into(), format!("{u}:{p}")],
            None => Vec::new(),
        }
    }

    /// skopeo copying [`Scenario::target_ref`] into a fresh containers-storage, as CRI-O
    /// pulls.
    pub fn pull_crio(&self) -> Pulled {
        self.apply_crio();
        let extra = self.skopeo_extra();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let start = Instant::now();
        let result = self.lab.skopeo().pull_to_storage(&self.target_ref, &extra);
        Pulled {
            result,
            elapsed: start.elapsed(),
        }
    }

    /// Pulls with `rt`.
    pub fn pull(&self, rt: Runtime) -> Pulled {
        match rt {
            Runtime::Docker => self.pull_docker(),
            Runtime::Containerd => self.pull_containerd(),
            Runtime::CriO => self.pull_crio(),
        }
    }

    /// regdoctor's node flags for `rt`: the runtime's files as its client reads them for
    /// this scenario (written now, per the scenario's trust). The runtime's client is
    /// started if it is not running (dockerd's unit file holds its real command line).
    pub fn node_args(&self, rt: Runtime) -> Vec<String> {
        match rt {
            Runtime::Docker => {
                self.apply_docker();
                self.lab.dockerd.borrow().as_ref().unwrap().node_args()
            }
            Runtime::Containerd => {
                self.apply_containerd();
                self.lab.containerd().node_args()
            }
            Runtime::CriO => {
                self.apply_crio();
                self.lab.skopeo().node_args()
            }
        }
    }
}

/// `root/host`, emptied: the certs.d folder of a host, as a scenario starts it.
fn fresh_dir(root: &Path, host: &str) -> PathBuf {
    let p = root.join(host);
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// Writes each (name, PEM) into `dir`, creating it.
fn put(dir: &Path, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, pem) in files {
        write(dir, name, pem.as_bytes());
    }
}
