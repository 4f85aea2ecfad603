//! Schema commands (admins, `table:admin`): logical tables, column definitions, their per-table
//! properties, constraints and grants. Each change runs in one transaction with the table's row
//! locked (writes hold it shared), raises the table's version, records its before and after in
//! `schema_changes`, and is refused with 409 when existing rows break a new rule — unless the rule
//! is asked to be soft.

pub mod columns;
pub mod constraints;
mod existing;
pub mod properties;
mod retype;
pub mod tables;

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::def::TableDef;
use super::error::DataError;
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

/// Names of tables, columns and constraints: a letter, then letters, digits or `_`, at most 63.
pub fn check_name(what: &str, raw: &str) -> Result<String> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name.to_string())
    } else {
        Err(EngineError::invalid(format!("a {what} name starts with a letter and has only letters, digits and _ (at most 63)")))
    }
}

/// Locks the table's row for a schema change and reads its definition as it is now.
pub(super) async fn lock_table(conn: &mut PgConnection, id: Uuid) -> Result<TableDef> {
    let name: Option<String> = sqlx::query_scalar("SELECT table_name FROM logical_tables WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(&mut *conn).await?;
    let name = name.ok_or(EngineError::NotFound(Resource::LogicalTable))?;
    // Its report view goes until the change is recorded: PostgreSQL will not change a column a
    // view reads.
    crate::reports::views::drop(conn, &name).await?;
    super::def::read(conn, &name).await
}

/// Administration of one table: `table:admin` globally or granted on it.
pub(super) fn require_admin(user: &CurrentUser, def: &TableDef) -> Result<()> {
    def.require(user, Permission::TableAdmin)
}

/// Someone without `table:admin` anywhere is told so before any lookup, so a missing id and a
/// forbidden one answer alike (403) for them.
pub(super) fn unseen(user: &CurrentUser, p: Permission) -> impl Fn(EngineError) -> EngineError + '_ {
    move |e| match e {
        EngineError::NotFound(_) if !user.can(p) => EngineError::Forbidden(p.name()),
        other => other,
    }
}

/// The table locked for a schema change by someone allowed to change it.
pub(super) async fn admin_table(conn: &mut PgConnection, user: &CurrentUser, id: Uuid) -> Result<TableDef> {
    let def = lock_table(conn, id).await.map_err(unseen(user, Permission::TableAdmin))?;
    require_admin(user, &def)?;
    Ok(def)
}

/// Raises the table's version and records the change; returns the new version.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record(
    conn: &mut PgConnection,
    table: Option<Uuid>,
    entity: &str,
    entity_id: Uuid,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    actor: Uuid,
) -> Result<Option<i32>> {
    let version: Option<i32> = match table {
        Some(t) => sqlx::query_scalar("UPDATE logical_tables SET version = version + 1, updated_at = now(), updated_by = $2 WHERE id = $1 RETURNING version")
            .bind(t)
            .bind(actor)
            .fetch_optional(&mut *conn)
            .await?,
        None => None,
    };
    if let Some(t) = table {
        crate::reports::views::refresh(conn, t).await?;
    }
    sqlx::query(
        "INSERT INTO schema_changes (logical_table_id, table_version, entity, entity_id, action, before, after, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(table)
    .bind(version)
    .bind(entity)
    .bind(entity_id)
    .bind(action)
    .bind(before)
    .bind(after)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(version)
}

/// A value as the schema history keeps it.
pub(super) fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// A duplicate name, told as such rather than as a database error.
pub(super) fn name_taken(e: sqlx::Error, taken: DataError) -> EngineError {
    if super::write::is_unique_violation(&e) { taken.into() } else { e.into() }
}

/// After a schema change commits: every server re-reads the definition (its version moved), this
/// one at once.
pub(super) fn forget(store: &super::Store, table: Uuid) {
    store.defs.forget(table);
}
