//! A row about to be written, checked against its table's rules: types, mandatory columns, each
//! property's rule and every active check — the same code for single writes, batches and imports,
//! so no path skips a rule. Soft rules stop new bad values but let untouched old ones stand (they
//! are reported as warnings). Checks that need the database (uniques, references, the parent) are
//! in `write`.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::def::TableDef;
use super::error::DataError;
use super::expr::Val;
use super::values::{Cell, json_val, typed};
use super::wire::{RowData, RowInput, SoftRule};

/// The longest `code` and `display_value`.
pub const MAX_TEXT: usize = 1000;

/// A row ready to be written: promoted fields, one cell per column in the table's column order,
/// extended properties.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: Uuid,
    pub code: String,
    pub display_value: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
    pub parent_row_id: Option<Uuid>,
    pub cells: Vec<Cell>,
    pub ext: Map<String, Value>,
    /// Which columns this write sets (soft rules apply to these only).
    pub changed: Vec<bool>,
    pub warnings: Vec<String>,
}

/// A promoted field or `ext.<path>` as checks read it; `None` for a column's name.
fn promoted(name: &str, code: &str, display_value: Option<&str>, is_active: bool, sort_order: i32, ext: &Map<String, Value>) -> Option<Val> {
    Some(match name {
        "code" => Val::Text(code.to_string()),
        "display_value" => display_value.map_or(Val::Null, |d| Val::Text(d.to_string())),
        "is_active" => Val::Bool(is_active),
        "sort_order" => Val::Num(sort_order as f64),
        _ => {
            let path = name.strip_prefix("ext.")?;
            let mut keys = path.split('.');
            let mut v = ext.get(keys.next().unwrap_or_default());
            for key in keys {
                v = v.and_then(|x| x.get(key));
            }
            v.map_or(Val::Null, json_val)
        }
    })
}

impl Prepared {
    /// A field as checks read it: promoted fields, columns by name, `ext.<path>`.
    pub fn field(&self, def: &TableDef, name: &str) -> Val {
        if let Some(v) = promoted(name, &self.code, self.display_value.as_deref(), self.is_active, self.sort_order, &self.ext) {
            return v;
        }
        match def.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
            Some(i) => self.cells[i].val(),
            None => Val::Null,
        }
    }
}

/// Builds and checks the row a create (`base = None`) or an update of `base` would write.
pub fn prepare(def: &TableDef, base: Option<&RowData>, input: &RowInput) -> Result<Prepared, DataError> {
    let creating = base.is_none();
    let mut ext = base.map(|b| b.extended_properties.clone()).unwrap_or_default();
    for (k, v) in &input.extended_properties {
        if v.is_null() {
            ext.remove(k);
        } else {
            ext.insert(k.clone(), v.clone());
        }
    }
    // A name the schema does not define is an extended property (seed §8.2).
    for (k, v) in &input.column_values {
        if !def.columns.iter().any(|c| c.name == *k) && def.column(k).is_none() {
            if v.is_null() {
                ext.remove(k);
            } else {
                ext.insert(k.clone(), v.clone());
            }
        }
    }
    let mut cells = Vec::with_capacity(def.columns.len());
    let mut changed = Vec::with_capacity(def.columns.len());
    for c in &def.columns {
        let sent = input.column_values.get(&c.name).or_else(|| input.column_values.iter().find(|(k, _)| k.eq_ignore_ascii_case(&c.name)).map(|(_, v)| v));
        let value = match (sent, base) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(b)) => b.column_values.get(&c.name).cloned(),
            (None, None) => c.default.clone(),
        };
        changed.push(creating || sent.is_some());
        let cell = typed(c.ty, &c.enum_values, value.as_ref().unwrap_or(&Value::Null))
            .map_err(|message| DataError::ValueInvalid { column: c.name.clone(), message })?;
        cells.push(cell);
    }
    let code = match (&input.code, base) {
        (Some(c), _) => c.trim().to_string(),
        (None, Some(b)) => b.code.clone(),
        (None, None) => String::new(),
    };
    if code.is_empty() {
        return Err(DataError::ValueRequired { column: "code".into() });
    }
    if code.chars().count() > MAX_TEXT {
        return Err(DataError::ValueInvalid { column: "code".into(), message: format!("allows at most {MAX_TEXT} characters") });
    }
    // An empty display value is none: it is how a write clears one.
    let display_value = match (&input.display_value, base) {
        (Some(d), _) => Some(d.clone()).filter(|d| !d.is_empty()),
        (None, Some(b)) => b.display_value.clone(),
        (None, None) => None,
    };
    if display_value.as_ref().is_some_and(|d| d.chars().count() > MAX_TEXT) {
        return Err(DataError::ValueInvalid { column: "display_value".into(), message: format!("allows at most {MAX_TEXT} characters") });
    }
    let parent_row_id = match (input.parent_row_id, base) {
        (Some(p), _) => p,
        (None, Some(b)) => b.parent_row_id,
        (None, None) => None,
    };
    if parent_row_id.is_some() && !def.is_hierarchical {
        return Err(DataError::ParentInvalid("this table is not hierarchical".into()));
    }
    let mut row = Prepared {
        id: base.map_or_else(Uuid::now_v7, |b| b.id),
        code,
        display_value,
        is_active: input.is_active.or(base.map(|b| b.is_active)).unwrap_or(true),
        sort_order: input.sort_order.or(base.map(|b| b.sort_order)).unwrap_or(0),
        parent_row_id,
        cells,
        ext,
        changed,
        warnings: Vec::new(),
    };
    check_rules(def, &mut row)?;
    Ok(row)
}

fn check_rules(def: &TableDef, row: &mut Prepared) -> Result<(), DataError> {
    for (i, c) in def.columns.iter().enumerate() {
        let cell = &row.cells[i];
        if c.mandatory && cell.is_null() {
            if !c.is_soft(SoftRule::Mandatory) || row.changed[i] {
                return Err(DataError::ValueRequired { column: c.name.clone() });
            }
            row.warnings.push(format!("{}: mandatory", c.name));
        }
        if let Some((rt, rule)) = &c.rule
            && let Err(message) = rule.check(cell)
        {
            if !c.is_soft(SoftRule::Rule) || row.changed[i] {
                return Err(DataError::RuleViolated { column: c.name.clone(), rule: *rt, message });
            }
            row.warnings.push(format!("{}: {}", c.name, rt.as_str()));
        }
    }
    for check in def.checks.iter().filter(|c| c.active) {
        let passes = check.expr.passes(&|name: &str| row.field(def, name));
        if !passes {
            let touched = {
                let mut fields = Vec::new();
                check.expr.fields(&mut fields);
                fields.iter().any(|f| def.columns.iter().position(|c| c.name.eq_ignore_ascii_case(f)).is_none_or(|i| row.changed[i]))
            };
            if !check.soft || touched {
                return Err(DataError::CheckFailed { constraint: check.name.clone(), message: check.message.clone() });
            }
            row.warnings.push(check.name.clone());
        }
    }
    Ok(())
}

/// A stored row's field as checks read it (the same values `Prepared::field` gives once written).
pub fn row_field(def: &TableDef, row: &RowData, name: &str) -> Val {
    if let Some(v) = promoted(name, &row.code, row.display_value.as_deref(), row.is_active, row.sort_order, &row.extended_properties) {
        return v;
    }
    match def.column(name) {
        Some(c) => row.column_values.get(&c.name).map_or(Val::Null, |v| typed(c.ty, &c.enum_values, v).map_or(Val::Null, |cell| cell.val())),
        None => Val::Null,
    }
}

/// A stored row's value of column `c`, typed.
pub fn row_cell(c: &super::def::ColumnDef, row: &RowData) -> Cell {
    row.column_values.get(&c.name).and_then(|v| typed(c.ty, &c.enum_values, v).ok()).unwrap_or(Cell::Null)
}
