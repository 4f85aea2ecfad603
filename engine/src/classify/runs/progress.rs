//! A run's progress, read from what is stored (so it always reconciles with the results) plus the
//! calls in flight that only the worker knows, and its publication on the run's Redis channel.

use fred::interfaces::PubsubInterface;
use sqlx::PgPool;
use uuid::Uuid;

use super::{RunContext, events_channel};
use crate::auth::{CurrentUser, Permission};
use crate::classify::{ChunkFailure, ProviderKind, RunProgress, RunSettings, RunStatus};
use crate::error::{EngineError, Resource, Result};

/// A run's progress, for a user allowed to see its dataset.
pub async fn run_progress(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<RunProgress> {
    user.require(Permission::DatasetRead)?;
    let (progress, owner) = load_progress(pool, id).await?;
    if !crate::clean::shares::can_read(pool, user, progress.dataset_id, owner).await? {
        return Err(EngineError::NotFound(Resource::Run));
    }
    Ok(progress)
}

pub(super) async fn load_progress(pool: &PgPool, id: Uuid) -> Result<(RunProgress, Uuid)> {
    let r = sqlx::query!(
        r#"SELECT r.id, r.dataset_id, r.status, r.provider, r.model, r.settings, r.chunk_size, r.total, r.error,
                  r.created_at, r.started_at, r.finished_at, r.prompt_version_id, r.examples_version, r.examples_count,
                  p.name AS prompt_name, v.version, d.owner_id,
                  res.done AS "done!", res.cached AS "cached!",
                  ch.failed AS "failed!", ch.repaired AS "repaired!", ch.missing AS "missing!",
                  ch.discarded AS "discarded!", ch.retries AS "retries!", ch.tokens_in AS "tokens_in!",
                  ch.tokens_out AS "tokens_out!", ch.chunks AS "chunks!", ch.chunks_done AS "chunks_done!",
                  ch.reasked AS "reasked!", ch.reask_answered AS "reask_answered!", ch.split_calls AS "split_calls!",
                  ch.split_answered AS "split_answered!", ch.isolated AS "isolated!", ch.retry_pass_rescued AS "retry_pass_rescued!"
           FROM runs r JOIN datasets d ON d.id = r.dataset_id
           JOIN prompt_versions v ON v.id = r.prompt_version_id JOIN prompts p ON p.id = v.prompt_id
           CROSS JOIN LATERAL (
               SELECT count(*) AS done, count(*) FILTER (WHERE source = 'cache') AS cached
               FROM run_results WHERE run_id = r.id) res
           CROSS JOIN LATERAL (
               SELECT coalesce(sum(cardinality(line_idx)) FILTER (WHERE status = 'failed'), 0)::bigint AS failed,
                      coalesce(sum(repaired), 0)::bigint AS repaired, coalesce(sum(missing), 0)::bigint AS missing,
                      coalesce(sum(discarded), 0)::bigint AS discarded, coalesce(sum(retries), 0)::bigint AS retries,
                      coalesce(sum(tokens_in), 0)::bigint AS tokens_in, coalesce(sum(tokens_out), 0)::bigint AS tokens_out,
                      count(*) AS chunks, count(*) FILTER (WHERE status = 'done') AS chunks_done,
                      coalesce(sum(reasked), 0)::bigint AS reasked, coalesce(sum(reask_answered), 0)::bigint AS reask_answered,
                      coalesce(sum(split_calls), 0)::bigint AS split_calls, coalesce(sum(split_answered), 0)::bigint AS split_answered,
                      coalesce(sum(isolated), 0)::bigint AS isolated,
                      coalesce(sum(cardinality(line_idx)) FILTER (WHERE retry_pass AND status = 'done'), 0)::bigint AS retry_pass_rescued
               FROM run_chunks WHERE run_id = r.id) ch
           WHERE r.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound(Resource::Run))?;
    let status = RunStatus::parse(&r.status).ok_or_else(|| EngineError::internal("unknown run status"))?;
    let provider = ProviderKind::parse(&r.provider).unwrap_or_default();
    // Runs created before settings were stored ran offline with their chunk size.
    let settings = serde_json::from_value::<RunSettings>(r.settings)
        .unwrap_or_else(|_| RunSettings { provider, chunk_size: r.chunk_size, ..RunSettings::default() });
    let failures = sqlx::query_as!(
        ChunkFailure,
        r#"SELECT chunk_no, cardinality(line_idx) AS "lines!", attempts, coalesce(error, '') AS "error!"
           FROM run_chunks WHERE run_id = $1 AND status = 'failed' ORDER BY chunk_no LIMIT 20"#,
        id
    )
    .fetch_all(pool)
    .await?;

    let total = r.total as i64;
    let end = r.finished_at.unwrap_or_else(chrono::Utc::now);
    let elapsed = r.started_at.map(|s| (end - s).num_milliseconds() as f64 / 1000.0).unwrap_or(0.0);
    let worked = (r.done - r.cached).max(0) as f64;
    let lines_per_second = (elapsed > 0.5 && worked > 0.0).then(|| worked / elapsed);
    let left = (total - r.done - r.failed).max(0) as f64;
    let eta_secs = match (status, lines_per_second) {
        (RunStatus::Running, Some(rate)) => Some(left / rate),
        _ => None,
    };
    let cost = settings.cost(r.tokens_in, r.tokens_out);
    Ok((
        RunProgress {
            id: r.id,
            dataset_id: r.dataset_id,
            status,
            provider,
            model: r.model,
            settings,
            total,
            done: r.done,
            failed: r.failed,
            cached: r.cached,
            repaired: r.repaired,
            missing: r.missing,
            discarded: r.discarded,
            retries: r.retries,
            tokens_in: r.tokens_in,
            tokens_out: r.tokens_out,
            cost,
            chunks_total: r.chunks,
            chunks_done: r.chunks_done,
            in_flight: 0,
            lines_per_second,
            eta_secs,
            failures,
            reasked: r.reasked,
            reask_answered: r.reask_answered,
            split_calls: r.split_calls,
            split_answered: r.split_answered,
            isolated: r.isolated,
            retry_pass_rescued: r.retry_pass_rescued,
            examples_version: r.examples_version,
            examples_count: r.examples_count,
            error: r.error,
            prompt_name: r.prompt_name,
            prompt_version: r.version,
            prompt_version_id: r.prompt_version_id,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        },
        r.owner_id,
    ))
}

/// Publishes the run's current progress to its events channel; a Redis failure is logged, not fatal:
/// the run page also reads progress from the database.
pub async fn publish(ctx: &RunContext, id: Uuid, in_flight: i64) -> Result<RunProgress> {
    let (mut progress, _) = load_progress(&ctx.pool, id).await?;
    progress.in_flight = in_flight;
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
