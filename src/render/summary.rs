//! The fleet summary as text: a table per registry (nodes passing, and each root cause
//! with its nodes), or Markdown; JSON is the summary itself.

use std::fmt::Write;

use crate::summarize::Summary;

/// At most this many node names are listed per cause (the JSON has them all).
const NAMES: usize = 10;

fn names(list: &[String]) -> String {
    let mut s = list
        .iter()
        .take(NAMES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > NAMES {
        let _ = write!(s, ", … ({} more)", list.len() - NAMES);
    }
    s
}

/// For people.
pub fn human(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} report(s), {} registr{}",
        s.reports,
        s.registries.len(),
        if s.registries.len() == 1 { "y" } else { "ies" }
    );
    for r in &s.registries {
        let _ = writeln!(
            out,
            "\n{}  {}/{} nodes pass{}{}",
            crate::render::escape(&r.registry),
            r.pass,
            r.nodes,
            if r.warn > 0 {
                format!(", {} warn", r.warn)
            } else {
                String::new()
            },
            if r.fail > 0 {
                format!(", {} fail", r.fail)
            } else {
                String::new()
            }
        );
        for c in &r.causes {
            let _ = writeln!(
                out,
                "  {:<4}  {:<28} {:>4} node(s): {}",
                c.verdict.to_uppercase(),
                c.code,
                c.nodes,
                crate::render::escape(&names(&c.node_names))
            );
        }
    }
    for k in &s.skipped {
        let _ = writeln!(
            out,
            "\nskipped {}: {}",
            crate::render::escape(&k.source),
            k.why
        );
    }
    out
}

/// For a ticket.
pub fn markdown(s: &Summary) -> String {
    let mut out = String::from(
        "## regdoctor fleet summary\n\n| registry | nodes | pass | warn | fail | root causes |\n|---|---|---|---|---|---|\n",
    );
    for r in &s.registries {
        let causes: Vec<String> = r
            .causes
            .iter()
            .map(|c| {
                format!(
                    "`{}` ({}, {}: {})",
                    c.code,
                    c.verdict,
                    c.nodes,
                    crate::render::escape(&names(&c.node_names)).replace('|', "\\|")
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            crate::render::escape(&r.registry).replace('|', "\\|"),
            r.nodes,
            r.pass,
            r.warn,
            r.fail,
            causes.join("<br>")
        );
    }
    if !s.skipped.is_empty() {
        out.push_str("\nSkipped:\n");
        for k in &s.skipped {
            let _ = writeln!(out, "- {}: {}", crate::render::escape(&k.source), k.why);
        }
    }
    out
}
