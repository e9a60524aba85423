//! The matcher: every signature's needles in one Aho-Corasick automaton, so a line is
//! classified in one pass whatever the number of signatures.

use aho_corasick::{AhoCorasick, MatchKind};

use super::signatures::SIGNATURES;

/// The matcher, built once.
pub struct Matcher {
    ac: AhoCorasick,
    owner: Vec<usize>,
    /// Karbon's "endpoint: " (the registry named before a precheck error).
    endpoint: AhoCorasick,
}

impl Matcher {
    /// Builds the automaton over every signature's needles.
    pub fn new() -> Matcher {
        let mut needles = Vec::new();
        let mut owner = Vec::new();
        for (i, s) in SIGNATURES.iter().enumerate() {
            for n in s.needles {
                needles.push(*n);
                owner.push(i);
            }
        }
        // The needles are fixed, valid literals: building cannot fail.
        #[allow(clippy::expect_used)]
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&needles)
            .expect("static needles build an automaton");
        #[allow(clippy::expect_used)]
        let endpoint = AhoCorasick::new(["endpoint: "]).expect("one literal builds");
        Matcher {
            ac,
            owner,
            endpoint,
        }
    }

    /// Whether a line names an endpoint (`endpoint: host:port`): a substring search with
    /// a prefilter, not a comparison at every byte.
    pub fn names_endpoint(&self, line: &[u8]) -> bool {
        self.endpoint.is_match(line)
    }

    /// The index in [`SIGNATURES`] of the most specific signature matching a line.
    pub fn classify(&self, line: &[u8]) -> Option<usize> {
        self.ac
            .find_overlapping_iter(line)
            .map(|m| self.owner[m.pattern().as_usize()])
            .min()
    }
}

impl Matcher {
    /// The process's one matcher, built on first use: building the automaton costs more
    /// than triaging a short log (found by fuzz/: 40 ms an input in the instrumented build).
    pub fn shared() -> &'static Matcher {
        static MATCHER: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
        MATCHER.get_or_init(Matcher::new)
    }
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::new()
    }
}
