use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// What cleaning does to a description. Every step is on by default except noise removal, which can
/// merge lines a user wants apart (two invoices of the same supplier).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanOptions {
    pub lowercase: bool,
    pub strip_accents: bool,
    pub strip_punctuation: bool,
    /// Drops tokens that carry digits (invoice numbers, dates, amounts).
    pub strip_noise: bool,
}

impl Default for CleanOptions {
    fn default() -> Self {
        Self { lowercase: true, strip_accents: true, strip_punctuation: true, strip_noise: false }
    }
}

/// Trim, collapse whitespace and apply `opts`. Idempotent: cleaning twice equals cleaning once.
pub fn clean_text(input: &str, opts: &CleanOptions) -> String {
    // Lower-case before stripping marks: lower-casing can itself add a combining mark ("İ" → "i̇").
    let lowered = if opts.lowercase { input.to_lowercase() } else { input.to_string() };
    let mut text: String = if opts.strip_accents {
        // NFD splits "é" into "e" + a combining mark, which is then dropped.
        lowered.nfd().filter(|c| !is_combining_mark(*c)).collect()
    } else {
        lowered.nfc().collect()
    };
    if opts.strip_punctuation {
        text = text
            .chars()
            .map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' })
            .collect();
    }
    let tokens = text.split_whitespace();
    if opts.strip_noise {
        tokens.filter(|t| !t.chars().any(|c| c.is_ascii_digit())).collect::<Vec<_>>().join(" ")
    } else {
        tokens.collect::<Vec<_>>().join(" ")
    }
}

/// The text a row is classified by: its description columns' values, trimmed and joined with a space.
pub fn description_text(values: &[String]) -> String {
    let mut out = String::new();
    description_text_into(&mut out, values);
    out
}

/// `description_text` into a buffer kept from row to row.
pub fn description_text_into(out: &mut String, values: &[String]) {
    out.clear();
    for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(v);
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_accents_case_punctuation_and_spaces() {
        let o = CleanOptions::default();
        assert_eq!(clean_text("  Café   del  MAR, S.A.  ", &o), "cafe del mar s a");
        assert_eq!(clean_text("Ñandú\tPÉREZ", &o), "nandu perez");
    }

    #[test]
    fn noise_removal_drops_tokens_with_digits() {
        let o = CleanOptions { strip_noise: true, ..Default::default() };
        assert_eq!(clean_text("Factura F-2023-001 Telefónica 12/03/2024", &o), "factura f telefonica");
    }

    #[test]
    fn keeps_accents_when_asked() {
        let o = CleanOptions { strip_accents: false, ..Default::default() };
        assert_eq!(clean_text("Café", &o), "café");
    }

    #[test]
    fn cleaning_is_idempotent_on_tricky_inputs() {
        let o = CleanOptions::default();
        for s in ["", "   ", "a\u{0301}", "Ǆ ǅ ǆ", "İstanbul", "x\u{200b}y", "ﬁ ligature", "--—…"] {
            let once = clean_text(s, &o);
            assert_eq!(clean_text(&once, &o), once, "not idempotent for {s:?}");
        }
    }
}
