#![no_main]
//! Any report spec and parameters, compiled over a source with a field of every kind: refused with
//! a report error or one statement whose every `$n` has its bind, with no statement separator —
//! never a panic. Formulas of derived metrics go through the same compiler.
use engine::reports::ReportSpec;
use engine::reports::compile::{Kind, SourceDef, SourceField, compile};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

#[derive(serde::Deserialize)]
struct Input {
    spec: ReportSpec,
    #[serde(default)]
    params: Map<String, Value>,
}

fn source() -> SourceDef {
    let fields = [("category", Kind::Text), ("amount", Kind::Number), ("ok", Kind::Boolean), ("day", Kind::Date), ("at", Kind::DateTime), ("hidden", Kind::Text)]
        .iter()
        .map(|(n, k)| SourceField { name: n.to_string(), sql: format!("src.\"{n}\""), kind: *k, masked: *n == "hidden" })
        .collect();
    SourceDef { from: "report_views.fuzz src".into(), fields, binds: vec![] }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Input>(data) else { return };
    let Ok(c) = compile(&input.spec, &source(), &input.params) else { return };
    assert!(!c.sql.contains(';'), "one statement only: {}", c.sql);
    let mut rest = c.sql.as_str();
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: usize = digits.parse().expect("every $ is a bind number");
        assert!((1..=c.binds.len()).contains(&n), "${n} of {} binds in {}", c.binds.len(), c.sql);
    }
});
