//! The layering rules, checked on the source text: checks and renderers do no I/O and do
//! not read the environment or the clock; the report model knows nothing of colours.

fn source(dir: &str) -> Vec<(String, String)> {
    let root = format!("{}/src/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        // Test fixtures and registry tests are test code.
        if name == "examples.rs" || name == "tests.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        // Only the non-test part of each file.
        let code = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_string();
        out.push((name, code));
    }
    out
}

#[test]
fn checks_and_renderers_are_pure() {
    for dir in ["checks", "render"] {
        for (name, code) in source(dir) {
            for banned in [
                "tokio",
                "std::net::TcpStream",
                "std::fs",
                "std::env",
                "SystemTime::now",
                "Instant::now",
            ] {
                assert!(!code.contains(banned), "src/{dir}/{name} mentions {banned}");
            }
        }
    }
}

#[test]
fn pki_is_pure() {
    for (name, code) in source("pki") {
        for banned in [
            "std::fs",
            "std::env",
            "SystemTime::now",
            "SystemRandom",
            "tokio",
        ] {
            assert!(!code.contains(banned), "src/pki/{name} mentions {banned}");
        }
    }
}

#[test]
fn the_report_model_knows_no_colours() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/report.rs")).unwrap();
    assert!(!text.contains("owo_colors"));
}
