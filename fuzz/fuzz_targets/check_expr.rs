#![no_main]
//! Any text as a check expression of a governed table: parsed and evaluated, or refused with a
//! position — never a panic, a hang or a stack overflow.
use engine::eav::expr::{Val, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(expr) = parse(src) {
        let mut fields = Vec::new();
        expr.fields(&mut fields);
        let row = |name: &str| match name {
            "price" => Val::Num(29.99),
            "code" => Val::Text("PROD-001".into()),
            "active" => Val::Bool(true),
            _ => Val::Null,
        };
        let _ = expr.passes(&row);
    }
});
