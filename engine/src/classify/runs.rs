//! Runs: classifying a dataset's unique lines with one prompt version. Each chunk's results and its
//! checkpoint row are written in one transaction, and the primary keys refuse a second result for a
//! line, so a run interrupted anywhere resumes with the chunks left: never a line lost or twice.

use std::collections::HashSet;
use std::time::Duration;

use fred::clients::Client as Redis;
use fred::interfaces::PubsubInterface;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::offline::OfflineClassifier;
use super::prompts::{latest_version, version_by_id};
use super::{CategoryCount, ResultRow, ResultsPage, RunProgress, RunStatus};
use crate::auth::{CurrentUser, Permission};
use crate::clean::dataset_summary;
use crate::error::{EngineError, Result};

/// What a worker needs to execute runs.
#[derive(Clone)]
pub struct RunContext {
    pub pool: PgPool,
    pub redis: Redis,
    /// Pause before each chunk of the offline provider; rehearses a slow model (demos, crash tests).
    pub offline_chunk_delay: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Finished(RunStatus),
    /// Another worker holds the run; nothing was done.
    Busy,
    /// Shutdown asked us to stop between chunks; the run stays `running` and must be re-queued.
    Interrupted,
}

pub fn events_channel(run_id: Uuid) -> String {
    format!("dgs:run:{run_id}")
}

pub async fn create_run(
    pool: &PgPool,
    user: &CurrentUser,
    dataset_id: Uuid,
    prompt_id: Option<Uuid>,
    chunk_size: i32,
) -> Result<Uuid> {
    user.require(Permission::RunCreate)?;
    let dataset = dataset_summary(pool, user, dataset_id).await?;
    let version = latest_version(pool, prompt_id).await?;
    if !(1..=10_000).contains(&chunk_size) {
        return Err(EngineError::invalid("chunk size must be between 1 and 10000"));
    }
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO runs (id, dataset_id, prompt_version_id, provider, chunk_size, status, total, created_by)
         VALUES ($1, $2, $3, 'offline', $4, 'queued', $5, $6)",
        id,
        dataset.id,
        version.id,
        chunk_size,
        dataset.unique_lines as i32,
        user.id
    )
    .execute(pool)
    .await?;
    Ok(id)
}

/// A run's progress, for a user allowed to see its dataset.
pub async fn run_progress(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<RunProgress> {
    user.require(Permission::DatasetRead)?;
    let (progress, owner) = load_progress(pool, id).await?;
    if !user.may_see(owner) {
        return Err(EngineError::NotFound { what: "run" });
    }
    Ok(progress)
}

async fn load_progress(pool: &PgPool, id: Uuid) -> Result<(RunProgress, Uuid)> {
    let r = sqlx::query!(
        r#"SELECT r.id, r.dataset_id, r.status, r.total, r.error, r.created_at, r.started_at, r.finished_at,
                  p.name AS prompt_name, v.version, d.owner_id,
                  (SELECT count(*) FROM run_results rr WHERE rr.run_id = r.id) AS "done!",
                  (SELECT coalesce(sum(least(r.chunk_size, r.total - c.chunk_no * r.chunk_size)), 0)
                     FROM run_chunks c WHERE c.run_id = r.id AND c.status = 'failed') AS "failed!"
           FROM runs r JOIN datasets d ON d.id = r.dataset_id
           JOIN prompt_versions v ON v.id = r.prompt_version_id JOIN prompts p ON p.id = v.prompt_id
           WHERE r.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound { what: "run" })?;
    let status = RunStatus::parse(&r.status).ok_or_else(|| EngineError::internal("unknown run status"))?;
    Ok((
        RunProgress {
            id: r.id,
            dataset_id: r.dataset_id,
            status,
            total: r.total as i64,
            done: r.done,
            failed: r.failed,
            error: r.error,
            prompt_name: r.prompt_name,
            prompt_version: r.version,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        },
        r.owner_id,
    ))
}

pub async fn cancel_run(ctx: &RunContext, user: &CurrentUser, id: Uuid) -> Result<RunProgress> {
    user.require(Permission::RunCreate)?;
    run_progress(&ctx.pool, user, id).await?;
    sqlx::query!(
        "UPDATE runs SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')",
        id
    )
    .execute(&ctx.pool)
    .await?;
    publish(ctx, id).await
}

/// Classified rows in original order (one per original row), for the results table.
pub async fn results_page(pool: &PgPool, user: &CurrentUser, id: Uuid, offset: i64, limit: i64) -> Result<ResultsPage> {
    let run = run_progress(pool, user, id).await?;
    let rows = sqlx::query_as!(
        ResultRow,
        r#"SELECT m.first_row + o.n - 1 AS "row_no!", ul.text AS line, rr.category, rr.score, rr.reason
           FROM dataset_maps m
           CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
           JOIN unique_lines ul ON ul.dataset_id = m.dataset_id AND ul.idx = o.line_idx
           JOIN run_results rr ON rr.run_id = $1 AND rr.line_idx = o.line_idx
           WHERE m.dataset_id = $2
             AND m.first_row <= $3::bigint + $4::bigint AND m.first_row + cardinality(m.line_idx) > $3::bigint
             AND m.first_row + o.n - 1 BETWEEN $3::bigint + 1 AND $3::bigint + $4::bigint
           ORDER BY 1"#,
        id,
        run.dataset_id,
        offset.max(0),
        limit.clamp(1, 1000)
    )
    .fetch_all(pool)
    .await?;
    let total_rows = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(ul.row_count), 0) AS "n!" FROM run_results rr
           JOIN unique_lines ul ON ul.dataset_id = $2 AND ul.idx = rr.line_idx WHERE rr.run_id = $1"#,
        id,
        run.dataset_id
    )
    .fetch_one(pool)
    .await?;
    Ok(ResultsPage { total_rows, rows })
}

/// Original rows per category, largest first.
pub async fn category_counts(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Vec<CategoryCount>> {
    let run = run_progress(pool, user, id).await?;
    let rows = sqlx::query!(
        r#"SELECT rr.category, sum(ul.row_count)::bigint AS "lines!" FROM run_results rr
           JOIN unique_lines ul ON ul.dataset_id = $2 AND ul.idx = rr.line_idx
           WHERE rr.run_id = $1 GROUP BY rr.category ORDER BY 2 DESC, 1"#,
        id,
        run.dataset_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| CategoryCount { category: r.category, lines: r.lines }).collect())
}

/// Every original row with its original columns plus category, score and reason, as CSV.
pub async fn results_csv(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Vec<u8>> {
    use futures::TryStreamExt;
    let run = run_progress(pool, user, id).await?;
    let columns = crate::clean::original_columns(pool, user, run.dataset_id).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> =
        columns.iter().map(String::as_str).chain(["category", "score", "reason"]).collect();
    out.write_record(&header).map_err(EngineError::internal)?;
    let mut rows = sqlx::query!(
        r#"SELECT ur.data, rr.category, rr.score, rr.reason
           FROM dataset_maps m
           CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
           JOIN upload_rows ur ON ur.table_id = m.table_id AND ur.row_no = m.source_first + o.n - 1
           JOIN run_results rr ON rr.run_id = $1 AND rr.line_idx = o.line_idx
           WHERE m.dataset_id = $2 ORDER BY m.position, o.n"#,
        id,
        run.dataset_id
    )
    .fetch(pool);
    while let Some(r) = rows.try_next().await? {
        let text = |c: &str| r.data.get(c).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let mut record: Vec<String> = columns.iter().map(|c| text(c)).collect();
        record.extend([r.category, format!("{:.3}", r.score), r.reason]);
        out.write_record(&record).map_err(EngineError::internal)?;
    }
    out.into_inner().map_err(EngineError::internal)
}

/// Publishes the run's current progress to its events channel; a Redis failure is logged, not fatal:
/// the run page also reads progress from the database.
pub async fn publish(ctx: &RunContext, id: Uuid) -> Result<RunProgress> {
    let (progress, _) = load_progress(&ctx.pool, id).await?;
    match serde_json::to_string(&progress) {
        Ok(json) => {
            if let Err(e) = ctx.redis.publish::<i64, _, _>(events_channel(id), json).await {
                tracing::warn!(run_id = %id, error = %e, "could not publish run progress");
            }
        }
        Err(e) => tracing::warn!(run_id = %id, error = %e, "could not encode run progress"),
    }
    Ok(progress)
}

/// Executes (or resumes) a run. Holds a PostgreSQL advisory lock on a dedicated connection, so two
/// workers never execute the same run at once, and a dead worker's lock goes with its connection.
#[tracing::instrument(skip(ctx, shutdown), fields(run_id = %run_id))]
pub async fn execute_run(ctx: &RunContext, run_id: Uuid, shutdown: &CancellationToken) -> Result<RunOutcome> {
    let pool = &ctx.pool;
    let mut lock_conn = pool.acquire().await?.detach();
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock(hashtextextended($1::text, 0)) AS "locked!""#,
        run_id.to_string()
    )
    .fetch_one(&mut lock_conn)
    .await?;
    if !locked {
        return Ok(RunOutcome::Busy);
    }
    let outcome = execute_locked(ctx, run_id, shutdown).await;
    let _ = sqlx::Connection::close(lock_conn).await;
    outcome
}

async fn execute_locked(ctx: &RunContext, run_id: Uuid, shutdown: &CancellationToken) -> Result<RunOutcome> {
    let pool = &ctx.pool;
    let run = sqlx::query!(
        "SELECT dataset_id, prompt_version_id, chunk_size, total, status FROM runs WHERE id = $1",
        run_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound { what: "run" })?;
    let status = RunStatus::parse(&run.status).ok_or_else(|| EngineError::internal("unknown run status"))?;
    if status.is_terminal() {
        return Ok(RunOutcome::Finished(status));
    }
    sqlx::query!(
        "UPDATE runs SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now()
         WHERE id = $1 AND status IN ('queued', 'running')",
        run_id
    )
    .execute(pool)
    .await?;
    publish(ctx, run_id).await?;

    let version = version_by_id(pool, run.prompt_version_id).await?;
    let classifier = OfflineClassifier::new(&version.categories);
    let chunk_size = run.chunk_size;
    let chunks = (run.total + chunk_size - 1) / chunk_size;
    let stored: HashSet<i32> =
        sqlx::query_scalar!("SELECT chunk_no FROM run_chunks WHERE run_id = $1 AND status = 'done'", run_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();

    for chunk_no in (0..chunks).filter(|c| !stored.contains(c)) {
        if shutdown.is_cancelled() {
            return Ok(RunOutcome::Interrupted);
        }
        let current = sqlx::query_scalar!("SELECT status FROM runs WHERE id = $1", run_id).fetch_one(pool).await?;
        if current == RunStatus::Cancelled.as_str() {
            return Ok(RunOutcome::Finished(RunStatus::Cancelled));
        }
        if !ctx.offline_chunk_delay.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(ctx.offline_chunk_delay) => {}
                _ = shutdown.cancelled() => return Ok(RunOutcome::Interrupted),
            }
        }
        let lo = chunk_no * chunk_size;
        let lines = sqlx::query!(
            "SELECT idx, text FROM unique_lines WHERE dataset_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
            run.dataset_id,
            lo,
            lo + chunk_size
        )
        .fetch_all(pool)
        .await?;
        let mut idxs = Vec::with_capacity(lines.len());
        let (mut cats, mut scores, mut reasons) = (Vec::new(), Vec::new(), Vec::new());
        for l in &lines {
            let c = classifier.classify(&l.text);
            idxs.push(l.idx);
            cats.push(c.category);
            scores.push(c.score);
            reasons.push(c.reason);
        }
        store_chunk(pool, run_id, chunk_no, &idxs, &cats, &scores, &reasons).await?;
        publish(ctx, run_id).await?;
    }

    let (progress, _) = load_progress(pool, run_id).await?;
    let (final_status, error) = if progress.done == progress.total {
        (RunStatus::Succeeded, None)
    } else {
        (RunStatus::Failed, Some(format!("{} of {} lines have no result", progress.total - progress.done, progress.total)))
    };
    sqlx::query!(
        "UPDATE runs SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status = 'running'",
        run_id,
        final_status.as_str(),
        error
    )
    .execute(pool)
    .await?;
    publish(ctx, run_id).await?;
    Ok(RunOutcome::Finished(final_status))
}

/// The checkpoint: results and the chunk's row commit together or not at all.
async fn store_chunk(
    pool: &PgPool,
    run_id: Uuid,
    chunk_no: i32,
    idxs: &[i32],
    cats: &[String],
    scores: &[f64],
    reasons: &[String],
) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO run_results (run_id, line_idx, chunk_no, category, score, reason)
         SELECT $1, idx, $2, cat, score, reason FROM UNNEST($3::int[], $4::text[], $5::float8[], $6::text[])
             AS t(idx, cat, score, reason)",
        run_id,
        chunk_no,
        idxs,
        cats,
        scores,
        reasons
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("INSERT INTO run_chunks (run_id, chunk_no, status) VALUES ($1, $2, 'done')", run_id, chunk_no)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("UPDATE runs SET heartbeat_at = now() WHERE id = $1", run_id).execute(&mut *tx).await?;
    tx.commit().await?;
    metrics::counter!("dgs_lines_classified_total", "provider" => "offline").increment(idxs.len() as u64);
    Ok(())
}
