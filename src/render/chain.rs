//! The certificate block of the human report: every presented certificate, numbered,
//! even when verification failed.

use owo_colors::OwoColorize;

use super::Style;
use crate::report::{CertSummary, Validity};

/// Renders the presented chain.
pub fn render_chain(chain: &[CertSummary], style: &Style) -> String {
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
        let valid = match (c.validity, style.color) {
            (Some(Validity::Expired | Validity::NotYetValid), true) => valid.red().to_string(),
            (Some(Validity::ExpiresSoon), true) => valid.yellow().to_string(),
            (Some(Validity::Valid), true) => valid.green().to_string(),
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
            out.push_str(&format!(
                "      DNS      {}\n",
                crate::text::clip_list(&dns, ", ")
            ));
        }
        if !ips.is_empty() {
            out.push_str(&format!(
                "      IP       {}\n",
                crate::text::clip_list(&ips, ", ")
            ));
        }
        out.push_str(&format!("      SHA-256  {}\n", c.sha256));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;

    #[test]
    fn date_colour_comes_from_the_validity_in_the_model() {
        let root = ca("CA", NOW);
        let expired = leaf_with(
            &root,
            params("r", &["10.0.0.5"], NOW - 400 * DAY, NOW - DAY),
        );
        let c = crate::pki::Cert::parse(&expired.der)
            .unwrap()
            .summary_at(NOW);
        assert_eq!(c.validity, Some(Validity::Expired));
        let coloured = render_chain(
            std::slice::from_ref(&c),
            &Style {
                color: true,
                ..Style::default()
            },
        );
        assert!(coloured.contains("\u{1b}[31m"), "{coloured}");
        let plain = render_chain(&[c], &Style::default());
        assert!(!plain.contains('\u{1b}'));
    }
}
