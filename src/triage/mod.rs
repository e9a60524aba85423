//! `regdoctor triage`: reads log text (karbon_core.out, `journalctl -u docker` or
//! `-u containerd`, `kubectl describe pod` events), finds every known registry error
//! signature, and for each distinct one says what it means, how to fix it, and which
//! regdoctor command to run next. Streams the input once, matching all signatures at the
//! same time (Aho-Corasick), and groups the lines by signature and host through a hash
//! index, so multi-megabyte logs of many different errors take linear time. Each signature
//! lists at most [`MAX_HOSTS`] hosts; its lines for any other host are counted in one more
//! match ("and N other hosts").

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::io::BufRead;

use serde::Serialize;

use crate::codes::Code;

mod matcher;
pub mod signatures;

pub use matcher::Matcher;
pub use signatures::Next;
use signatures::{Id, SIGNATURES};

/// The most of one line held in memory at once.
const MAX_LINE: u64 = 1 << 20;

/// The most hosts listed one by one for a signature; the lines for the others are counted
/// in one match per signature.
pub const MAX_HOSTS: usize = 20;

/// The most distinct other hosts counted exactly for a signature (beyond that the count
/// says "at least").
const MAX_COUNTED_HOSTS: usize = 1_000_000;

/// One distinct signature found.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// The signature id.
    pub signature: &'static str,
    /// The finding code it corresponds to.
    pub code: Option<Code>,
    /// How many lines matched it (for this host).
    pub count: u64,
    /// The first matching line number.
    pub first_line: u64,
    /// That line (at most 400 characters).
    pub line: String,
    /// The registry it concerns, when the line names one (null too for the match that
    /// gathers the hosts beyond the first [`MAX_HOSTS`]: see `other_hosts`).
    pub host: Option<String>,
    /// For the match that gathers a signature's lines for the hosts beyond its first
    /// [`MAX_HOSTS`]: how many other hosts (distinct; at most 1,000,000 are counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_hosts: Option<u64>,
    /// What it means (the "Meaning" of its code's check page).
    pub meaning: String,
    /// How to fix it (the "How to fix" of its code's check page).
    pub fix: String,
    /// The regdoctor command to run next.
    pub command: String,
    /// What the command needs (for the human and Markdown text).
    #[serde(skip)]
    pub next: Next,
}

/// The triage result.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    /// Always "regdoctor.triage/v1".
    pub schema: &'static str,
    /// Where the text came from.
    pub source: String,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Distinct signatures, in order of first appearance.
    pub matches: Vec<Match>,
}

/// Where each (signature, host) group is in `matches`, and how many hosts each signature
/// lists.
#[derive(Default)]
struct Index {
    groups: HashMap<(&'static str, Option<String>), usize>,
    per_signature: HashMap<&'static str, Hosts>,
}

/// A signature's hosts.
#[derive(Default)]
struct Hosts {
    /// Listed one by one.
    listed: usize,
    /// The match gathering the others.
    others: Option<usize>,
    /// Hashes of the other hosts seen (at most [`MAX_COUNTED_HOSTS`]).
    seen: HashSet<u64>,
}

/// Reads `input` to the end and triages it.
pub fn triage(input: &mut dyn BufRead, source: &str) -> std::io::Result<Triage> {
    let matcher = Matcher::shared();
    let mut out = Triage {
        schema: "regdoctor.triage/v1",
        source: source.to_string(),
        lines: 0,
        bytes: 0,
        matches: Vec::new(),
    };
    let mut index = Index::default();
    let mut buf = Vec::with_capacity(4096);
    let mut last_host: Option<String> = None;
    loop {
        buf.clear();
        // A line longer than MAX_LINE is read in pieces, so memory stays bounded.
        let n = std::io::Read::take(&mut *input, MAX_LINE).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') || n < MAX_LINE as usize {
            out.lines += 1;
        }
        out.bytes += n as u64;
        let Some(idx) = matcher.classify(&buf) else {
            // Karbon names the registry on lines before its precheck error.
            if matcher.names_endpoint(&buf) {
                last_host = host_in(&String::from_utf8_lossy(&buf));
            }
            continue;
        };
        let text = String::from_utf8_lossy(&buf);
        out.record(&mut index, idx, text.trim_end(), &mut last_host);
    }
    Ok(out)
}

impl Triage {
    /// Counts a line that matched the signature `idx`: a new match, or one more of a
    /// signature already seen for the same host (or, beyond [`MAX_HOSTS`] hosts, for
    /// another host).
    fn record(
        &mut self,
        index: &mut Index,
        idx: usize,
        text: &str,
        last_host: &mut Option<String>,
    ) {
        let sig = &SIGNATURES[idx];
        // Go prints one text for both; the times say which it is.
        let id = match sig.id {
            Id::Code(Code::Expired) if text.contains(" is before ") => Id::Code(Code::NotYetValid),
            id => id,
        };
        let mut host = host_in(text);
        if host.is_none() && sig.id == Id::KarbonPrecheck {
            host = last_host.clone();
        }
        if host.is_some() {
            last_host.clone_from(&host);
        }
        let key = (id.as_str(), host);
        if let Some(&i) = index.groups.get(&key) {
            self.matches[i].count += 1;
            return;
        }
        let (_, host) = key;
        let hosts = index.per_signature.entry(id.as_str()).or_default();
        if host.is_some() && hosts.listed >= MAX_HOSTS {
            if hosts.seen.len() < MAX_COUNTED_HOSTS {
                hosts.seen.insert(index.groups.hasher().hash_one(&host));
            }
            let n = hosts.seen.len() as u64;
            match hosts.others {
                Some(i) => {
                    let m = &mut self.matches[i];
                    m.count += 1;
                    m.other_hosts = Some(n);
                }
                None => {
                    hosts.others = Some(self.matches.len());
                    let mut m = self.new_match(id, sig.next, text, None);
                    m.other_hosts = Some(n);
                    self.matches.push(m);
                }
            }
            return;
        }
        if host.is_some() {
            hosts.listed += 1;
        }
        let m = self.new_match(id, sig.next, text, host.clone());
        index.groups.insert((id.as_str(), host), self.matches.len());
        self.matches.push(m);
    }

    fn new_match(&self, id: Id, next: Next, text: &str, host: Option<String>) -> Match {
        Match {
            signature: id.as_str(),
            code: id.code(),
            count: 1,
            first_line: self.lines,
            line: excerpt(text),
            command: command(next, host.as_deref()),
            host,
            other_hosts: None,
            meaning: id.meaning(),
            fix: id.fix(),
            next,
        }
    }
}

/// The line, or its start and its end (where Go puts the cause) when it is long.
fn excerpt(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 400 {
        return text.to_string();
    }
    let head: String = chars[..120].iter().collect();
    let tail: String = chars[chars.len() - 270..].iter().collect();
    format!("{head} … {tail}")
}

/// The CA file every suggested command names (the guides and README name it so too).
pub const CA_FILE: &str = "ca.crt";

fn command(next: Next, host: Option<&str>) -> String {
    let h = host.unwrap_or("HOST:PORT");
    match next {
        Next::Tls => format!("regdoctor {h} --ca {CA_FILE}"),
        Next::PlainHttp => format!("regdoctor {h} --daemon-json /etc/docker/daemon.json"),
        Next::Auth => format!("regdoctor {h} --user USER --password-stdin"),
        Next::DaemonJson => "regdoctor --daemon-json /etc/docker/daemon.json".into(),
        Next::Containerd => format!("regdoctor {h} --containerd-certs-d /etc/containerd/certs.d"),
        Next::Containers => {
            format!("regdoctor {h} --registries-conf /etc/containers/registries.conf")
        }
        Next::Karbon => format!("regdoctor {h} --ca {CA_FILE} --runtime karbon"),
        Next::CertsD => format!("regdoctor {h} --docker-certs-d /etc/docker/certs.d"),
    }
}

impl Next {
    /// What the files and words in its command stand for, when they need saying.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Next::Tls => Some(
                "ca.crt: the CA certificate (PEM) that signed the registry's certificate, the one the nodes are given",
            ),
            Next::Karbon => Some(
                "ca.crt: the CA certificate (PEM) that signed the registry's certificate, the file given to `karbonctl registry add --cert-file`",
            ),
            Next::Auth => {
                Some("USER: the registry account; the password is read from standard input")
            }
            _ => None,
        }
    }
}

/// The registry `host[:port]` a log line concerns.
pub fn host_in(line: &str) -> Option<String> {
    let token_after = |start: usize, stops: &[char]| -> String {
        line[start..]
            .chars()
            .take_while(|c| !stops.contains(c))
            .collect()
    };
    for scheme in ["https://", "http://"] {
        if let Some(i) = line.find(scheme) {
            let h = token_after(i + scheme.len(), &['/', '"', ' ', '\'', ')', ',', '?']);
            let h = h.rsplit('@').next().unwrap_or(&h).to_string();
            if !h.is_empty() {
                return Some(h);
            }
        }
    }
    for marker in [
        "pinging container registry ",
        "lookup ",
        "dial tcp ",
        "endpoint: ",
    ] {
        if let Some(i) = line.find(marker) {
            let t = token_after(i + marker.len(), &[' ', '"']);
            let t = t.trim_end_matches(':').to_string();
            if !t.is_empty() && t != "tcp" {
                return Some(t);
            }
        }
    }
    for marker in ["image \"", "certs.d/"] {
        if let Some(i) = line.find(marker) {
            let t = token_after(i + marker.len(), &['"', ' ']);
            let reg = t.split('/').next().unwrap_or_default();
            if reg.contains(['.', ':']) || reg == "localhost" {
                return Some(reg.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Triage {
        triage(&mut text.as_bytes(), "test").unwrap()
    }

    #[test]
    fn most_specific_signature_wins() {
        let t = run(
            "Get \"https://reg:5000/v2/\": x509: certificate signed by unknown authority (possibly because of \"crypto/rsa: verification error\" while trying to verify candidate authority certificate \"CA\")\n",
        );
        assert_eq!(t.matches[0].code, Some(Code::WrongCa));
        assert_eq!(t.matches[0].host.as_deref(), Some("reg:5000"));
    }

    #[test]
    fn hosts_are_found_in_common_shapes() {
        assert_eq!(
            host_in("dial tcp 10.0.0.5:5000: connect: connection refused").as_deref(),
            Some("10.0.0.5:5000")
        );
        assert_eq!(
            host_in("dial tcp: lookup reg.example.com on 10.0.0.2:53: no such host").as_deref(),
            Some("reg.example.com")
        );
        assert_eq!(
            host_in("pinging container registry 10.0.0.5:5000: Get x").as_deref(),
            Some("10.0.0.5:5000")
        );
        assert_eq!(
            host_in(r#"Failed to pull image "10.0.0.5:5000/app:1": rpc error"#).as_deref(),
            Some("10.0.0.5:5000")
        );
        assert_eq!(host_in("nothing here"), None);
    }

    #[test]
    fn distinct_by_signature_and_host_with_counts() {
        let line =
            "Get \"https://10.0.0.5:5000/v2/\": http: server gave HTTP response to HTTPS client\n";
        let t = run(&format!(
            "{line}{line}unrelated\n{}",
            line.replace("10.0.0.5", "10.0.0.6")
        ));
        assert_eq!(t.matches.len(), 2);
        assert_eq!(t.matches[0].count, 2);
        assert_eq!(t.lines, 4);
    }

    #[test]
    fn hosts_beyond_the_first_twenty_are_gathered_in_one_match() {
        let mut log = String::new();
        for round in 0..2 {
            for i in 0..50 {
                log.push_str(&format!(
                    "dial tcp 10.0.{round}.{i}:5000: connect: connection refused\n"
                ));
            }
        }
        // The first twenty hosts again: counted under their own match.
        log.push_str("dial tcp 10.0.0.0:5000: connect: connection refused\n");
        let t = run(&log);
        assert_eq!(t.matches.len(), MAX_HOSTS + 1);
        assert_eq!(t.matches[0].count, 2);
        let others = &t.matches[MAX_HOSTS];
        assert_eq!(others.host, None);
        assert_eq!(others.other_hosts, Some(80));
        assert_eq!(others.count, 80);
        assert_eq!(others.first_line, 21);
        assert_eq!(t.matches.iter().map(|m| m.count).sum::<u64>(), 101);
    }

    #[test]
    fn not_yet_valid_is_told_apart_from_expired() {
        let t = run(
            "x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is before 2026-02-01T00:00:00Z\n",
        );
        assert_eq!(t.matches[0].code, Some(Code::NotYetValid));
    }

    #[test]
    fn nothing_matched_says_so() {
        let t = run("all good\n");
        assert!(t.matches.is_empty());
        assert_eq!(t.lines, 1);
    }
}
