//! Views of a table's grid saved by name: each reader keeps their own, and may share one with
//! every reader of the table. Reading the table is all it takes; only a view's owner changes or
//! removes it (saving a name again replaces the owner's view of that name).

use uuid::Uuid;

use super::Store;
use super::wire::{SavedView, ViewSpec};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Result};

/// The table, for someone who may read it.
async fn readable(store: &Store, user: &CurrentUser, table: &str) -> Result<Uuid> {
    let def = store.table(table).await?;
    def.require(user, Permission::TableRead)?;
    Ok(def.id)
}

/// The reader's views of `table` and those others shared, the reader's first, by name.
pub async fn list(store: &Store, user: &CurrentUser, table: &str) -> Result<Vec<SavedView>> {
    let id = readable(store, user, table).await?;
    let rows: Vec<(String, String, bool, bool, serde_json::Value, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT v.name, u.username, v.owner_id = $2, v.shared, v.spec, v.updated_at
         FROM saved_views v JOIN users u ON u.id = v.owner_id
         WHERE v.logical_table_id = $1 AND (v.owner_id = $2 OR v.shared)
         ORDER BY v.owner_id <> $2, lower(v.name), lower(u.username)",
    )
    .bind(id)
    .bind(user.id)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, owner, mine, shared, spec, updated_at)| SavedView { name, owner, mine, shared, spec: serde_json::from_value(spec).unwrap_or_default(), updated_at })
        .collect())
}

/// Saves the reader's view `name` (replacing one of that name).
pub async fn save(store: &Store, user: &CurrentUser, table: &str, name: &str, spec: &ViewSpec, shared: bool) -> Result<SavedView> {
    let id = readable(store, user, table).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(EngineError::invalid("a view's name has 1 to 80 characters"));
    }
    let at: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "INSERT INTO saved_views (id, logical_table_id, owner_id, name, spec, shared) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (logical_table_id, owner_id, name) DO UPDATE SET spec = excluded.spec, shared = excluded.shared, updated_at = now()
         RETURNING updated_at",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(user.id)
    .bind(name)
    .bind(serde_json::to_value(spec).map_err(|e| EngineError::invalid(e.to_string()))?)
    .bind(shared)
    .fetch_one(&store.pool)
    .await?;
    Ok(SavedView { name: name.to_string(), owner: user.username.clone(), mine: true, shared, spec: spec.clone(), updated_at: at })
}

/// Removes the reader's view `name`; one that is not there is already gone.
pub async fn remove(store: &Store, user: &CurrentUser, table: &str, name: &str) -> Result<()> {
    let id = readable(store, user, table).await?;
    sqlx::query("DELETE FROM saved_views WHERE logical_table_id = $1 AND owner_id = $2 AND name = $3").bind(id).bind(user.id).bind(name.trim()).execute(&store.pool).await?;
    Ok(())
}
