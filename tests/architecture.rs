//! The layering rules, checked on the source text (docs/architecture.md draws them):
//!
//! - every `crate::<module>` a file names (in `use` or inline paths, outside its tests)
//!   is in the file's own layer or a lower one, and the top-level modules import each
//!   other without a circle;
//! - checks and renderers do no I/O and read neither the environment nor the clock;
//!   pki does no I/O and draws no randomness; the report model knows nothing of colours.

use std::collections::{BTreeMap, BTreeSet};

/// The layers, bottom-up. A module may use modules of its own layer or below.
const LAYERS: &[&[&str]] = &[
    // Vocabulary and formats: no knowledge of registries or nodes.
    &["codes", "secret", "text", "formats", "jsonpos", "challenge"],
    // What is dialled, and certificates by Go's rules.
    &["target", "pki"],
    // Plain data: what was observed.
    &["facts"],
    // Deriving more facts: the runtimes' models (pure), reading files, the network.
    &["runtimes", "local", "probe"],
    // A finding: what checks emit.
    &["finding"],
    // Judging: the checks; triage of logs.
    &["checks", "triage"],
    // The report model, and the fleet summary of many reports.
    &["report", "summarize"],
    // Text.
    &["render", "explain"],
    // The library's entry points: one run, and rounds served to Prometheus.
    &["pipeline", "watch"],
    // The command line and its terminal display.
    &["cli", "progress", "manpage"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file under src/, with its top-level module and its non-test text.
fn sources() -> Vec<(String, String, String)> {
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            // Test fixtures and the registry of check examples are test code.
            if name == "examples.rs" || name == "tests.rs" {
                continue;
            }
            let module = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((rel, module, non_test(&text)));
        }
    }
    out
}

/// The text without its test code: a `#[cfg(test)]` before a `use` hides that line; before
/// anything else (the tests module, the examples) it hides the rest of the file.
fn non_test(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            match lines.next() {
                Some(next) if next.trim_start().starts_with("use ") => continue,
                _ => break,
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The top-level modules a text names as `crate::<module>`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
        // `use crate::{a, b::c}`
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            for item in group.split(',') {
                let n: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !n.is_empty() {
                    out.insert(n);
                }
            }
        }
    }
    out
}

#[test]
fn every_module_has_a_layer() {
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(m) = line.strip_prefix("pub mod ") {
            let m = m.trim_end_matches(';');
            assert!(
                layer_of(m).is_some(),
                "src/{m} has no layer in tests/architecture.rs (and docs/architecture.md)"
            );
            assert!(
                lib.contains(&format!("[`{m}`]")),
                "lib.rs's module table does not list {m}"
            );
            let layer = layer_of(m).unwrap_or_default();
            assert!(
                lib.contains(&format!("//! | {layer} | [`{m}`] |")),
                "lib.rs's module table puts {m} in another layer than {layer}"
            );
        }
    }
}

#[test]
fn the_drawing_in_docs_matches_the_layers() {
    // docs/architecture.md draws the layers as ` N │ module  module │ what they do`.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/architecture.md"))
        .unwrap();
    let mut drawn: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for line in doc.lines() {
        let mut cells = line.split('│');
        let (Some(n), Some(modules)) = (cells.next(), cells.next()) else {
            continue;
        };
        let Ok(n) = n.trim().parse::<usize>() else {
            continue;
        };
        drawn
            .entry(n)
            .or_default()
            .extend(modules.split_whitespace().map(str::to_string));
    }
    let expected: BTreeMap<usize, BTreeSet<String>> = LAYERS
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.iter().map(|m| m.to_string()).collect()))
        .collect();
    assert_eq!(drawn, expected, "redraw the layers in docs/architecture.md");
}

#[test]
fn imports_only_point_down_or_across() {
    let mut wrong = Vec::new();
    for (file, module, code) in sources() {
        if file == "lib.rs" || file == "main.rs" {
            continue;
        }
        let Some(mine) = layer_of(&module) else {
            continue;
        };
        for used in used_modules(&code) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(theirs) if theirs <= mine => {}
                Some(_) => wrong.push(format!(
                    "src/{file} ({module}) uses crate::{used}, a higher layer"
                )),
                None => wrong.push(format!("src/{file} uses crate::{used}, which has no layer")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn top_level_modules_form_no_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, module, code) in sources() {
        if file == "lib.rs" || file == "main.rs" {
            continue;
        }
        let deps = graph.entry(module.clone()).or_default();
        for used in used_modules(&code) {
            if used != module {
                deps.insert(used);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut circle = path[i..].to_vec();
            circle.push(n.to_string());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(circle) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "the modules import each other in a circle: {}",
                circle.join(" → ")
            );
        }
    }
}

fn dir_sources(dir: &str) -> Vec<(String, String)> {
    sources()
        .into_iter()
        .filter(|(file, _, _)| file.starts_with(&format!("{dir}/")))
        .map(|(file, _, code)| (file, code))
        .collect()
}

#[test]
fn checks_runtimes_and_renderers_are_pure() {
    for dir in ["checks", "render", "runtimes"] {
        for (name, code) in dir_sources(dir) {
            for banned in [
                "tokio",
                "std::net::TcpStream",
                "std::fs",
                "std::env",
                "std::process",
                "SystemTime::now",
                "Instant::now",
            ] {
                assert!(!code.contains(banned), "src/{name} mentions {banned}");
            }
        }
    }
}

#[test]
fn pki_is_pure() {
    for (name, code) in dir_sources("pki") {
        for banned in [
            "std::fs",
            "std::env",
            "SystemTime::now",
            "SystemRandom",
            "tokio",
        ] {
            assert!(!code.contains(banned), "src/{name} mentions {banned}");
        }
    }
}

#[test]
fn the_report_model_knows_no_colours() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/report.rs")).unwrap();
    assert!(!text.contains("owo_colors"));
}

#[test]
fn the_rule_catches_an_upward_import() {
    // The checker itself: a higher-layer name is found inline and inside a use group.
    let found = used_modules("fn f() { crate::report::x(); }\nuse crate::{checks, facts::Y};");
    assert!(found.contains("report") && found.contains("checks") && found.contains("facts"));
    assert!(layer_of("report") > layer_of("checks"));
}

/// Every environment variable the code reads by name is in the man page's ENVIRONMENT
/// (and so in --help's): `std::env::var("X")`, `var_os("X")` and the `get("X")` lookups
/// the output decision is given.
#[test]
fn every_environment_variable_read_is_documented() {
    let documented: Vec<&str> = regdoctor::manpage::ENVIRONMENT
        .iter()
        .flat_map(|(n, _)| n.split([',', ' ']))
        .collect();
    let mut read = BTreeSet::new();
    for (_, _, code) in sources() {
        for call in ["env::var(\"", "env::var_os(\"", "get(\""] {
            for (i, _) in code.match_indices(call) {
                let rest = &code[i + call.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                if name.len() > 1 && rest[name.len()..].starts_with('"') {
                    read.insert(name);
                }
            }
        }
    }
    for name in [
        "NO_COLOR",
        "COLUMNS",
        "DOCKER_CONFIG",
        "HOME",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NODE_NAME",
    ] {
        assert!(read.contains(name), "the scan lost {name}: {read:?}");
    }
    for name in &read {
        assert!(
            documented.contains(&name.as_str()),
            "{name} is read but not in manpage::ENVIRONMENT"
        );
    }
}
