//! Go's verdict on the presented chain, computed once per distinct trust store (the
//! system roots plus a runtime's CA files for this registry) before any check runs. The
//! checks, the credentials permit and the report all read these verdicts, so two parts of
//! a report cannot judge the same runtime's trust differently.

use serde::Serialize;

use super::Clients;
use crate::facts::Facts;
use crate::pki::{Cert, GoError, GoVerdict, verify, verify_chain};

/// One trust store and Go's verdicts with it.
#[derive(Debug, Clone)]
pub struct Store {
    /// The CA files added to the system roots (empty: the system roots alone).
    pub ca_paths: Vec<String>,
    /// Every root: the system roots, then the CA files' certificates.
    pub roots: Vec<Cert>,
    /// How many of `roots` are system roots.
    pub system_count: usize,
    /// `Certificate.Verify` with the dialled host: what the runtime does.
    pub verdict: GoVerdict,
    /// Chain building alone (no dates of the leaf, no host name): what `ca-chain` explains.
    pub chain: GoVerdict,
}

impl Store {
    /// Go accepts the chain for the dialled host.
    pub fn ok(&self) -> bool {
        self.verdict.error.is_none()
    }

    /// The store, described for people: "the system roots (…) + /etc/docker/certs.d/h/ca.crt".
    pub fn describe(&self, system: &str) -> String {
        let mut s = system.to_string();
        for p in &self.ca_paths {
            s.push_str(" + ");
            s.push_str(p);
        }
        s
    }

    /// The error Go returns, if any.
    pub fn error(&self) -> Option<&GoError> {
        self.verdict.error.as_ref()
    }
}

/// Go's verdicts for every judged client that verifies.
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    /// The presented chain, parsed (empty when there is none or Go cannot parse it).
    pub chain: Vec<Cert>,
    /// The distinct stores.
    pub stores: Vec<Store>,
    /// For each judged client (same order), its store; None when it does not verify.
    pub by_client: Vec<Option<usize>>,
    /// How the system roots were found, for people.
    pub system: String,
    /// The system roots the presented chain can reach (by name), parsed once.
    pub system_roots: Vec<Cert>,
    /// Go's parse error for a presented certificate it cannot parse (the handshake fails
    /// before any verification).
    pub parse_error: Option<String>,
    /// Go's verdict with the system roots (and `--ca`), for runtimes that do not verify:
    /// what they would see if they did.
    pub baseline: Option<Store>,
}

impl Verdicts {
    /// The store of the i-th judged client.
    pub fn for_client(&self, i: usize) -> Option<&Store> {
        self.by_client
            .get(i)
            .copied()
            .flatten()
            .and_then(|s| self.stores.get(s))
    }
}

/// Computes each distinct store's verdict once.
pub fn evaluate(facts: &Facts, clients: &Clients) -> Verdicts {
    let chain = facts.presented_chain();
    let parse_error = facts
        .tls
        .iter()
        .flat_map(|t| t.chain.iter())
        .find_map(|der| Cert::parse(der).err());
    // Only the system roots this chain can reach (Go looks parents up by name), parsed.
    let system: Vec<Cert> = facts
        .system_roots
        .as_ref()
        .map(|s| s.candidates(&chain))
        .unwrap_or_default();
    let system_text = match &facts.system_roots {
        Some(s) => format!("the system roots ({}, {} certificates)", s.source, s.len()),
        None => "the system roots (none found)".into(),
    };
    let mut out = Verdicts {
        system: system_text,
        ..Verdicts::default()
    };
    for client in &clients.judged {
        if !client.verifies() || chain.is_empty() {
            out.by_client.push(None);
            continue;
        }
        let index = out.store_of(facts, client, &system, &chain);
        out.by_client.push(Some(index));
    }
    if !chain.is_empty() {
        out.baseline = Some(baseline(facts, &system, &chain));
    }
    out.chain = chain;
    out.system_roots = system;
    out.parse_error =
        parse_error.map(|why| format!("tls: failed to parse certificate from server: x509: {why}"));
    out
}

/// Go's verdict for a host the pull is redirected to (blob storage, a CDN) or a token
/// realm, as `client` judges it: with the trust it uses for the registry — the runtimes
/// follow redirects with the registry's transport (observed with dockerd 20.10: the
/// registry's certs.d CA covers the storage host, and a certs.d folder named after the
/// storage host is never read). None when the client does not verify certificates.
pub fn hop_verdict(
    facts: &Facts,
    client: &super::Client,
    chain: &[Vec<u8>],
    host: &crate::target::Host,
) -> Option<crate::pki::GoVerdict> {
    if !client.verifies() {
        return None;
    }
    let chain: Vec<Cert> = chain.iter().filter_map(|d| Cert::parse(d).ok()).collect();
    let mut roots = facts
        .system_roots
        .as_ref()
        .map(|s| s.candidates(&chain))
        .unwrap_or_default();
    roots.extend(
        client
            .cas()
            .iter()
            .flat_map(|c| c.certs.iter())
            .filter_map(|d| Cert::parse(d).ok()),
    );
    Some(verify(&chain, &roots, Some(host), facts.now))
}

impl Verdicts {
    /// The index of the store of a client that verifies: an existing store with the same
    /// CA certificates, or a new one with Go's verdicts.
    fn store_of(
        &mut self,
        facts: &Facts,
        client: &super::Client,
        system: &[Cert],
        chain: &[Cert],
    ) -> usize {
        let cas = client.cas();
        let key: Vec<&[u8]> = cas
            .iter()
            .flat_map(|c| c.certs.iter().map(Vec::as_slice))
            .collect();
        let existing = self.stores.iter().position(|s| {
            let have: Vec<&[u8]> = s.roots[s.system_count..]
                .iter()
                .map(|c| c.der.as_slice())
                .collect();
            have == key
        });
        if let Some(i) = existing {
            return i;
        }
        let host = facts.target.as_ref().ok().map(|t| &t.host);
        let mut roots = system.to_vec();
        roots.extend(key.iter().filter_map(|d| Cert::parse(d).ok()));
        let verdict = verify(chain, &roots, host, facts.now);
        let chain_verdict = verify_chain(chain, &roots, facts.now);
        self.stores.push(Store {
            ca_paths: cas.iter().map(|c| c.path.clone()).collect(),
            roots,
            system_count: system.len(),
            verdict,
            chain: chain_verdict,
        });
        self.stores.len() - 1
    }
}

/// Go's verdict with the system roots and `--ca`: what a runtime that does not verify
/// would see if it did.
fn baseline(facts: &Facts, system: &[Cert], chain: &[Cert]) -> Store {
    let host = facts.target.as_ref().ok().map(|t| &t.host);
    let mut roots = system.to_vec();
    let mut ca_paths = vec![];
    if let Some(ca) = &facts.ca_file {
        roots.extend(crate::pki::bundle::parse(&ca.bytes).certs);
        ca_paths.push(format!("--ca {}", ca.path));
    }
    Store {
        ca_paths,
        verdict: verify(chain, &roots, host, facts.now),
        chain: verify_chain(chain, &roots, facts.now),
        system_count: system.len(),
        roots,
    }
}

impl Verdicts {
    /// Go's verdict as one line, for the report's evidence: the parse failure, else the
    /// first judged runtime's store, else the system roots (and --ca); "ok" when it
    /// verifies.
    pub fn headline(&self) -> Option<String> {
        if let Some(p) = &self.parse_error {
            return Some(p.clone());
        }
        let store = self
            .by_client
            .iter()
            .flatten()
            .next()
            .map(|i| &self.stores[*i]);
        store.or(self.baseline.as_ref()).map(|s| match s.error() {
            None => "ok".to_string(),
            Some(e) => e.tls_text(),
        })
    }
}

/// A store for people, in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct StoreSummary {
    /// The system roots, then each CA file.
    pub trusts: String,
    /// Go's verdict: "ok" or its error.
    pub go_verdict: String,
}
