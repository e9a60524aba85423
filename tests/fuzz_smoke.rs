//! The short smoke of every fuzz target (docs/fuzzing.md): its seeds under
//! `fuzz/corpus/<target>/` (which hold every crashing input found so far) and a few
//! hundred deterministic mutants of them, each under a time bound. The long mode is
//! `scripts/fuzz.sh` (AFL++, millions of executions per target).

use std::time::Duration;

use crate::fuzz_mutate as mutate;
use crate::fuzz_targets::TARGETS;

/// Mutants per target: a few seconds for all targets in a debug build on 2 cores.
const MUTANTS: u64 = 300;

/// An unoptimised build is slow; a hang is still far beyond this.
const LIMIT: Duration = Duration::from_secs(5);

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    mutate::load_corpus(&dir)
}

#[test]
fn every_target_has_seeds() {
    for t in TARGETS {
        assert!(
            !corpus(t.name).is_empty(),
            "fuzz/corpus/{} is empty",
            t.name
        );
    }
}

#[test]
fn fuzz_targets_smoke() {
    let mut failures = Vec::new();
    for (i, t) in TARGETS.iter().enumerate() {
        let stats = mutate::run(t.run, &corpus(t.name), MUTANTS, 7 + i as u64, LIMIT, 3);
        for f in stats.failures {
            failures.push(format!(
                "{}: {} on input {:?}",
                t.name,
                f.why,
                String::from_utf8_lossy(&f.input)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn challenges_print_back() {
    use regdoctor::challenge::parse;
    for h in [
        r#"Basic realm="Registry Realm""#,
        r#"Bearer realm="https://auth/token",service="registry",scope="repository:a:pull,push""#,
        r#"Basic realm="a \"b\" \\c", Bearer realm="x""#,
    ] {
        let cs = parse(h);
        let printed = crate::fuzz_targets::print_challenges(&cs);
        assert_eq!(parse(&printed), cs, "{h} printed as {printed}");
    }
}
