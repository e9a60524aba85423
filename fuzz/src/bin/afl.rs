//! The AFL++ harness: `afl-fuzz -i fuzz/corpus/<target> -o OUT -- afl <target>`.

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = regdoctor_fuzz::by_name(&name) else {
        let names: Vec<&str> = regdoctor_fuzz::TARGETS.iter().map(|t| t.name).collect();
        eprintln!("usage: afl TARGET (one of {})", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| (target.run)(data));
}
