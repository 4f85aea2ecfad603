//! Running a job: batch after batch, each in one transaction that holds the job's row, applies the
//! records, stores their errors and what they changed, and moves the counters and the checkpoint
//! (`next_seq`). A crash loses at most the batch in flight, which the next claim redoes, so nothing
//! is dropped or counted twice. Workers claim jobs from the table itself (a lease renewed by each
//! batch), so there is no queue entry to lose.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::apply::{NOT_APPLIED, Outcome, Plan, RecordResult, apply_records};
use super::config::steps_for;
use super::wire::{Configuration, ErrorStrategy, JobStatus, RecordAction, ValidationError};
use crate::eav::def::{table_by_id, table_locked};
use crate::eav::rows::{self, Changes};
use crate::eav::Store;
use crate::error::{EngineError, Result};

/// A job whose worker has not renewed its lease for this long is taken over by another.
pub const LEASE: Duration = Duration::from_secs(30);

/// Claims the oldest job that is waiting, or whose worker went quiet for `lease`.
pub async fn claim(pool: &sqlx::PgPool, lease: Duration) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "UPDATE migration_jobs SET status = 'PROCESSING', started_at = coalesce(started_at, now()), heartbeat_at = now()
         WHERE id = (SELECT id FROM migration_jobs
                     WHERE status IN ('PENDING', 'PROCESSING')
                       AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1))
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id",
    )
    .bind(lease.as_secs_f64())
    .fetch_optional(pool)
    .await?)
}

/// Claims and runs jobs until `shutdown`; one at a time (each batch already fills a core).
pub async fn run_worker(store: Store, shutdown: CancellationToken, lease: Duration) {
    loop {
        let claimed = tokio::select! {
            _ = shutdown.cancelled() => return,
            c = claim(&store.pool, lease) => c,
        };
        match claimed {
            Ok(Some(id)) => {
                if let Err(e) = run_job(&store, id, &shutdown).await {
                    // Left PROCESSING: its lease runs out and a worker takes it up again.
                    tracing::warn!(job_id = %id, error = %e, "import batch failed; it will be retried");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not claim an import job"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(300)) => {}
        }
    }
}

/// Runs `job_id` from its checkpoint to the end (or until `shutdown`, between batches). A job that
/// cannot go on (its user or table gone, its mappings no longer fit the table) is marked FAILED;
/// a database error is returned and the job retried later.
pub async fn run_job(store: &Store, job_id: Uuid, shutdown: &CancellationToken) -> Result<JobStatus> {
    let head: Option<(Value, Option<Uuid>, i32)> =
        sqlx::query_as("SELECT configuration, created_by_user_id, batch_size FROM migration_jobs WHERE id = $1").bind(job_id).fetch_optional(&store.pool).await?;
    let Some((configuration, created_by, batch_size)) = head else { return Err(EngineError::internal(format!("no import job {job_id}"))) };
    let cfg: Configuration = serde_json::from_value(configuration).map_err(EngineError::internal)?;
    let actor = match created_by {
        Some(id) => crate::auth::rbac::load_user(&store.pool, id).await?,
        None => None,
    };
    let Some(actor) = actor else { return fail(store, job_id, "the user who started the import no longer exists").await };
    let mut plan = match plan_of(store, &cfg).await {
        Ok(p) => p,
        Err(e) => return fail(store, job_id, &e.to_string()).await,
    };
    loop {
        if shutdown.is_cancelled() {
            // Hand it back at once rather than after the lease.
            sqlx::query("UPDATE migration_jobs SET heartbeat_at = NULL WHERE id = $1 AND status = 'PROCESSING'").bind(job_id).execute(&store.pool).await?;
            return Ok(JobStatus::Processing);
        }
        let mut tx = store.pool.begin().await?;
        let state: (String, i32) = sqlx::query_as("SELECT status, next_seq FROM migration_jobs WHERE id = $1 FOR UPDATE")
            .bind(job_id)
            .fetch_one(&mut *tx)
            .await?;
        if let Some(done) = JobStatus::parse(&state.0).filter(|s| s.is_finished()) {
            return Ok(done);
        }
        let def = match table_locked(&mut tx, &store.defs, &plan.def.name).await {
            Ok(d) => d,
            Err(e) => {
                drop(tx);
                return fail(store, job_id, &e.to_string()).await;
            }
        };
        if def.version != plan.def.version {
            match steps_for(&def, &cfg.mappings) {
                Ok(steps) => plan = Plan { def, steps, level: plan.level, key: plan.key },
                Err(e) => {
                    drop(tx);
                    return fail(store, job_id, &e.to_string()).await;
                }
            }
        }
        let records = next_records(&mut tx, job_id, state.1, batch_size).await?;
        let Some(last) = records.last().map(|r| r.0) else {
            let status = finish(&mut tx, job_id).await?;
            tx.commit().await?;
            metrics::counter!("dgs_imports_finished_total", "status" => status.as_str()).increment(1);
            return Ok(status);
        };
        let mut changes = Changes::default();
        let results = apply_records(&mut tx, store, &actor, &plan, &records, &mut changes).await?;
        let stop_at = results.iter().position(|r| matches!(r.outcome, Outcome::Rejected(_)));
        if cfg.error_handling_strategy == ErrorStrategy::Stop
            && let Some(at) = stop_at
        {
            tx.rollback().await?;
            return stop(store, job_id, &plan, &records, &results, at).await;
        }
        record_errors(&mut tx, job_id, &plan, &records, &results).await?;
        record_changes(&mut tx, job_id, &results).await?;
        let count = |a: RecordAction| results.iter().filter(|r| matches!(&r.outcome, Outcome::Written { action, .. } if *action == a)).count() as i32;
        let rejected = results.iter().filter(|r| matches!(r.outcome, Outcome::Rejected(_))).count() as i32;
        sqlx::query(
            "UPDATE migration_jobs SET processed_records = processed_records + $2, inserted_records = inserted_records + $3,
                 updated_records = updated_records + $4, unchanged_records = unchanged_records + $5, error_records = error_records + $6,
                 next_seq = $7, heartbeat_at = now()
             WHERE id = $1",
        )
        .bind(job_id)
        .bind(records.len() as i32)
        .bind(count(RecordAction::Inserted))
        .bind(count(RecordAction::Updated))
        .bind(count(RecordAction::Unchanged))
        .bind(rejected)
        .bind(last + 1)
        .execute(&mut *tx)
        .await?;
        rows::commit(store, tx, &plan.def, changes).await?;
        metrics::counter!("dgs_import_records_total").increment(records.len() as u64);
    }
}

/// The staged records of `job_id` from `seq` on, at most `limit`, in order.
pub async fn next_records(conn: &mut PgConnection, job_id: Uuid, seq: i32, limit: i32) -> Result<Vec<(i32, Value)>> {
    Ok(sqlx::query_as("SELECT seq, data FROM migration_records WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3")
        .bind(job_id)
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?)
}

pub async fn plan_of(store: &Store, cfg: &Configuration) -> Result<Plan> {
    let def = table_by_id(&store.pool, &store.defs, cfg.target_logical_table_id).await?;
    let steps = steps_for(&def, &cfg.mappings)?;
    Ok(Plan { def, steps, level: cfg.validation_level, key: cfg.upsert_key.clone() })
}

/// The end: SUCCEEDED with no rejection, FAILED with nothing imported, else PARTIALLY_SUCCEEDED.
async fn finish(tx: &mut PgConnection, job_id: Uuid) -> Result<JobStatus> {
    let status: String = sqlx::query_scalar(
        "UPDATE migration_jobs SET completed_at = now(), heartbeat_at = now(),
             status = CASE WHEN error_records = 0 THEN 'SUCCEEDED'
                           WHEN inserted_records + updated_records + unchanged_records = 0 THEN 'FAILED'
                           ELSE 'PARTIALLY_SUCCEEDED' END
         WHERE id = $1 RETURNING status",
    )
    .bind(job_id)
    .fetch_one(&mut *tx)
    .await?;
    JobStatus::parse(&status).ok_or_else(|| EngineError::internal("job status"))
}

async fn fail(store: &Store, job_id: Uuid, why: &str) -> Result<JobStatus> {
    sqlx::query("UPDATE migration_jobs SET status = 'FAILED', error = $2, completed_at = now() WHERE id = $1 AND status IN ('PENDING', 'PROCESSING')")
        .bind(job_id)
        .bind(why)
        .execute(&store.pool)
        .await?;
    tracing::warn!(job_id = %job_id, why, "import job failed");
    Ok(JobStatus::Failed)
}

/// STOP: the batch is undone whole; the record that stopped it keeps its reasons, the others of
/// the batch are NOT_APPLIED; the job ends FAILED with what earlier batches did still in place.
async fn stop(store: &Store, job_id: Uuid, plan: &Plan, records: &[(i32, Value)], results: &[RecordResult], at: usize) -> Result<JobStatus> {
    let culprit = &results[at];
    let why = match &culprit.outcome {
        Outcome::Rejected(e) => e.first().map(|e| e.message.clone()).unwrap_or_default(),
        Outcome::Written { .. } => String::new(),
    };
    let stopped: Vec<RecordResult> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i == at {
                RecordResult { seq: r.seq, outcome: r.outcome.clone(), warnings: Vec::new() }
            } else {
                RecordResult {
                    seq: r.seq,
                    outcome: Outcome::Rejected(vec![ValidationError {
                        field: String::new(),
                        error_type: NOT_APPLIED.into(),
                        message: format!("not applied: record #{} stopped the import", culprit.seq + 1),
                    }]),
                    warnings: Vec::new(),
                }
            }
        })
        .collect();
    let mut tx = store.pool.begin().await?;
    sqlx::query("SELECT 1 FROM migration_jobs WHERE id = $1 FOR UPDATE").bind(job_id).execute(&mut *tx).await?;
    record_errors(&mut tx, job_id, plan, records, &stopped).await?;
    let last = records.last().map_or(0, |r| r.0);
    sqlx::query(
        "UPDATE migration_jobs SET processed_records = processed_records + $2, error_records = error_records + $2, next_seq = $3,
             status = 'FAILED', error = $4, completed_at = now(), heartbeat_at = now()
         WHERE id = $1",
    )
    .bind(job_id)
    .bind(records.len() as i32)
    .bind(last + 1)
    .bind(format!("stopped at record #{}: {why}", culprit.seq + 1))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(JobStatus::Failed)
}

/// Rejections (severity error) and LENIENT warnings, one row per reason.
pub async fn record_errors(tx: &mut PgConnection, job_id: Uuid, plan: &Plan, records: &[(i32, Value)], results: &[RecordResult]) -> Result<()> {
    let mut cols: (Vec<i32>, Vec<String>, Vec<&str>, Vec<String>, Vec<String>, Vec<String>, Vec<Value>) = Default::default();
    for (r, (seq, data)) in results.iter().zip(records) {
        let rejected = match &r.outcome {
            Outcome::Rejected(e) => e.as_slice(),
            Outcome::Written { .. } => &[],
        };
        let all = rejected.iter().map(|e| ("error", e)).chain(r.warnings.iter().map(|e| ("warning", e)));
        for (severity, e) in all {
            cols.0.push(*seq);
            cols.1.push(plan.identify(*seq, data));
            cols.2.push(severity);
            cols.3.push(e.field.clone());
            cols.4.push(e.error_type.clone());
            cols.5.push(e.message.clone());
            cols.6.push(data.clone());
        }
    }
    if cols.0.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO migration_errors (migration_job_id, seq, record_identifier, severity, field, error_type, error_message, record_data)
         SELECT $1, u.seq, u.ident, u.severity, NULLIF(u.field, ''), u.error_type, u.message, u.data
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
              AS u(seq, ident, severity, field, error_type, message, data)",
    )
    .bind(job_id)
    .bind(&cols.0)
    .bind(&cols.1)
    .bind(&cols.2)
    .bind(&cols.3)
    .bind(&cols.4)
    .bind(&cols.5)
    .bind(&cols.6)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What the batch wrote, for rollback: a row's first state before the job, its last version.
async fn record_changes(tx: &mut PgConnection, job_id: Uuid, results: &[RecordResult]) -> Result<()> {
    let mut by_row: HashMap<Uuid, (&'static str, i32, Option<Value>)> = HashMap::new();
    let mut order = Vec::new();
    for r in results {
        let Outcome::Written { action, row_id, version, before } = &r.outcome else { continue };
        let (kind, before) = match action {
            RecordAction::Inserted => ("inserted", None),
            RecordAction::Updated => ("updated", before.as_ref().and_then(|b| serde_json::to_value(b).ok())),
            RecordAction::Unchanged => continue,
        };
        match by_row.get_mut(row_id) {
            Some(entry) => entry.1 = *version,
            None => {
                order.push(*row_id);
                by_row.insert(*row_id, (kind, *version, before));
            }
        }
    }
    if order.is_empty() {
        return Ok(());
    }
    let (mut kinds, mut versions, mut befores) = (Vec::new(), Vec::new(), Vec::new());
    for id in &order {
        let (k, v, b) = by_row.remove(id).unwrap_or(("inserted", 1, None));
        kinds.push(k);
        versions.push(v);
        befores.push(b);
    }
    sqlx::query(
        "INSERT INTO migration_changes (job_id, row_id, action, version, before)
         SELECT $1, u.row_id, u.action, u.version, u.before FROM unnest($2::uuid[], $3::text[], $4::int[], $5::jsonb[]) AS u(row_id, action, version, before)
         ON CONFLICT (job_id, row_id) DO UPDATE SET version = EXCLUDED.version",
    )
    .bind(job_id)
    .bind(&order)
    .bind(&kinds)
    .bind(&versions)
    .bind(&befores)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
