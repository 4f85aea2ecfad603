//! Deleting rows and what follows from it: the rows that point at them (Reference columns) are
//! refused (`restrict`, `no_action`, and any reference without a foreign key), deleted (`cascade`,
//! recursively) or cleared (`set_null`, `set_default`), each with its history, in the deleting
//! transaction. Children of a hierarchical row keep it from being deleted.

use crate::eav::physical::trusted;
use std::collections::HashMap;
use std::sync::Arc;

use sqlx::PgConnection;
use uuid::Uuid;

use super::def::{DefCache, TableDef, table_locked};
use super::error::DataError;
use super::wire::{OnDelete, RowData};
use super::{read, write};
use crate::error::{EngineError, Result};

/// Cascades deeper than this are refused rather than followed (a schema mistake, not data).
const MAX_DEPTH: usize = 16;

#[derive(Default)]
pub struct Deleted {
    /// Rows deleted, per table id (the first is the table asked).
    pub deleted: HashMap<Uuid, Vec<Uuid>>,
    /// Rows changed by set_null / set_default, per table id.
    pub updated: HashMap<Uuid, Vec<Uuid>>,
    pub tables: HashMap<Uuid, Arc<TableDef>>,
}

/// A Reference column of some table that points at `target`, with its action.
struct Referrer {
    table_name: String,
    column: String,
    action: OnDelete,
    constraint: String,
}

async fn referrers(conn: &mut PgConnection, target: Uuid) -> Result<Vec<Referrer>> {
    let rows: Vec<(String, String, Option<serde_json::Value>, Option<String>)> = sqlx::query_as(
        "SELECT t.table_name, c.column_name, k.definition -> 'on_delete', k.constraint_name
         FROM column_definitions c
         JOIN table_column_properties p ON p.column_definition_id = c.id
         JOIN logical_tables t ON t.id = p.logical_table_id
         LEFT JOIN table_constraints k ON k.logical_table_id = p.logical_table_id AND k.constraint_type = 'FOREIGN KEY'
              AND k.is_active AND lower(k.definition -> 'columns' ->> 0) = lower(c.column_name)
         WHERE c.reference_table_id = $1",
    )
    .bind(target)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(table_name, column, action, constraint)| Referrer {
            table_name,
            constraint: constraint.unwrap_or_else(|| column.clone()),
            column,
            action: action.and_then(|a| serde_json::from_value(a).ok()).unwrap_or(OnDelete::Restrict),
        })
        .collect())
}

/// Deletes `ids` of `def` (locked and read by the caller as `rows`) with everything that follows.
pub async fn delete_rows(
    conn: &mut PgConnection,
    defs: &DefCache,
    def: Arc<TableDef>,
    rows: Vec<RowData>,
    actor: Uuid,
    out: &mut Deleted,
    depth: usize,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Err(EngineError::invalid("the delete cascades through more than 16 tables; check the foreign keys"));
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let t = def.physical();
    if def.is_hierarchical {
        let children: i64 = sqlx::query_scalar(trusted(&format!("SELECT count(*) FROM {t} WHERE parent_row_id = ANY($1) AND NOT id = ANY($1)")))
            .bind(&ids)
            .fetch_one(&mut *conn)
            .await?;
        if children > 0 {
            return Err(DataError::RowReferenced { table: def.name.clone(), constraint: "parent_row_id".into(), count: children }.into());
        }
    }
    for r in referrers(conn, def.id).await? {
        let other = table_locked(conn, defs, &r.table_name).await?;
        let Some(col) = other.column(&r.column).cloned() else { continue };
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = ANY($1) ORDER BY id FOR UPDATE",
            super::physical::select_list(&other, None),
            other.physical(),
            col.physical
        );
        let pointing: Vec<RowData> =
            sqlx::query(trusted(&sql)).bind(&ids).fetch_all(&mut *conn).await?.iter().map(|r| read::RawRow::decode(&other, None, r).map(RowData::from)).collect::<std::result::Result<_, _>>()?;
        // A table pointing at itself: rows deleted together do not hold each other back.
        let pointing: Vec<RowData> = pointing.into_iter().filter(|p| !(other.id == def.id && ids.contains(&p.id))).collect();
        if pointing.is_empty() {
            continue;
        }
        match r.action {
            OnDelete::Restrict | OnDelete::NoAction => {
                return Err(DataError::RowReferenced { table: other.name.clone(), constraint: r.constraint, count: pointing.len() as i64 }.into());
            }
            OnDelete::Cascade => {
                Box::pin(delete_rows(conn, defs, other.clone(), pointing, actor, out, depth + 1)).await?;
            }
            OnDelete::SetNull | OnDelete::SetDefault => {
                let value = match r.action {
                    OnDelete::SetDefault => col.default.clone().unwrap_or(serde_json::Value::Null),
                    _ => serde_json::Value::Null,
                };
                if value.is_null() && col.mandatory {
                    return Err(DataError::ValueRequired { column: format!("{}.{}", other.name, col.name) }.into());
                }
                for before in pointing {
                    let mut input = super::wire::RowInput::default();
                    input.column_values.insert(col.name.clone(), value.clone());
                    let prepared = super::validate::prepare(&other, Some(&before), &input)?;
                    let version = write::update(conn, &other, &prepared, actor).await?;
                    let mut after = before.clone();
                    after.column_values.insert(col.name.clone(), value.clone());
                    after.version = version;
                    write::history(conn, &other, &before, Some(&after), actor).await?;
                    out.updated.entry(other.id).or_default().push(before.id);
                }
                out.tables.insert(other.id, other.clone());
            }
        }
    }
    sqlx::query(trusted(&format!("DELETE FROM {t} WHERE id = ANY($1)"))).bind(&ids).execute(&mut *conn).await?;
    for before in &rows {
        write::history(conn, &def, before, None, actor).await?;
    }
    out.deleted.entry(def.id).or_default().extend(ids);
    out.tables.insert(def.id, def);
    Ok(())
}
