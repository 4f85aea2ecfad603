//! A column's type changed after tables hold values in it: allowed when every stored value
//! survives the change (numbers to text always do; text to numbers when each one reads as a
//! number), refused with the values that would not otherwise. A Reference column keeps its type,
//! and so does a column a check expression or a case-blind unique reads, whose meaning would move.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::def::{ColumnDef, TableDef};
use super::super::error::DataError;
use super::super::physical::{self, trusted};
use super::super::wire::{DataType, ViolatingRow};
use super::existing::EXAMPLES;
use crate::error::{EngineError, Result};

/// Changes that keep every value whatever it is, so no row needs to be looked at.
fn always_safe(from: DataType, to: DataType) -> bool {
    matches!((from, to), (_, DataType::String) | (DataType::Int, DataType::Decimal) | (DataType::Date, DataType::DateTime))
}

/// Refuses what no data makes safe: references, and columns whose readers would change meaning.
fn check_allowed(def: &TableDef, c: &ColumnDef, to: DataType) -> Result<()> {
    if c.ty == DataType::Reference || to == DataType::Reference {
        return Err(EngineError::invalid("a Reference column keeps its type; add a new column instead"));
    }
    if !c.ty.convertible_to().contains(&to) {
        return Err(EngineError::invalid(format!("a {} column cannot become {}: some of its values would lose a part", c.ty.as_str(), to.as_str())));
    }
    for k in &def.checks {
        let mut fields = Vec::new();
        k.expr.fields(&mut fields);
        if fields.iter().any(|f| f.eq_ignore_ascii_case(&c.name)) {
            return Err(DataError::SchemaInUse(format!("the check {} of {} reads this column; change or remove it first", k.name, def.name)).into());
        }
    }
    let text = matches!(to, DataType::String | DataType::Enum);
    if let Some(u) = def.uniques.iter().find(|u| !u.case_sensitive && !text && u.columns.iter().any(|n| n.eq_ignore_ascii_case(&c.name))) {
        return Err(DataError::SchemaInUse(format!("the unique {} of {} compares this column as text without case; remove it first", u.name, def.name)).into());
    }
    Ok(())
}

/// Rows of `def` whose value of `c` would not survive becoming `to` (an Enum also needs the value
/// among `enum_values`).
async fn unconvertible(conn: &mut PgConnection, def: &TableDef, c: &ColumnDef, to: DataType, enum_values: &[String]) -> Result<(i64, Vec<ViolatingRow>)> {
    let col = &c.physical;
    let target = physical::sql_type(to);
    let bad = format!("{col} IS NOT NULL AND (NOT eav.castable({col}::text, '{target}') OR ($1::bool AND NOT ({col}::text = ANY($2))))");
    let is_enum = to == DataType::Enum;
    let t = def.physical();
    let count: i64 = sqlx::query_scalar(trusted(&format!("SELECT count(*) FROM {t} WHERE {bad}")))
        .bind(is_enum)
        .bind(enum_values)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(trusted(&format!("SELECT id, code, {col}::text FROM {t} WHERE {bad} ORDER BY code LIMIT {EXAMPLES}")))
        .bind(is_enum)
        .bind(enum_values)
        .fetch_all(&mut *conn)
        .await?;
    Ok((count, rows.into_iter().map(|(row_id, code, v)| ViolatingRow { row_id, code, value: Value::String(v) }).collect()))
}

/// Changes the column's physical type in every table bound to it (each already locked), or
/// refuses with the first table's rows that would not survive. Indexes on it are rebuilt by
/// PostgreSQL as part of the change.
pub async fn apply(conn: &mut PgConnection, tables: &[Uuid], column: Uuid, to: DataType, enum_values: &[String]) -> Result<()> {
    for t in tables {
        let def = super::lock_table(conn, *t).await?;
        let Some(c) = def.columns.iter().find(|c| c.id == column) else { continue };
        if c.ty == to {
            continue;
        }
        check_allowed(&def, c, to)?;
        if !always_safe(c.ty, to) || to == DataType::Enum {
            let (count, examples) = unconvertible(conn, &def, c, to, enum_values).await?;
            if count > 0 {
                return Err(DataError::ValuesNotConvertible { column: c.name.clone(), to: to.as_str().into(), count, examples }.into());
            }
        }
        let target = physical::sql_type(to);
        let sql = format!("ALTER TABLE {} ALTER COLUMN {col} TYPE {target} USING ({col}::text)::{target}", def.physical(), col = c.physical);
        sqlx::query(trusted(&sql)).execute(&mut *conn).await?;
    }
    Ok(())
}
