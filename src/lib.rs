//! regdoctor finds out why a container runtime cannot pull from a private registry.
//!
//! Data flows one way, and each module only uses modules of its own layer or below
//! (tests/architecture.rs enforces it; docs/architecture.md draws it and says where things
//! live):
//!
//! ```text
//! cli ─→ pipeline ─┬→ probe (network, one deadline) ─┐
//!                  ├→ local (node files)  ───────────┼→ facts → runtimes → checks → report → render
//!                  └→ target                         ┘
//! ```
//!
//! | layer | module | owns | must not |
//! |---|---|---|---|
//! | 0 | [`codes`] | every finding code and check id | know about anything else |
//! | 0 | [`secret`] | credentials that cannot be printed | implement `Serialize` |
//! | 0 | [`text`] | small text helpers (edit distance, lists) | |
//! | 0 | [`formats`] | parsers of file formats (systemd units) | do I/O |
//! | 0 | [`jsonpos`] | JSON with positions and Go's error texts | do I/O |
//! | 0 | [`challenge`] | `WWW-Authenticate` parsing | do I/O |
//! | 1 | [`target`] | parsing `host:port` / URLs | do I/O |
//! | 1 | [`pki`] | Go-compatible (crypto/x509) certificate analysis | do I/O, read the clock |
//! | 2 | [`facts`] | plain data: the evidence | do I/O |
//! | 3 | [`runtimes`] | each runtime's effective client; Go's verdict per trust store; the lines runtimes print | do I/O |
//! | 3 | [`local`] | reading node files and binaries into facts | judge anything |
//! | 3 | [`probe`] | DNS, TCP, TLS, HTTP under one deadline → facts | judge anything |
//! | 4 | [`finding`] | a finding, its typed evidence (one struct per family) and a check's result | know the report |
//! | 5 | [`checks`] | pure functions of facts → findings; the check pages' sections | do I/O, read env or clock |
//! | 5 | [`triage`] | known error signatures in logs (signatures, matcher) | word meanings and fixes (they are the check pages') |
//! | 6 | [`report`] | the serde model and JSON contract; the per-runtime answer | know about colours |
//! | 6 | [`summarize`] | many nodes' reports → one fleet summary | |
//! | 7 | [`render`] | report → text (human, JSON, Markdown); triage → text | read env, terminal or clock; show what the report does not hold |
//! | 7 | [`explain`] | the check pages | |
//! | 8 | [`pipeline`] | the library's entry point: inputs → reports | parse arguments |
//! | 8 | [`watch`] | rounds on an interval, served as Prometheus metrics | parse arguments |
//! | 9 | [`cli`] | argument parsing, exit codes, the output decision (colour, width, locale) | hold diagnosis logic |
//! | 9 | [`progress`] | the progress display on a terminal | write to stdout |
//! | 9 | [`manpage`] | the man pages: clap's sections plus examples, exit status, environment | |

pub mod challenge;
pub mod checks;
pub mod cli;
pub mod codes;
pub mod explain;
pub mod facts;
pub mod finding;
pub mod formats;
pub mod jsonpos;
pub mod local;
pub mod manpage;
pub mod pipeline;
pub mod pki;
pub mod probe;
pub mod progress;
pub mod render;
pub mod report;
pub mod runtimes;
pub mod secret;
pub mod summarize;
pub mod target;
pub mod text;
pub mod triage;
pub mod watch;
