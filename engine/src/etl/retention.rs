//! Retention (seed 001, DESIGN §5): marketing rows, events and finished runs older than
//! `DATA_RETENTION_DAYS` are deleted, on demand and every day. Governed rows go through the
//! tables' own batch deletes, so each deletion is audited and announced like any other.

use chrono::{Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::tables::{self, column_of};
use super::wire::{CleanupReport, SourceKind};
use crate::auth::{CurrentUser, Permission};
use crate::eav::Store;
use crate::eav::physical::trusted;
use crate::eav::rows;
use crate::eav::wire::{BatchOperation, BatchRequest, OnError, OperationType, RowInput};
use crate::error::{EngineError, Resource, Result};

/// Rows deleted per batch: one transaction each, so a big cleanup does not hold locks for long.
const BATCH: i64 = 5_000;

async fn governed(store: &Store, user: &CurrentUser, kind: SourceKind, cutoff: NaiveDate) -> Result<u64> {
    let def = match tables::existing(store, kind).await {
        Ok(d) => d,
        Err(EngineError::NotFound(Resource::LogicalTable)) => return Ok(0),
        Err(e) => return Err(e),
    };
    let field = match kind {
        SourceKind::Ads => "date",
        SourceKind::Crm => "created_at",
    };
    let Some(col) = def.column(column_of(field)) else { return Ok(0) };
    let mut deleted = 0u64;
    loop {
        let def = store.table(kind.table()).await?;
        let ids: Vec<Uuid> = sqlx::query_scalar(trusted(&format!("SELECT id FROM {} WHERE {}::date < $1 ORDER BY id LIMIT {BATCH}", def.physical(), col.physical)))
            .bind(cutoff)
            .fetch_all(&store.pool)
            .await?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        let operations = ids.iter().map(|id| BatchOperation { op: OperationType::Delete, row_id: Some(*id), version: None, fields: RowInput::default() }).collect();
        let done = rows::batch(store, user, kind.table(), &BatchRequest { operations, on_error: OnError::Continue }).await?;
        deleted += done.success_count as u64;
        if done.success_count == 0 {
            // Every row left is held by something (a reference that restricts): stop, not spin.
            return Ok(deleted);
        }
    }
}

/// `POST /etl/cleanup`: what is older than `days` is deleted; returns what went.
pub async fn cleanup(store: &Store, user: &CurrentUser, days: u32) -> Result<CleanupReport> {
    user.require(Permission::EtlAdmin)?;
    let cutoff = (Utc::now() - Duration::days(i64::from(days))).date_naive();
    let ads_deleted = governed(store, user, SourceKind::Ads, cutoff).await?;
    let opportunities_deleted = governed(store, user, SourceKind::Crm, cutoff).await?;
    let events_deleted = sqlx::query("DELETE FROM events WHERE occurred_at < $1::date").bind(cutoff).execute(&store.pool).await?.rows_affected();
    sqlx::query("DELETE FROM event_rejections WHERE received_at < $1::date").bind(cutoff).execute(&store.pool).await?;
    let runs_deleted = sqlx::query("DELETE FROM etl_runs WHERE status IN ('succeeded', 'failed') AND created_at < $1::date").bind(cutoff).execute(&store.pool).await?.rows_affected();
    tracing::info!(days, %cutoff, ads_deleted, opportunities_deleted, events_deleted, runs_deleted, "marketing retention cleanup");
    Ok(CleanupReport { retention_days: days, cutoff, ads_deleted, opportunities_deleted, events_deleted, runs_deleted })
}

/// The daily cleanup, acting for the admin who set up the first source (deletions are audited
/// under a person); without sources there is nothing of marketing's to clean but events.
pub async fn run_daily(store: Store, days: u32, shutdown: tokio_util::sync::CancellationToken) {
    let mut wait = std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = std::time::Duration::from_secs(24 * 3600);
        let owner: Option<Uuid> = match sqlx::query_scalar("SELECT created_by FROM etl_sources ORDER BY created_at LIMIT 1").fetch_optional(&store.pool).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "retention: cannot read the sources");
                continue;
            }
        };
        let user = match owner {
            Some(id) => crate::auth::rbac::load_user(&store.pool, id).await.ok().flatten(),
            None => None,
        };
        match user {
            Some(u) if u.can(Permission::EtlAdmin) => {
                if let Err(e) = cleanup(&store, &u, days).await {
                    tracing::warn!(error = %e, "retention cleanup failed; it runs again tomorrow");
                }
            }
            _ => {
                let cutoff = (Utc::now() - Duration::days(i64::from(days))).date_naive();
                match sqlx::query("DELETE FROM events WHERE occurred_at < $1::date").bind(cutoff).execute(&store.pool).await {
                    Ok(r) => tracing::info!(events_deleted = r.rows_affected(), %cutoff, "event retention cleanup"),
                    Err(e) => tracing::warn!(error = %e, "event retention cleanup failed"),
                }
            }
        }
    }
}
