//! Undoing a finished import: rows it inserted are deleted, rows it updated get their state from
//! before the job back — all in one transaction, through the row commands (history, events), and
//! only if none of those rows changed since; otherwise nothing is touched and the answer says how
//! many changed.

use serde_json::Value;
use uuid::Uuid;

use super::jobs::job_configuration;
use super::wire::{JobStatus, RollbackReport};
use crate::auth::CurrentUser;
use crate::eav::def::table_locked;
use crate::eav::physical::{self, trusted};
use crate::eav::rows::{self, Changes};
use crate::eav::wire::{BatchOperation, OnError, OperationType, RowData, RowInput};
use crate::eav::Store;
use crate::error::{Conflict, EngineError, Resource, Result};

/// `POST /migration/batch/{job_id}/rollback`.
pub async fn rollback_job(store: &Store, user: &CurrentUser, job_id: Uuid) -> Result<RollbackReport> {
    let cfg = job_configuration(store, user, job_id).await?;
    let mut tx = store.pool.begin().await?;
    let status: String = sqlx::query_scalar("SELECT status FROM migration_jobs WHERE id = $1 FOR UPDATE")
        .bind(job_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(EngineError::NotFound(Resource::MigrationJob))?;
    match JobStatus::parse(&status) {
        Some(JobStatus::RolledBack) => return Err(Conflict::MigrationRolledBack.into()),
        Some(s) if !s.is_finished() => return Err(Conflict::MigrationJobActive.into()),
        _ => {}
    }
    let def = table_locked(&mut tx, &store.defs, &cfg.target_table_name).await?;
    let changes: Vec<(Uuid, String, i32, Option<Value>)> =
        sqlx::query_as("SELECT row_id, action, version, before FROM migration_changes WHERE job_id = $1 ORDER BY row_id")
            .bind(job_id)
            .fetch_all(&mut *tx)
            .await?;
    let ids: Vec<Uuid> = changes.iter().map(|c| c.0).collect();
    let sql = format!("SELECT {} FROM {} WHERE id = ANY($1) FOR UPDATE", physical::select_list(&def, None), def.physical());
    let mut current = std::collections::HashMap::new();
    for r in sqlx::query(trusted(&sql)).bind(&ids).fetch_all(&mut *tx).await? {
        let row = crate::eav::read::RawRow::decode(&def, None, &r)?.data;
        current.insert(row.id, row);
    }
    let mut changed = 0i64;
    let mut ops = Vec::with_capacity(changes.len());
    for (id, action, version, before) in &changes {
        let now = current.get(id);
        match (action.as_str(), now) {
            // Deleted by someone since: nothing to undo.
            ("inserted", None) => {}
            ("inserted", Some(row)) if row.version == *version => {
                ops.push(BatchOperation { op: OperationType::Delete, row_id: Some(*id), version: Some(*version), fields: RowInput::default() })
            }
            (_, Some(row)) if row.version == *version => {
                let before: RowData = serde_json::from_value(before.clone().unwrap_or(Value::Null)).map_err(EngineError::internal)?;
                ops.push(BatchOperation { op: OperationType::Update, row_id: Some(*id), version: Some(*version), fields: restore(&before, row) });
            }
            _ => changed += 1,
        }
    }
    if changed > 0 {
        return Err(Conflict::MigrationRollbackConflict { rows: changed }.into());
    }
    let mut done = Changes::default();
    let outcomes = rows::apply(&mut tx, store, user, &def, &ops, OnError::Abort, &mut done).await?;
    if let Some(Err(e)) = outcomes.into_iter().find(Result::is_err) {
        return Err(e);
    }
    let deleted = ops.iter().filter(|o| o.op == OperationType::Delete).count() as i64;
    let restored = ops.len() as i64 - deleted;
    sqlx::query("UPDATE migration_jobs SET status = 'ROLLED_BACK', rolled_back_at = now() WHERE id = $1").bind(job_id).execute(&mut *tx).await?;
    rows::commit(store, tx, &def, done).await?;
    Ok(RollbackReport { deleted_rows: deleted, restored_rows: restored })
}

/// The write that turns `now` back into `before`: every field, and the extended properties the
/// import added removed.
fn restore(before: &RowData, now: &RowData) -> RowInput {
    let mut ext = before.extended_properties.clone();
    for k in now.extended_properties.keys() {
        if !ext.contains_key(k) {
            ext.insert(k.clone(), Value::Null);
        }
    }
    RowInput {
        code: Some(before.code.clone()),
        display_value: Some(before.display_value.clone().unwrap_or_default()),
        is_active: Some(before.is_active),
        sort_order: Some(before.sort_order),
        parent_row_id: Some(before.parent_row_id),
        column_values: before.column_values.clone(),
        extended_properties: ext,
    }
}
