//! How many existing rows break a rule about to be set, with up to 20 of them: the answer of a
//! refused schema change (409) and the list of a soft rule's rows to clean up.

use crate::eav::physical::trusted;
use futures::TryStreamExt;
use serde_json::Value;
use sqlx::PgConnection;

use super::super::def::{ColumnDef, TableDef, UniqueDef};
use super::super::expr::Expr;
use super::super::physical;
use super::super::read::RawRow;
use super::super::rules::Rule;
use super::super::validate::{row_cell, row_field};
use super::super::wire::{RowData, ViolatingRow, Violations};
use crate::error::Result;

pub const EXAMPLES: usize = 20;

/// Scans every row, keeping those `breaks` names a value for.
async fn scan(conn: &mut PgConnection, def: &TableDef, rule: String, breaks: impl Fn(&RowData) -> Option<Value>) -> Result<Violations> {
    let sql = format!("SELECT {} FROM {} ORDER BY code", physical::select_list(def, None), def.physical());
    let mut rows = sqlx::query(trusted(&sql)).fetch(conn);
    let mut out = Violations { rule, count: 0, examples: Vec::new() };
    while let Some(raw) = rows.try_next().await? {
        let row = RowData::from(RawRow::decode(def, None, &raw)?);
        if let Some(value) = breaks(&row) {
            out.count += 1;
            if out.examples.len() < EXAMPLES {
                out.examples.push(ViolatingRow { row_id: row.id, code: row.code, value });
            }
        }
    }
    Ok(out)
}

pub async fn mandatory(conn: &mut PgConnection, def: &TableDef, c: &ColumnDef) -> Result<Violations> {
    let rows: Vec<(uuid::Uuid, String)> =
        sqlx::query_as(trusted(&format!("SELECT id, code FROM {} WHERE {} IS NULL ORDER BY code LIMIT {EXAMPLES}", def.physical(), c.physical)))
            .fetch_all(&mut *conn)
            .await?;
    let count: i64 = sqlx::query_scalar(trusted(&format!("SELECT count(*) FROM {} WHERE {} IS NULL", def.physical(), c.physical))).fetch_one(&mut *conn).await?;
    Ok(Violations {
        rule: format!("{}: mandatory", c.name),
        count,
        examples: rows.into_iter().map(|(row_id, code)| ViolatingRow { row_id, code, value: Value::Null }).collect(),
    })
}

pub async fn rule(conn: &mut PgConnection, def: &TableDef, c: &ColumnDef, rule: &Rule, name: &str) -> Result<Violations> {
    scan(conn, def, format!("{}: {name}", c.name), |row| {
        let cell = row_cell(c, row);
        rule.check(&cell).err().map(|_| cell.json())
    })
    .await
}

pub async fn check(conn: &mut PgConnection, def: &TableDef, name: &str, expr: &Expr) -> Result<Violations> {
    scan(conn, def, name.to_string(), |row| (!expr.passes(&|f: &str| row_field(def, row, f))).then_some(Value::Null)).await
}

/// Rows sharing a key of `u` with another row (every row of each duplicated key is counted).
pub async fn unique(conn: &mut PgConnection, def: &TableDef, u: &UniqueDef) -> Result<Violations> {
    let exprs = physical::unique_exprs(def, u);
    let key = exprs.join(", ");
    let not_null = exprs.iter().map(|e| format!("{e} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
    let t = def.physical();
    let dup = format!(
        "WITH d AS (SELECT id, code, ({key})::text AS k, count(*) OVER (PARTITION BY {key}) AS n FROM {t} WHERE {not_null})
         SELECT id, code, k FROM d WHERE n > 1 ORDER BY k, code"
    );
    let rows: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(trusted(&dup)).fetch_all(&mut *conn).await?;
    Ok(Violations {
        rule: u.name.clone(),
        count: rows.len() as i64,
        examples: rows.into_iter().take(EXAMPLES).map(|(row_id, code, k)| ViolatingRow { row_id, code, value: Value::String(k) }).collect(),
    })
}

/// Rows whose Reference value names no row of the referenced table.
pub async fn dangling(conn: &mut PgConnection, def: &TableDef, c: &ColumnDef, target: uuid::Uuid) -> Result<Violations> {
    let t = def.physical();
    let r = physical::table(target);
    let col = &c.physical;
    let rows: Vec<(uuid::Uuid, String, uuid::Uuid)> =
        sqlx::query_as(trusted(&format!("SELECT id, code, {col} FROM {t} x WHERE {col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {r} WHERE id = x.{col}) ORDER BY code")))
            .fetch_all(&mut *conn)
            .await?;
    Ok(Violations {
        rule: format!("{}: reference", c.name),
        count: rows.len() as i64,
        examples: rows.into_iter().take(EXAMPLES).map(|(row_id, code, v)| ViolatingRow { row_id, code, value: Value::String(v.to_string()) }).collect(),
    })
}

/// The 409 of a rule existing rows break.
pub fn refused(v: Violations) -> crate::error::EngineError {
    super::super::error::DataError::RowsViolateRule { rule: v.rule, count: v.count, examples: v.examples }.into()
}
