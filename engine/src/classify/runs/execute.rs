//! Executing a run: plan it once (cache hits stored, the other lines split into chunks), then send
//! the pending chunks with at most `concurrency` calls in flight, retrying what can be retried, and
//! store each chunk the moment it is answered. Cancellation, shutdown and a refused call stop new
//! calls at once; whatever is stored stays, and a later execution does only what is left.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::chunk::{Answered, ChunkJob, ChunkWork, call_chunk, load_chunk, store_chunk};
use super::pacing::Pacer;
use super::{RunContext, RunOutcome, publish};
use crate::classify::compile_prompt;
use crate::classify::prompts::version_by_id;
use crate::classify::provider::{OfflineProvider, OpenAiProvider, Provider};
use crate::classify::examples::Retriever;
use crate::classify::learned::LearnedClassifier;
use crate::classify::{ProviderKind, RunSettings, RunStatus};
use crate::error::{EngineError, Resource, Result};

/// Executes (or resumes) a run. Holds a PostgreSQL advisory lock on a dedicated connection, so two
/// workers never execute the same run at once, and a dead worker's lock goes with its connection.
#[tracing::instrument(skip(ctx, shutdown), fields(run_id = %run_id))]
pub async fn execute_run(ctx: &RunContext, run_id: Uuid, shutdown: &CancellationToken) -> Result<RunOutcome> {
    let mut lock_conn = ctx.pool.acquire().await?.detach();
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
        "SELECT dataset_id, prompt_version_id, status, settings, model, sample_id, created_by, examples_version,
                prepared_at IS NOT NULL AS prepared
         FROM runs WHERE id = $1",
        run_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound(Resource::Run))?;
    let status = RunStatus::parse(&run.status).ok_or_else(|| EngineError::internal("unknown run status"))?;
    if status.is_terminal() {
        return Ok(RunOutcome::Finished(status));
    }
    let settings: RunSettings = serde_json::from_value(run.settings).unwrap_or_default();
    sqlx::query!(
        "UPDATE runs SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now()
         WHERE id = $1 AND status IN ('queued', 'running')",
        run_id
    )
    .execute(pool)
    .await?;

    let version = version_by_id(pool, run.prompt_version_id).await?;
    let use_cache = settings.caches();
    if !run.prepared.unwrap_or(false) {
        let scope = Scope { dataset_id: run.dataset_id, sample_id: run.sample_id, owner: run.created_by };
        prepare(ctx, run_id, scope, &settings, version.id, &run.model, use_cache).await?;
    }
    publish(ctx, run_id, 0).await?;

    // The prompt's example set as it was when the run was created.
    let examples = crate::classify::examples::run_examples(pool, version.prompt_id, run.examples_version, run.sample_id).await?;
    let mut retriever = None;
    let provider: Box<dyn Provider> = match settings.provider {
        ProviderKind::Offline => {
            let mut taught: Vec<(String, String)> = examples.into_iter().map(|e| (e.text, e.category)).collect();
            taught.extend(crate::review::iterations::validated_examples(pool, run.created_by, version.prompt_id, run.sample_id).await?);
            let classifier = LearnedClassifier::new(&version.categories, &taught);
            Box::new(OfflineProvider::new(classifier, ctx.offline_chunk_delay))
        }
        ProviderKind::Openai => {
            let built = ctx
                .openai
                .as_ref()
                .ok_or_else(|| "no OpenAI-compatible server is configured (OPENAI_BASE_URL)".to_string())
                .and_then(|cfg| OpenAiProvider::new(cfg, Duration::from_secs_f64(settings.timeout_secs)));
            if settings.few_shot > 0 && !examples.is_empty() {
                retriever = Some(Retriever::new(examples));
            }
            match built {
                Ok(p) => Box::new(p),
                Err(message) => return finish(ctx, run_id, RunStatus::Failed, Some(message)).await,
            }
        }
    };

    let chunks = sqlx::query!(
        "SELECT chunk_no, line_idx FROM run_chunks WHERE run_id = $1 AND status = 'pending' ORDER BY chunk_no",
        run_id
    )
    .fetch_all(pool)
    .await?;

    let stop = CancellationToken::new();
    let work = Arc::new(ChunkWork {
        ctx: ctx.clone(),
        run_id,
        dataset_id: run.dataset_id,
        prompt_version_id: version.id,
        owner: run.created_by,
        model: run.model.clone(),
        system: compile_prompt(&version.template, &version.categories),
        categories: version.categories.clone(),
        provider,
        retriever,
        pacer: Pacer::new(settings.requests_per_minute, settings.tokens_per_minute),
        settings: settings.clone(),
        use_cache,
        stop: stop.clone(),
        in_flight: AtomicI64::new(0),
        refused: std::sync::Mutex::new(None),
        changed: Notify::new(),
    });
    let cancelled = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(work.clone(), shutdown.clone(), cancelled.clone()));
    let publisher = tokio::spawn(publish_changes(work.clone()));

    let started = Instant::now();
    let jobs = chunks.into_iter().map(|c| ChunkJob { chunk_no: c.chunk_no, line_idx: c.line_idx }).collect();
    let concurrency = settings.concurrency.max(1) as usize;
    let mut outcome = send_and_store(work.clone(), jobs, concurrency).await;
    if outcome.is_ok() && !work.stop.is_cancelled() {
        // One automatic pass over the chunks that exhausted their retries: an outage that ended
        // while the rest of the run went on should not fail the run.
        let again = sqlx::query!(
            "UPDATE run_chunks SET status = 'pending', error = NULL, retry_pass = TRUE
             WHERE run_id = $1 AND status = 'failed' AND NOT retry_pass RETURNING chunk_no, line_idx",
            run_id
        )
        .fetch_all(pool)
        .await?;
        if !again.is_empty() {
            tracing::info!(chunks = again.len(), "retry pass over the failed chunks");
            let jobs = again.into_iter().map(|c| ChunkJob { chunk_no: c.chunk_no, line_idx: c.line_idx }).collect();
            outcome = send_and_store(work.clone(), jobs, concurrency).await;
        }
    }
    watcher.abort();
    publisher.abort();
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "chunks sent");
    // A database failure: stop here; the job is retried and resumes from the checkpoints.
    outcome?;

    if cancelled.load(Ordering::Relaxed) {
        return Ok(RunOutcome::Finished(RunStatus::Cancelled));
    }
    if shutdown.is_cancelled() {
        return Ok(RunOutcome::Interrupted);
    }
    let refused = work.refused.lock().map(|r| r.clone()).unwrap_or(None);
    if let Some(reason) = refused {
        return finish(ctx, run_id, RunStatus::Failed, Some(format!("the model server refused the request: {reason}"))).await;
    }
    let left = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'failed') AS "failed!",
                  coalesce(sum(cardinality(line_idx)) FILTER (WHERE status <> 'done'), 0)::bigint AS "lines!"
           FROM run_chunks WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(pool)
    .await?;
    if left.lines == 0 {
        finish(ctx, run_id, RunStatus::Succeeded, None).await
    } else {
        let msg = format!(
            "{} lines in {} chunks have no result after their retries and a retry pass; retry the failed chunks",
            left.lines, left.failed
        );
        finish(ctx, run_id, RunStatus::Failed, Some(msg)).await
    }
}

/// Three stages on one task: lines are read a few chunks ahead, at most `concurrency` calls are in
/// flight, and answers are stored by a separate stage, so a call slot frees the moment its answer
/// arrives and the next call starts without waiting for the database.
async fn send_and_store(work: Arc<ChunkWork>, jobs: Vec<ChunkJob>, concurrency: usize) -> Result<()> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Answered>(concurrency * 2);
    let calls = {
        let work = work.clone();
        async move {
            let mut answers = futures::stream::iter(jobs)
                .take_while(|_| std::future::ready(!work.stop.is_cancelled()))
                .map(|job| load_chunk(work.clone(), job))
                .buffered(4)
                .map(|loaded| {
                    let work = work.clone();
                    async move { call_chunk(work, loaded?).await }
                })
                .buffer_unordered(concurrency);
            while let Some(answer) = answers.next().await {
                match answer {
                    Ok(Some(a)) => {
                        if tx.send(a).await.is_err() {
                            break; // the store stage failed and said why
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        work.stop.cancel();
                        return Err(e);
                    }
                }
            }
            Ok(())
        }
    };
    let stores = {
        let work = work.clone();
        async move {
            let answered = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|a| (a, rx)) });
            let stored = answered.map(|a| store_chunk(&work, a)).buffer_unordered(4);
            let mut stored = std::pin::pin!(stored);
            while let Some(result) = stored.next().await {
                if let Err(e) = result {
                    work.stop.cancel();
                    return Err(e);
                }
            }
            Ok(())
        }
    };
    let (called, stored) = tokio::join!(calls, stores);
    stored.and(called)
}

async fn finish(ctx: &RunContext, run_id: Uuid, status: RunStatus, error: Option<String>) -> Result<RunOutcome> {
    sqlx::query!(
        "UPDATE runs SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status = 'running'",
        run_id,
        status.as_str(),
        error
    )
    .execute(&ctx.pool)
    .await?;
    publish(ctx, run_id, 0).await?;
    Ok(RunOutcome::Finished(status))
}

/// The lines a run classifies: a dataset's, or only those of one of its samples.
struct Scope {
    dataset_id: Uuid,
    sample_id: Option<Uuid>,
    /// Who started the run: only their own cached answers are used.
    owner: Uuid,
}

/// Stores cache hits and splits the remaining lines into chunks, in one transaction: the plan is
/// fixed once, so every later execution sends exactly the chunks still pending.
async fn prepare(
    ctx: &RunContext,
    run_id: Uuid,
    scope: Scope,
    settings: &RunSettings,
    version_id: Uuid,
    model: &str,
    use_cache: bool,
) -> Result<()> {
    let mut tx = ctx.pool.begin().await?;
    if use_cache {
        let hits = sqlx::query!(
            "INSERT INTO run_results (run_id, line_idx, chunk_no, category, score, reason, source)
             SELECT $1, ul.idx, -1, c.category, c.score, c.reason, 'cache'
             FROM unique_lines ul
             JOIN llm_cache c ON c.owner_id = $6 AND c.prompt_version_id = $3 AND c.model = $4
                             AND c.line_key = md5(ul.clean_text)::uuid
             WHERE ul.dataset_id = $2
               AND ($5::uuid IS NULL OR ul.idx IN (SELECT line_idx FROM sample_items WHERE sample_id = $5))
               AND NOT EXISTS (SELECT 1 FROM run_results r WHERE r.run_id = $1 AND r.line_idx = ul.idx)",
            run_id,
            scope.dataset_id,
            version_id,
            model,
            scope.sample_id,
            scope.owner
        )
        .execute(&mut *tx)
        .await?;
        metrics::counter!("dgs_llm_cache_hits_total").increment(hits.rows_affected());
    }
    sqlx::query!(
        "INSERT INTO run_chunks (run_id, chunk_no, status, line_idx)
         SELECT $1, base.n + (t.rn - 1) / $3, 'pending', array_agg(t.idx ORDER BY t.idx)
         FROM (SELECT ul.idx, row_number() OVER (ORDER BY ul.idx) AS rn
               FROM unique_lines ul
               WHERE ul.dataset_id = $2
                 AND ($4::uuid IS NULL OR ul.idx IN (SELECT line_idx FROM sample_items WHERE sample_id = $4))
                 AND NOT EXISTS (SELECT 1 FROM run_results r WHERE r.run_id = $1 AND r.line_idx = ul.idx)) t
         CROSS JOIN (SELECT coalesce(max(chunk_no) + 1, 0) AS n FROM run_chunks WHERE run_id = $1) base
         GROUP BY base.n + (t.rn - 1) / $3",
        run_id,
        scope.dataset_id,
        settings.chunk_size as i64,
        scope.sample_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("UPDATE runs SET prepared_at = now() WHERE id = $1", run_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Stops the run's calls when it is cancelled or the process shuts down, and keeps its heartbeat.
async fn watch(work: Arc<ChunkWork>, shutdown: CancellationToken, cancelled: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    let mut beats = 0u32;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => { work.stop.cancel(); return; }
            _ = work.stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let status = sqlx::query_scalar!("SELECT status FROM runs WHERE id = $1", work.run_id).fetch_optional(&work.ctx.pool).await;
        if let Ok(Some(s)) = status {
            if s == RunStatus::Cancelled.as_str() {
                cancelled.store(true, Ordering::Relaxed);
                work.stop.cancel();
                work.changed.notify_one();
                return;
            }
        }
        beats += 1;
        if beats % 10 == 0 {
            let _ = sqlx::query!("UPDATE runs SET heartbeat_at = now() WHERE id = $1", work.run_id).execute(&work.ctx.pool).await;
        }
    }
}

/// Publishes progress after changes, at most every 200 ms, so a fast run does not flood Redis.
async fn publish_changes(work: Arc<ChunkWork>) {
    loop {
        work.changed.notified().await;
        let in_flight = work.in_flight.load(Ordering::Relaxed);
        if let Err(e) = publish(&work.ctx, work.run_id, in_flight).await {
            tracing::warn!(error = %e, "could not read progress to publish");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
