//! The grid's columns and cells: what each column reads off a row, how a cell's text becomes the
//! value sent, and the checks the browser runs before sending — the engine's own type, rule and
//! check code, compiled to wasm, so what the browser accepts the server accepts.

use engine::eav::expr::Val;
use engine::eav::rules::{Rule, check_value};
use engine::eav::values::{json_val, typed};
use engine::eav::{DataType, RowData, RowInput};
use serde_json::Value;

use crate::api::{GridCheck, GridColumn};

/// A column of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    Code,
    Display,
    Field(usize),
    Active,
}

pub fn all_cols(columns: &[GridColumn]) -> Vec<Col> {
    let mut out = vec![Col::Code, Col::Display];
    out.extend((0..columns.len()).map(Col::Field));
    out.push(Col::Active);
    out
}

/// The cell's value as JSON (`null` when empty).
pub fn value_of(row: &RowData, col: Col, columns: &[GridColumn]) -> Value {
    match col {
        Col::Code => Value::String(row.code.clone()),
        Col::Display => row.display_value.clone().map_or(Value::Null, Value::String),
        Col::Field(i) => columns.get(i).and_then(|c| row.column_values.get(&c.name)).cloned().unwrap_or(Value::Null),
        Col::Active => Value::Bool(row.is_active),
    }
}

/// The cell as text: what is copied and edited (a whole number without its `.0`).
pub fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "true".into(),
        Value::Bool(false) => "false".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The cell as shown: booleans as marks.
pub fn display_of(v: &Value) -> String {
    match v {
        Value::Bool(true) => "✓".into(),
        Value::Bool(false) => "—".into(),
        other => text_of(other),
    }
}

pub fn editable(col: Col, columns: &[GridColumn]) -> bool {
    match col {
        Col::Field(i) => columns.get(i).is_some_and(|c| !c.masked),
        _ => true,
    }
}

/// Text typed or pasted into a cell, as the value to send, checked as its column checks it (type,
/// mandatory, rule): empty is null; yes/no words are booleans; a decimal comma is read as a point.
pub fn parse_text(col: Col, columns: &[GridColumn], text: &str) -> Result<Value, String> {
    let t = text.trim();
    let boolean = |t: &str| match t.to_lowercase().as_str() {
        "true" | "sí" | "si" | "yes" | "x" | "1" | "✓" => Ok(Value::Bool(true)),
        "false" | "no" | "0" | "" | "—" => Ok(Value::Bool(false)),
        _ => Err("expected yes or no".to_string()),
    };
    match col {
        Col::Code if t.is_empty() => Err("is mandatory".into()),
        Col::Code | Col::Display => Ok(if t.is_empty() { Value::Null } else { Value::String(t.to_string()) }),
        Col::Active => boolean(t),
        Col::Field(i) => {
            let c = columns.get(i).ok_or("unknown column")?;
            let v = match c.ty {
                _ if t.is_empty() => Value::Null,
                DataType::Boolean => boolean(t)?,
                DataType::Decimal | DataType::Int if t.contains(',') && !t.contains('.') => Value::String(t.replace(',', ".")),
                _ => Value::String(t.to_string()),
            };
            let rule = c.rule.as_ref().and_then(|(ty, p)| Rule::new(*ty, p).ok());
            let cell = check_value(c.ty, &c.enum_values, c.mandatory, rule.as_ref(), &v)?;
            Ok(cell.json())
        }
    }
}


/// The row with `v` written in `col`.
pub fn with_value(row: &RowData, col: Col, columns: &[GridColumn], v: &Value) -> RowData {
    let mut r = row.clone();
    match col {
        Col::Code => r.code = text_of(v),
        Col::Display => r.display_value = v.as_str().map(str::to_string),
        Col::Active => r.is_active = v.as_bool().unwrap_or(true),
        Col::Field(i) => {
            if let Some(c) = columns.get(i) {
                r.column_values.insert(c.name.clone(), v.clone());
            }
        }
    }
    r
}

/// Adds `col = v` to a write.
pub fn patch(input: &mut RowInput, col: Col, columns: &[GridColumn], v: &Value) {
    match col {
        Col::Code => input.code = Some(text_of(v)),
        Col::Display => input.display_value = Some(text_of(v)),
        Col::Active => input.is_active = v.as_bool(),
        Col::Field(i) => {
            if let Some(c) = columns.get(i) {
                input.column_values.insert(c.name.clone(), v.clone());
            }
        }
    }
}

/// Why a stored value breaks its column's (soft) rule, if it does: old rows kept when a rule was
/// added soft are shown, to be fixed.
pub fn stored_violation(col: Col, columns: &[GridColumn], v: &Value) -> Option<String> {
    let Col::Field(i) = col else { return None };
    let c = columns.get(i)?;
    let rule = c.rule.as_ref().and_then(|(ty, p)| Rule::new(*ty, p).ok());
    check_value(c.ty, &c.enum_values, c.mandatory, rule.as_ref(), v).err()
}

/// The soft checks a stored row breaks, by their messages.
pub fn soft_check_failures(row: &RowData, columns: &[GridColumn], checks: &[GridCheck]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.soft)
        .filter_map(|c| failing_check(row, columns, std::slice::from_ref(c)))
        .collect()
}

/// The table's checks on the row as it would be written; the first that fails, with its message.
pub fn failing_check(row: &RowData, columns: &[GridColumn], checks: &[GridCheck]) -> Option<String> {
    let field = |name: &str| -> Val {
        match name {
            "code" => Val::Text(row.code.clone()),
            "display_value" => row.display_value.clone().map_or(Val::Null, Val::Text),
            "is_active" => Val::Bool(row.is_active),
            "sort_order" => Val::Num(f64::from(row.sort_order)),
            other => match other.strip_prefix("ext.") {
                Some(key) => row.extended_properties.get(key).map_or(Val::Null, json_val),
                None => columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(other))
                    .and_then(|c| row.column_values.get(&c.name).map(|v| typed(c.ty, &c.enum_values, v).map_or(Val::Null, |cell| cell.val())))
                    .unwrap_or(Val::Null),
            },
        }
    };
    checks.iter().find_map(|c| {
        let expr = engine::eav::expr::parse(&c.expression).ok()?;
        (!expr.passes(&field)).then(|| if c.message.is_empty() { c.name.clone() } else { c.message.clone() })
    })
}
