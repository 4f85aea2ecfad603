//! Runs: classifying a dataset's unique lines with one prompt version. A run is planned once (cache
//! hits stored, the rest split into chunks), then its chunks go out concurrently; each finished chunk
//! is stored with its counters in one transaction, and primary keys refuse a second result for a line
//! or a second completion of a chunk, so a run interrupted anywhere resumes with the chunks left.

mod chunk;
mod execute;
mod list;
mod pacing;
mod plan;
mod progress;
mod results;

use std::time::Duration;

use fred::clients::Client as Redis;
use sqlx::PgPool;
use uuid::Uuid;

pub use execute::execute_run;
pub use list::list_runs;
pub use plan::{plan_run, plan_run_on};
pub use progress::{publish, run_progress};
pub use results::{ResultsFilter, category_counts, results_csv, results_page, results_xlsx};

use super::prompts::{PromptVersion, latest_version, version_by_id};
use super::provider::OpenAiConfig;
use super::{NewRun, ProviderKind, RunProgress, RunSettings};
use crate::auth::{CurrentUser, Permission};
use crate::clean::dataset_summary;
use crate::error::{Conflict, EngineError, Result};

/// What a worker (and the web side, for plans) needs to execute runs.
#[derive(Clone)]
pub struct RunContext {
    pub pool: PgPool,
    pub redis: Redis,
    /// Settings a run starts from; the run's overrides apply on top.
    pub defaults: RunSettings,
    /// The OpenAI-compatible server, when one is configured.
    pub openai: Option<OpenAiConfig>,
    /// Pause before each chunk of the offline provider; rehearses a slow model (demos, crash tests).
    pub offline_chunk_delay: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Finished(super::RunStatus),
    /// Another worker holds the run; nothing was done.
    Busy,
    /// Shutdown asked us to stop; the run stays `running` and must be re-queued.
    Interrupted,
}

pub fn events_channel(run_id: Uuid) -> String {
    format!("dgs:run:{run_id}")
}

/// The settings a run was started with: what an iteration on its sample starts from, so a
/// re-run compares the same classifier with another prompt and nothing else.
pub async fn run_settings(pool: &PgPool, run_id: Uuid) -> Result<RunSettings> {
    let value = sqlx::query_scalar!("SELECT settings FROM runs WHERE id = $1", run_id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(crate::error::Resource::Run))?;
    serde_json::from_value(value).map_err(EngineError::internal)
}

/// The prompt version and settings a request resolves to, checked before anything is stored. The
/// request's overrides apply on top of `base` (the server's defaults, or the run being iterated on).
pub(crate) async fn resolve(ctx: &RunContext, user: &CurrentUser, req: &NewRun, base: &RunSettings) -> Result<(PromptVersion, RunSettings)> {
    let version = match (req.prompt_version_id, req.prompt_id) {
        (Some(v), _) => {
            super::prompts::version_detail(&ctx.pool, user, v).await?;
            version_by_id(&ctx.pool, v).await?
        }
        (None, Some(p)) => {
            super::prompts::prompt_versions(&ctx.pool, user, p).await?;
            latest_version(&ctx.pool, Some(p)).await?
        }
        (None, None) => latest_version(&ctx.pool, None).await?,
    };
    let settings = base.with_overrides(&req.overrides)?;
    if settings.provider == ProviderKind::Openai && ctx.openai.is_none() {
        return Err(EngineError::invalid(
            "the openai provider needs OPENAI_BASE_URL or OPENAI_API_KEY configured on the server; use the offline provider",
        ));
    }
    if version.categories.is_empty() {
        return Err(EngineError::invalid("the prompt has no categories to classify into"));
    }
    Ok((version, settings))
}

pub async fn create_run(ctx: &RunContext, user: &CurrentUser, req: &NewRun) -> Result<Uuid> {
    create_run_on(ctx, user, req, &ctx.defaults, None).await
}

/// A run of the whole dataset, or with `sample` = (sample id, its size) of that sample's lines only
/// (an iteration of review: cheap, and scored on exactly the same items), with `base` settings
/// under the request's overrides.
pub async fn create_run_on(
    ctx: &RunContext,
    user: &CurrentUser,
    req: &NewRun,
    base: &RunSettings,
    sample: Option<(Uuid, i64)>,
) -> Result<Uuid> {
    user.require(Permission::RunCreate)?;
    let dataset = dataset_summary(&ctx.pool, user, req.dataset_id).await?;
    let (version, settings) = resolve(ctx, user, req, base).await?;
    let model = settings.model_key();
    let (examples_version, examples_count) = crate::classify::examples::current_set(&ctx.pool, version.prompt_id).await?;
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO runs (id, dataset_id, prompt_version_id, provider, model, settings, chunk_size, status, total, created_by, sample_id,
                           examples_version, examples_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $10, $11, $12)",
        id,
        dataset.id,
        version.id,
        settings.provider.as_str(),
        model,
        serde_json::to_value(&settings).map_err(EngineError::internal)?,
        settings.chunk_size,
        sample.map_or(dataset.unique_lines, |s| s.1) as i32,
        user.id,
        sample.map(|s| s.0),
        examples_version,
        examples_count
    )
    .execute(&ctx.pool)
    .await?;
    Ok(id)
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
    publish(ctx, id, 0).await
}

/// Puts a cancelled or failed run back in the queue's hands: chunks still pending go out again and,
/// with `retry_failed`, so do the chunks that exhausted their retries. Stored results are kept.
pub async fn reopen_run(ctx: &RunContext, user: &CurrentUser, id: Uuid, retry_failed: bool) -> Result<RunProgress> {
    user.require(Permission::RunCreate)?;
    let run = run_progress(&ctx.pool, user, id).await?;
    if !run.status.is_terminal() {
        return Err(EngineError::Conflict(Conflict::RunActive));
    }
    if run.done == run.total {
        return Err(EngineError::Conflict(Conflict::RunComplete));
    }
    let mut tx = ctx.pool.begin().await?;
    if retry_failed {
        sqlx::query!("UPDATE run_chunks SET status = 'pending', error = NULL WHERE run_id = $1 AND status = 'failed'", id)
            .execute(&mut *tx)
            .await?;
    }
    let pending = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM run_chunks WHERE run_id = $1 AND status = 'pending'"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    let unplanned = sqlx::query_scalar!(r#"SELECT prepared_at IS NULL AS "u!" FROM runs WHERE id = $1"#, id)
        .fetch_one(&mut *tx)
        .await?;
    if pending == 0 && !unplanned {
        return Err(EngineError::Conflict(Conflict::RunNothingPending));
    }
    sqlx::query!(
        "UPDATE runs SET status = 'queued', error = NULL, finished_at = NULL, heartbeat_at = NULL WHERE id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    publish(ctx, id, 0).await
}
