//! Numbers as people read them, shared by every screen.

/// An estimated cost: small amounts keep four decimals so they do not read as zero.
pub fn fmt_money(x: f64) -> String {
    if x == 0.0 { "0".into() } else if x < 0.01 { format!("{x:.4}") } else { format!("{x:.2}") }
}

pub fn fmt_int(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A moment as every list shows it: "2026-12-04 11:23" (UTC).
pub fn fmt_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}
