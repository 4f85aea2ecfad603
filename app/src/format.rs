//! Numbers, percentages, amounts and moments as people of the chosen language read them, shared by
//! every screen: `2 612,4` and `50,5 %` in Spanish, `2,612.4` and `50.5%` in English.
//!
//! The language is read from the context without tracking it: the server renders the cookie's
//! language and the browser hydrates the same, and a switch of language re-renders every list that
//! reloads (the words themselves follow at once).

use leptos::prelude::*;

use crate::i18n::Locale;

fn locale() -> Locale {
    use_context::<RwSignal<Locale>>().map(|l| l.get_untracked()).unwrap_or_default()
}

/// Groups of three digits: a narrow no-break space in Spanish, a comma in English.
fn group(digits: &str, locale: Locale) -> String {
    let sep = match locale {
        Locale::Es => '\u{202f}',
        Locale::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// `x` with `decimals` decimals in `locale`'s way.
pub fn fmt_number_in(x: f64, decimals: usize, locale: Locale) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if x < 0.0 && text.chars().any(|c| c != '0' && c != '.') { "-" } else { "" };
    let mark = match locale {
        Locale::Es => ",",
        Locale::En => ".",
    };
    if frac.is_empty() { format!("{sign}{}", group(int, locale)) } else { format!("{sign}{}{mark}{frac}", group(int, locale)) }
}

pub fn fmt_number(x: f64, decimals: usize) -> String {
    fmt_number_in(x, decimals, locale())
}

pub fn fmt_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let grouped = group(&digits, locale());
    if n < 0 { format!("-{grouped}") } else { grouped }
}

/// A share (0.505) as a percentage: "50,5 %" / "50.5%".
pub fn fmt_pct_in(ratio: f64, decimals: usize, locale: Locale) -> String {
    let n = fmt_number_in(ratio * 100.0, decimals, locale);
    match locale {
        Locale::Es => format!("{n}\u{a0}%"),
        Locale::En => format!("{n}%"),
    }
}

pub fn fmt_pct(ratio: f64, decimals: usize) -> String {
    fmt_pct_in(ratio, decimals, locale())
}

/// An amount in US dollars (what model prices are given in): small amounts keep four decimals so
/// they do not read as zero. "0,0123 US$" / "$0.0123".
pub fn fmt_money(x: f64) -> String {
    let decimals = if x != 0.0 && x.abs() < 0.01 { 4 } else { 2 };
    let l = locale();
    let n = fmt_number_in(x, decimals, l);
    match l {
        Locale::Es => format!("{n}\u{a0}US$"),
        Locale::En => format!("${n}"),
    }
}

/// A moment as every list shows it: "04/12/2026 11:23" / "2026-12-04 11:23" (UTC).
pub fn fmt_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    match locale() {
        Locale::Es => t.format("%d/%m/%Y %H:%M").to_string(),
        Locale::En => t.format("%Y-%m-%d %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_and_english_numbers() {
        assert_eq!(fmt_number_in(2612.44, 1, Locale::Es), "2\u{202f}612,4");
        assert_eq!(fmt_number_in(2612.44, 1, Locale::En), "2,612.4");
        assert_eq!(fmt_pct_in(0.505, 1, Locale::Es), "50,5\u{a0}%");
        assert_eq!(fmt_pct_in(0.505, 1, Locale::En), "50.5%");
        assert_eq!(fmt_number_in(-0.0001, 2, Locale::En), "0.00");
        assert_eq!(fmt_number_in(-1234567.0, 0, Locale::En), "-1,234,567");
        assert_eq!(fmt_number_in(f64::NAN, 1, Locale::Es), "—");
    }
}

/// `s` as a URL query value: everything but unreserved characters percent-encoded.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
