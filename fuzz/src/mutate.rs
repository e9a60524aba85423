//! A small deterministic mutation loop over a seed corpus: what the `cargo test` smoke runs
//! (and `fuzz/src/bin/mutate.rs`, the long mode's fallback where AFL++ cannot be built).
//! Not coverage-guided: AFL++ is the long mode's engine.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to some parser here.
const INTERESTING: &[u8] = b"\0\x7f\x80\xff\"'{}[],:=\\\n\r\t -./0123456789#;$@%*?";

/// Tokens worth splicing in: JSON, TOML, PEM, headers, URLs, units, DER headers.
const TOKENS: &[&[u8]] = &[
    b"true",
    b"false",
    b"null",
    b"\\u",
    b"\\ud83d\\ude00",
    b"1e400",
    b"-0.0e+1",
    b"[host.\"https://10.0.0.5:5000\"]",
    b"[[registry]]",
    b"[plugins.\"io.containerd.grpc.v1.cri\".registry]",
    b"config_path = ",
    b"insecure = true",
    b"skip_verify = true",
    b"ca = ",
    b"location = ",
    b"prefix = ",
    b"\"insecure-registries\": ",
    b"\"registry-mirrors\": ",
    b"-----BEGIN CERTIFICATE-----\n",
    b"-----END CERTIFICATE-----\n",
    b"-----BEGIN PRIVATE KEY-----\n",
    b"Bearer realm=",
    b"Basic realm=",
    b", service=",
    b"https://",
    b"http://",
    b"[::1]",
    b":5000",
    b"[Service]\n",
    b"ExecStart=",
    b"Environment=",
    b"EnvironmentFile=-",
    b"${",
    b"x509: certificate signed by unknown authority",
    b"tls: failed to verify certificate: ",
    b"http: server gave HTTP response to HTTPS client",
    b"\x30\x82",
    b"\x30\x81\x80",
    b"\x06\x03\x55\x1d\x11",
    b"\x01\x01\xff",
    b"\x17\x0d",
    b"\x18\x0f",
    b"@sha256:",
    b"localhost/",
    b"\"manifests\":[",
    b"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}",
    b"\"config\":{\"digest\":",
    b"application/vnd.oci.image.index.v1+json",
];

/// One to four mutations of `input`, some splicing in another corpus entry.
pub fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                out.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                out.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = out[i..i + n].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, chunk);
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - i).min(128));
                    let at = rng.below(len + 1);
                    out.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            6 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let at = rng.below(len + 1);
                out.splice(at..at, t.iter().copied());
            }
            7 if len > 0 => out.truncate(rng.below(len)),
            8 if len > 0 => {
                let i = rng.below(len);
                out[i] = out[i].wrapping_add(1 + rng.below(3) as u8);
            }
            _ => {
                let i = rng.below(len + 1);
                out.insert(i, rng.next() as u8);
            }
        }
    }
    out.truncate(1 << 16);
    out
}

/// Every file of a corpus folder, sorted by name.
pub fn load_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// A failed input.
pub struct Failure {
    /// The input.
    pub input: Vec<u8>,
    /// The panic message, or "slow: N ms".
    pub why: String,
}

/// What a loop did.
pub struct Stats {
    /// Inputs run.
    pub execs: u64,
    /// Inputs that panicked or ran past the limit.
    pub failures: Vec<Failure>,
    /// The slowest input's time.
    pub slowest: Duration,
    /// The whole loop's time.
    pub elapsed: Duration,
}

/// Runs every seed, then `execs` mutants (each of a seed or of an earlier mutant that
/// did not fail), each bounded by `limit`. Stops after `max_failures` failures.
pub fn run(
    run: fn(&[u8]),
    corpus: &[Vec<u8>],
    execs: u64,
    seed: u64,
    limit: Duration,
    max_failures: usize,
) -> Stats {
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let mut stats = Stats {
        execs: 0,
        failures: Vec::new(),
        slowest: Duration::ZERO,
        elapsed: Duration::ZERO,
    };
    let one = |input: &[u8], stats: &mut Stats| {
        let t = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| run(input)));
        let took = t.elapsed();
        stats.execs += 1;
        stats.slowest = stats.slowest.max(took);
        let why = match r {
            Err(e) => Some(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into()),
            ),
            Ok(()) if took > limit => Some(format!("slow: {} ms", took.as_millis())),
            Ok(()) => None,
        };
        match why {
            Some(why) => {
                stats.failures.push(Failure {
                    input: input.to_vec(),
                    why,
                });
                false
            }
            None => true,
        }
    };
    for s in corpus {
        one(s, &mut stats);
    }
    let empty = [Vec::new()];
    let seeds: &[Vec<u8>] = if corpus.is_empty() { &empty } else { corpus };
    let mut current = seeds[0].clone();
    for i in 0..execs {
        if stats.failures.len() >= max_failures {
            break;
        }
        // Mostly walk on from the last mutant; restart from a seed now and then.
        if i % 8 == 0 {
            current = seeds[rng.below(seeds.len())].clone();
        }
        let m = mutate(&mut rng, &current, seeds);
        if one(&m, &mut stats) {
            current = m;
        }
    }
    stats.elapsed = start.elapsed();
    stats
}
