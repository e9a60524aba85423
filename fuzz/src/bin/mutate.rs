//! The mutation loop: `mutate TARGET|all [EXECS] [SEED] [DIR...]`. Runs the seeds of
//! `fuzz/corpus/<target>/` (and of each DIR, e.g. the queue AFL++ grew for the target) and
//! EXECS mutants of them, prints one line per target (executions, failures, time), and
//! writes failing inputs to `fuzz/crashes/<target>/`.

use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("all");
    let execs: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::panic::set_hook(Box::new(|_| {}));
    let mut failed = false;
    for t in regdoctor_fuzz::TARGETS {
        if which != "all" && which != t.name {
            continue;
        }
        let mut corpus = regdoctor_fuzz::mutate::load_corpus(&root.join("corpus").join(t.name));
        for extra in args.iter().skip(3) {
            corpus.extend(regdoctor_fuzz::mutate::load_corpus(std::path::Path::new(
                extra,
            )));
        }
        let stats =
            regdoctor_fuzz::mutate::run(t.run, &corpus, execs, seed, Duration::from_secs(1), 20);
        println!(
            "{:<12} execs {:>11}  failures {:>3}  time {:>8.1} s  slowest {:>6.1} ms",
            t.name,
            stats.execs,
            stats.failures.len(),
            stats.elapsed.as_secs_f64(),
            stats.slowest.as_secs_f64() * 1000.0
        );
        if !stats.failures.is_empty() {
            failed = true;
            let dir = root.join("crashes").join(t.name);
            let _ = std::fs::create_dir_all(&dir);
            for (i, f) in stats.failures.iter().enumerate() {
                let path = dir.join(format!("mutate-{seed}-{i}"));
                let _ = std::fs::write(&path, &f.input);
                println!(
                    "  {}: {}",
                    path.display(),
                    f.why.lines().next().unwrap_or("")
                );
            }
        }
    }
    std::process::exit(i32::from(failed));
}
