//! The certificate block of the human report: every presented certificate, numbered,
//! even when verification failed.

use owo_colors::OwoColorize;

use super::Style;
use crate::report::CertSummary;

/// Renders the presented chain.
pub fn render_chain(chain: &[CertSummary], style: &Style, now: Option<i64>) -> String {
    let mut out = String::new();
    for (i, c) in chain.iter().enumerate() {
        let mut marks = Vec::new();
        if c.self_signed {
            marks.push("self-signed");
        }
        if c.is_ca {
            marks.push("CA");
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!(" ({})", marks.join(", "))
        };
        let serial: String = c.serial.chars().take(23).collect();
        let more = if c.serial.len() > 23 { "…" } else { "" };
        out.push_str(&format!(
            "  [{i}] {} · {} · serial {serial}{more}{marks}\n",
            c.key, c.signature
        ));
        out.push_str(&format!("      Subject  {}\n", c.subject));
        out.push_str(&format!("      Issuer   {}\n", c.issuer));
        let valid = format!("{} → {}", c.not_before, c.not_after);
        let valid = match date_state(c, now) {
            DateState::Bad if style.color => valid.red().to_string(),
            DateState::Soon if style.color => valid.yellow().to_string(),
            DateState::Good if style.color => valid.green().to_string(),
            _ => valid,
        };
        out.push_str(&format!("      Valid    {valid}\n"));
        let dns: Vec<&str> = c
            .san
            .iter()
            .filter_map(|s| s.strip_prefix("DNS:"))
            .collect();
        let ips: Vec<&str> = c.san.iter().filter_map(|s| s.strip_prefix("IP:")).collect();
        if c.san.is_empty() {
            out.push_str("      SAN      (none)\n");
        }
        if !dns.is_empty() {
            out.push_str(&format!("      DNS      {}\n", dns.join(", ")));
        }
        if !ips.is_empty() {
            out.push_str(&format!("      IP       {}\n", ips.join(", ")));
        }
        out.push_str(&format!("      SHA-256  {}\n", c.sha256));
    }
    out
}

enum DateState {
    Good,
    Soon,
    Bad,
    Unknown,
}

fn date_state(c: &CertSummary, now: Option<i64>) -> DateState {
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| t.unix_timestamp())
    };
    match (now, parse(&c.not_before), parse(&c.not_after)) {
        (Some(now), Some(nb), Some(na)) if now < nb || now > na => DateState::Bad,
        (Some(now), Some(_), Some(na)) if na - now < 30 * 86_400 => DateState::Soon,
        (Some(_), Some(_), Some(_)) => DateState::Good,
        _ => DateState::Unknown,
    }
}
