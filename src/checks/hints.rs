//! Fixes in the flavour of each runtime a finding applies to: where a CA goes, how a
//! plain-HTTP registry is allowed, how credentials are given, and for Nutanix Karbon the
//! `karbonctl` steps from the seed article. A fix never overwrites an existing file.

use crate::facts::{Facts, Runtime};

/// The fix for each runtime, joined.
fn each(runtimes: &[Runtime], one: impl Fn(Runtime) -> String) -> String {
    let mut seen = Vec::new();
    let parts: Vec<String> = runtimes
        .iter()
        .filter(|r| {
            let new = !seen.contains(*r);
            seen.push(**r);
            new
        })
        .map(|r| one(*r))
        .collect();
    parts.join("; ")
}

fn parts(facts: &Facts) -> (String, String, u16) {
    match &facts.target {
        Ok(t) => (t.registry_name(), t.host.to_string(), t.port),
        Err(_) => ("HOST:PORT".into(), "HOST".into(), 443),
    }
}

/// Install `ca` (a CA certificate file) so each runtime trusts the registry.
pub fn trust_ca(runtimes: &[Runtime], facts: &Facts, ca: &str) -> String {
    each(runtimes, |r| trust_ca_one(r, facts, ca))
}

fn trust_ca_one(runtime: Runtime, facts: &Facts, ca: &str) -> String {
    let (name, host, port) = parts(facts);
    match runtime {
        Runtime::Docker | Runtime::Any => format!(
            "Docker, on every node: `mkdir -p /etc/docker/certs.d/{name} && cp {ca} /etc/docker/certs.d/{name}/ca.crt` (no restart needed)"
        ),
        Runtime::Containerd => format!(
            "containerd, on every node: `mkdir -p /etc/containerd/certs.d/{name} && cp {ca} /etc/containerd/certs.d/{name}/ca.crt`, then in /etc/containerd/certs.d/{name}/hosts.toml (create it if there is none: `[ -e /etc/containerd/certs.d/{name}/hosts.toml ] || printf 'server = \"https://{name}\"\\n[host.\"https://{name}\"]\\n  capabilities = [\"pull\", \"resolve\"]\\n  ca = \"ca.crt\"\\n' > /etc/containerd/certs.d/{name}/hosts.toml`; else add ca = \"ca.crt\" to its [host.\"https://{name}\"] table); config_path must point at /etc/containerd/certs.d"
        ),
        Runtime::CriO => format!(
            "CRI-O/podman, on every node: `mkdir -p /etc/containers/certs.d/{name} && cp {ca} /etc/containers/certs.d/{name}/ca.crt` (no restart needed)"
        ),
        Runtime::Karbon => format!(
            "on Prism Central: `karbonctl registry add --name REGISTRY --url {host} --port {port} --cert-file {ca}`, then `karbonctl cluster registry add --cluster-name CLUSTER --registry-name REGISTRY` (Karbon copies it to /etc/docker/certs.d/{name}/ on every node)"
        ),
    }
}

/// Allow each runtime to use the registry over plain HTTP.
pub fn allow_plain_http(runtimes: &[Runtime], facts: &Facts) -> String {
    each(runtimes, |r| allow_plain_http_one(r, facts))
}

fn allow_plain_http_one(runtime: Runtime, facts: &Facts) -> String {
    let (name, host, port) = parts(facts);
    match runtime {
        Runtime::Docker | Runtime::Any => format!(
            "Docker: add \"insecure-registries\": [\"{name}\"] to /etc/docker/daemon.json on every node, then `systemctl restart docker`"
        ),
        Runtime::Containerd => format!(
            "containerd: on every node, a [host.\"http://{name}\"] table in /etc/containerd/certs.d/{name}/hosts.toml (containerd 1.6 ignores a file without one); if there is no hosts.toml yet: `mkdir -p /etc/containerd/certs.d/{name} && [ -e /etc/containerd/certs.d/{name}/hosts.toml ] || printf 'server = \"http://{name}\"\\n[host.\"http://{name}\"]\\n  capabilities = [\"pull\", \"resolve\"]\\n' > /etc/containerd/certs.d/{name}/hosts.toml`"
        ),
        Runtime::CriO => format!(
            "CRI-O: add [[registry]] location = \"{name}\" insecure = true to /etc/containers/registries.conf on every node, then `systemctl restart crio`"
        ),
        Runtime::Karbon => format!(
            "Karbon: add it as an insecure registry (without --cert-file): `karbonctl registry add --name REGISTRY --url {host} --port {port}`, then `karbonctl cluster registry add --cluster-name CLUSTER --registry-name REGISTRY` (Karbon writes insecure-registries into every node's daemon.json and restarts Docker)"
        ),
    }
}

/// Give each runtime credentials (and Kubernetes, once).
pub fn login(runtimes: &[Runtime], facts: &Facts) -> String {
    let (name, _, _) = parts(facts);
    let k8s = format!(
        "Kubernetes: `kubectl create secret docker-registry regcred --docker-server={name} --docker-username=USER --docker-password=PASS` and imagePullSecrets: [{{name: regcred}}] in the pod spec"
    );
    let each_runtime = each(runtimes, |r| login_one(r, facts));
    if runtimes.contains(&Runtime::Karbon) {
        return each_runtime;
    }
    format!("{each_runtime}; {k8s}")
}

fn login_one(runtime: Runtime, facts: &Facts) -> String {
    let (name, _, _) = parts(facts);
    match runtime {
        Runtime::Docker | Runtime::Any => format!("Docker: `docker login {name}` on every node"),
        Runtime::Containerd => {
            format!(
                "containerd: kubelet passes the pod's imagePullSecrets; for ctr: `ctr images pull --user USER {name}/IMAGE:TAG`"
            )
        }
        Runtime::CriO => format!("CRI-O/podman: `podman login {name}` (auth.json)"),
        Runtime::Karbon => format!(
            "Karbon 2.1.1 and earlier cannot use registries that require authentication: allow anonymous pulls on {name}, or check the release notes of your Karbon version; Kubernetes: `kubectl create secret docker-registry regcred --docker-server={name} --docker-username=USER --docker-password=PASS` and imagePullSecrets: [{{name: regcred}}] in the pod spec"
        ),
    }
}

/// Give each runtime a client certificate.
pub fn client_cert(runtimes: &[Runtime], facts: &Facts) -> String {
    each(runtimes, |r| client_cert_one(r, facts))
}

fn client_cert_one(runtime: Runtime, facts: &Facts) -> String {
    let (name, _, _) = parts(facts);
    match runtime {
        Runtime::Docker | Runtime::Karbon | Runtime::Any => format!(
            "Docker: put the client certificate and key in /etc/docker/certs.d/{name}/client.cert and client.key"
        ),
        Runtime::Containerd => format!(
            "containerd: client = [[\"client.cert\", \"client.key\"]] in /etc/containerd/certs.d/{name}/hosts.toml, with both files beside it"
        ),
        Runtime::CriO => format!(
            "CRI-O/podman: put client.cert and client.key in /etc/containers/certs.d/{name}/"
        ),
    }
}
