#![no_main]
//! Any body of `POST /data/{table}/query` against a table with a column of every type: refused with
//! an error or turned into a statement whose every `$n` has its bind (values are never spliced
//! in) — never a panic.
use engine::auth::CurrentUser;
use engine::eav::def::{ColumnDef, TableDef};
use engine::eav::query::statement;
use engine::eav::{CachePolicy, DataType, MaskingRule, RowQuery};
use libfuzzer_sys::fuzz_target;

fn column(i: u128, name: &str, ty: DataType, masking: MaskingRule) -> ColumnDef {
    let id = uuid::Uuid::from_u128(i);
    ColumnDef {
        id,
        property_id: id,
        name: name.into(),
        ty,
        enum_values: vec!["A".into(), "B".into()],
        reference_table_id: None,
        default: None,
        masking,
        mandatory: false,
        unique: false,
        indexed: false,
        rule: None,
        soft: Vec::new(),
        physical: format!("c_{}", id.simple()),
    }
}

fn table() -> TableDef {
    let types = [("name", DataType::String), ("qty", DataType::Int), ("price", DataType::Decimal), ("in_stock", DataType::Boolean), ("day", DataType::Date), ("at", DataType::DateTime), ("kind", DataType::Enum), ("other", DataType::Reference)];
    let mut columns: Vec<ColumnDef> = types.iter().enumerate().map(|(i, (n, t))| column(i as u128 + 1, n, *t, MaskingRule::None)).collect();
    columns.push(column(99, "secret", DataType::String, MaskingRule::Full));
    TableDef { id: uuid::Uuid::from_u128(7), name: "FUZZ".into(), version: 1, is_hierarchical: false, cache_policy: CachePolicy::None, columns, uniques: vec![], foreign_keys: vec![], checks: vec![], grants: vec![] }
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = serde_json::from_slice::<RowQuery>(data) else { return };
    let reader = CurrentUser { id: uuid::Uuid::nil(), username: "fuzz".into(), roles: vec![], permissions: vec![], must_change_password: false };
    let Ok(st) = statement(&table(), &q, &reader) else { return };
    let mut rest = st.text.as_str();
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: usize = digits.parse().expect("every $ is a bind number");
        assert!((1..=st.binds).contains(&n), "${n} of {} binds in {}", st.binds, st.text);
    }
});
