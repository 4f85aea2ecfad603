//! Batch jobs (seed §19.3.1): started with their source staged, read back with their progress.
//! The work itself is `execute`.

use chrono::Utc;
use uuid::Uuid;

use super::config::{get_configuration, may_write, steps_for};
use super::source::{SourceRequest, resolve, stage};
use super::wire::{Configuration, JobStatus, MigrationJobStatusResponse, StartBatchMigrationRequest, StartBatchMigrationResponse};
use crate::auth::CurrentUser;
use crate::eav::def::table_by_id;
use crate::eav::{DataError, Store};
use crate::error::{EngineError, Resource, Result};

/// Jobs waiting or running at once, over all users (the seed's bulkhead): more is 429.
pub const MAX_OPEN_JOBS: i64 = 10;
pub const DEFAULT_BATCH: i32 = 1_000;
pub const MAX_BATCH: i32 = 10_000;

/// `POST /migration/batch`: stages the source and leaves the job `PENDING` for a worker.
pub async fn start_batch(store: &Store, user: &CurrentUser, req: StartBatchMigrationRequest) -> Result<StartBatchMigrationResponse> {
    let source = SourceRequest {
        data: req.source_data,
        file_id: req.source_file_id,
        dataset_id: req.source_dataset_id,
        run_id: req.source_run_id,
        sample_id: req.source_sample_id,
    };
    start_job(store, user, req.configuration_id, source, req.batch_size).await
}

/// A job of configuration `configuration_id` over `source`, staged and left `PENDING`.
pub async fn start_job(store: &Store, user: &CurrentUser, configuration_id: Uuid, source: SourceRequest, batch_size: Option<i32>) -> Result<StartBatchMigrationResponse> {
    let cfg = get_configuration(store, user, configuration_id).await?;
    let batch_size = batch_size.unwrap_or(DEFAULT_BATCH);
    if !(1..=MAX_BATCH).contains(&batch_size) {
        return Err(EngineError::invalid(format!("batch_size must be 1 to {MAX_BATCH}")));
    }
    let def = table_by_id(&store.pool, &store.defs, cfg.target_logical_table_id).await?;
    // The table may have changed since the configuration was saved.
    steps_for(&def, &cfg.mappings)?;
    let source = resolve(store, user, source, (cfg.source_type, cfg.source_id, cfg.sample_id)).await?;
    let mut tx = store.pool.begin().await?;
    // One at a time past this point, so the count below is not raced.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('migration_jobs_open'))").execute(&mut *tx).await?;
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM migration_jobs WHERE status IN ('PENDING', 'PROCESSING')")
        .fetch_one(&mut *tx)
        .await?;
    if open >= MAX_OPEN_JOBS {
        return Err(DataError::TooManyMigrations { limit: MAX_OPEN_JOBS }.into());
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO migration_jobs (id, migration_configuration_id, configuration, source_description, status, batch_size, total_records, created_by_user_id)
         VALUES ($1, $2, $3, $4, 'PENDING', $5, 0, $6)",
    )
    .bind(id)
    .bind(cfg.id)
    .bind(serde_json::to_value(&cfg).map_err(EngineError::internal)?)
    .bind(source.describe())
    .bind(batch_size)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    let total = stage(&store.pool, &mut tx, id, &source).await?;
    let total = i32::try_from(total).map_err(|_| EngineError::invalid("a job holds at most 2,147,483,647 records"))?;
    sqlx::query("UPDATE migration_jobs SET total_records = $2 WHERE id = $1").bind(id).bind(total).execute(&mut *tx).await?;
    tx.commit().await?;
    metrics::counter!("dgs_imports_started_total").increment(1);
    Ok(StartBatchMigrationResponse { job_id: id, status: JobStatus::Pending, total_records: total, estimated_time: None })
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    migration_configuration_id: Uuid,
    configuration: serde_json::Value,
    source_description: String,
    status: String,
    total_records: i32,
    processed_records: i32,
    inserted_records: i32,
    updated_records: i32,
    unchanged_records: i32,
    error_records: i32,
    error: Option<String>,
    created_at: chrono::DateTime<Utc>,
    started_at: Option<chrono::DateTime<Utc>>,
    completed_at: Option<chrono::DateTime<Utc>>,
    rolled_back_at: Option<chrono::DateTime<Utc>>,
    warnings: i64,
}

const SELECT: &str = "SELECT j.id, j.migration_configuration_id, j.configuration, j.source_description, j.status, j.total_records,
        j.processed_records, j.inserted_records, j.updated_records, j.unchanged_records, j.error_records, j.error, j.created_at,
        j.started_at, j.completed_at, j.rolled_back_at,
        (SELECT count(DISTINCT e.seq) FROM migration_errors e WHERE e.migration_job_id = j.id AND e.severity = 'warning') AS warnings
     FROM migration_jobs j";

/// The configuration a job ran with, if `user` may write its table.
pub async fn job_configuration(store: &Store, user: &CurrentUser, job_id: Uuid) -> Result<Configuration> {
    let cfg: serde_json::Value = sqlx::query_scalar("SELECT configuration FROM migration_jobs WHERE id = $1")
        .bind(job_id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::MigrationJob))?;
    let cfg: Configuration = serde_json::from_value(cfg).map_err(EngineError::internal)?;
    if !may_write(store, user, cfg.target_logical_table_id).await? {
        return Err(EngineError::NotFound(Resource::MigrationJob));
    }
    Ok(cfg)
}

/// `GET /migration/batch/{job_id}`.
pub async fn job_status(store: &Store, user: &CurrentUser, job_id: Uuid) -> Result<MigrationJobStatusResponse> {
    let cfg = job_configuration(store, user, job_id).await?;
    let row = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE j.id = $1")))
        .bind(job_id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::MigrationJob))?;
    status_of(row, cfg)
}

/// The jobs of one configuration (or all the user may see), newest first, at most 200.
pub async fn list_jobs(store: &Store, user: &CurrentUser, configuration_id: Option<Uuid>) -> Result<Vec<MigrationJobStatusResponse>> {
    let rows = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE $1::uuid IS NULL OR j.migration_configuration_id = $1 ORDER BY j.created_at DESC LIMIT 200"
    )))
    .bind(configuration_id)
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let cfg: Configuration = serde_json::from_value(r.configuration.clone()).map_err(EngineError::internal)?;
        if may_write(store, user, cfg.target_logical_table_id).await? {
            out.push(status_of(r, cfg)?);
        }
    }
    Ok(out)
}

fn status_of(r: JobRow, cfg: Configuration) -> Result<MigrationJobStatusResponse> {
    let status = JobStatus::parse(&r.status).ok_or_else(|| EngineError::internal(format!("unknown job status {}", r.status)))?;
    let progress = if r.total_records > 0 {
        f64::from(r.processed_records) / f64::from(r.total_records)
    } else if status.is_finished() {
        1.0
    } else {
        0.0
    };
    let end = r.completed_at.unwrap_or_else(Utc::now);
    let elapsed = r.started_at.map_or(0, |s| (end - s).num_seconds().max(0));
    let left = (status == JobStatus::Processing && r.processed_records > 0)
        .then(|| elapsed * i64::from(r.total_records - r.processed_records) / i64::from(r.processed_records));
    Ok(MigrationJobStatusResponse {
        job_id: r.id,
        configuration_id: r.migration_configuration_id,
        configuration_name: cfg.name,
        target_table_name: cfg.target_table_name,
        source: r.source_description,
        status,
        progress,
        total_records: r.total_records,
        processed_records: r.processed_records,
        success_records: r.inserted_records + r.updated_records + r.unchanged_records,
        error_records: r.error_records,
        inserted_records: r.inserted_records,
        updated_records: r.updated_records,
        unchanged_records: r.unchanged_records,
        warning_records: r.warnings,
        started_at: r.started_at,
        completed_at: r.completed_at,
        estimated_time_left: left,
        elapsed_time: elapsed,
        error: r.error,
        rolled_back_at: r.rolled_back_at,
        created_at: r.created_at,
    })
}
