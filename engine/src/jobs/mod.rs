//! Background jobs: the apalis queue (Redis) that carries runs to workers, the worker loop, and the
//! recovery that hands runs back to the queue. The work itself is `classify::runs::execute_run`;
//! delivery is at-least-once and execution is idempotent (checkpoints plus an advisory lock).

use std::time::Duration;

use apalis::prelude::{AbortError, Attempt, BackendExt, BoxDynError, Data, Monitor, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_redis::{Config as QueueConfig, RedisStorage};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::classify::NewRun;
use crate::classify::runs::{RunContext, RunOutcome, execute_run};
use crate::error::{EngineError, Result};

/// A worker that misses 3 heartbeats of 5 s is presumed dead and its jobs are re-queued by others.
const HEARTBEAT: Duration = Duration::from_secs(5);
const MAX_ATTEMPTS: usize = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunJob {
    pub run_id: Uuid,
}

#[derive(Clone)]
pub struct JobQueue {
    storage: RedisStorage<RunJob>,
}

impl JobQueue {
    /// `queue` names the Redis queue; deployments (or test servers) that share a Redis but not a
    /// database must use different names, or their workers take each other's runs.
    pub async fn connect(redis_url: &str, queue: &str) -> Result<Self> {
        let conn = apalis_redis::connect(redis_url)
            .await
            .map_err(|e| EngineError::internal(format!("cannot connect the job queue to Redis: {e}")))?;
        let config = QueueConfig::default().queue(queue).heartbeat_interval(HEARTBEAT).missed_heartbeats(3).batch_size(2);
        Ok(Self { storage: RedisStorage::new(conn).with_config(config) })
    }

    pub async fn enqueue_run(&self, run_id: Uuid) -> Result<()> {
        let mut storage = self.storage.clone();
        storage
            .push(RunJob { run_id })
            .await
            .map_err(|e| EngineError::internal(format!("cannot queue run {run_id}: {e}")))?;
        metrics::counter!("dgs_jobs_enqueued_total").increment(1);
        Ok(())
    }
}

/// Puts every unfinished run back on the queue. Duplicates are harmless (a run executes under a lock
/// and skips stored chunks), so this runs at every worker start and then periodically for runs whose
/// heartbeat went quiet, whatever happened to their queue entry.
pub async fn recover_runs(pool: &PgPool, queue: &JobQueue, quiet_for: Duration) -> Result<usize> {
    let secs = quiet_for.as_secs_f64();
    let ids = sqlx::query_scalar!(
        "SELECT id FROM runs WHERE status IN ('queued', 'running')
           AND coalesce(heartbeat_at, created_at) < now() - make_interval(secs => $1)",
        secs
    )
    .fetch_all(pool)
    .await?;
    for id in &ids {
        queue.enqueue_run(*id).await?;
    }
    if !ids.is_empty() {
        tracing::info!(runs = ids.len(), "re-queued unfinished runs");
    }
    Ok(ids.len())
}

#[derive(Clone)]
struct WorkerState {
    ctx: RunContext,
    queue: JobQueue,
    shutdown: CancellationToken,
}

async fn run_job(job: RunJob, state: Data<WorkerState>, attempt: Attempt) -> std::result::Result<(), BoxDynError> {
    // On a task of its own: when Redis goes away the queue's worker ends and drops its jobs, but a
    // run that needs only PostgreSQL and the model goes on to its end (a second delivery of the
    // job then finds it finished, or busy under the run's lock).
    let worker: WorkerState = (*state).clone();
    let run_id = job.run_id;
    let task = tokio::spawn(async move {
        metrics::gauge!("dgs_jobs_running").increment(1.0);
        let outcome = loop {
            let outcome = execute_run(&worker.ctx, run_id, &worker.shutdown).await;
            // PostgreSQL went away mid-run: the checkpoints hold, so wait for it and go on, without
            // spending one of the job's attempts on an outage.
            if matches!(outcome, Err(EngineError::DatabaseUnavailable(_))) && wait_for_database(&worker.ctx.pool, &worker.shutdown).await {
                tracing::warn!(run_id = %run_id, "the database is back; the run goes on from its checkpoints");
                continue;
            }
            break outcome;
        };
        metrics::gauge!("dgs_jobs_running").decrement(1.0);
        outcome
    });
    let outcome = task.await.unwrap_or_else(|e| Err(EngineError::internal(format!("the run's task ended abnormally: {e}"))));
    let label = match &outcome {
        Ok(RunOutcome::Finished(s)) => s.as_str(),
        Ok(RunOutcome::Busy) => "busy",
        Ok(RunOutcome::Interrupted) => "interrupted",
        Err(_) => "error",
    };
    metrics::counter!("dgs_jobs_total", "outcome" => label).increment(1);
    match outcome {
        Ok(RunOutcome::Interrupted) => {
            // Shutting down between chunks: hand the run back so another worker (or our restart) goes on.
            state.queue.enqueue_run(job.run_id).await?;
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e @ EngineError::NotFound(_)) => {
            // The run is not in this database: retrying cannot help.
            tracing::error!(run_id = %job.run_id, error = %e, "job for an unknown run dropped");
            Err(AbortError::new(e).into())
        }
        Err(e) if attempt.current() >= MAX_ATTEMPTS => {
            tracing::error!(run_id = %job.run_id, error = %e, "run failed for good");
            let marked = sqlx::query!(
                "UPDATE runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued','running')",
                job.run_id,
                e.to_string()
            )
            .execute(&state.ctx.pool)
            .await;
            // The run stays 'running' until the stale-run sweeper finds it: say so in the logs.
            if let Err(db) = marked {
                tracing::error!(run_id = %job.run_id, error = %db, "could not mark the run failed");
            }
            Err(AbortError::new(e).into())
        }
        Err(e) => {
            tracing::warn!(run_id = %job.run_id, error = %e, attempt = attempt.current(), "run attempt failed; apalis retries it");
            Err(e.into())
        }
    }
}

/// Polls PostgreSQL every second until it answers (true), or shutdown or 15 minutes pass (false).
async fn wait_for_database(pool: &PgPool, shutdown: &CancellationToken) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(15 * 60);
    tracing::warn!("the database is not answering; runs wait for it");
    while std::time::Instant::now() < deadline {
        tokio::select! {
            _ = shutdown.cancelled() => return false,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if sqlx::query("SELECT 1").execute(pool).await.is_ok() {
            return true;
        }
    }
    false
}

/// Runs workers until `shutdown` is cancelled, then waits at most `drain` for jobs in flight: they stop
/// between chunks and re-queue themselves, so nothing is lost even when the drain runs out.
pub async fn run_workers(
    ctx: RunContext,
    queue: JobQueue,
    shutdown: CancellationToken,
    concurrency: usize,
    drain: Duration,
) -> Result<()> {
    recover_runs(&ctx.pool, &queue, Duration::ZERO).await?;
    let sweeper = {
        let (pool, queue, stop) = (ctx.pool.clone(), queue.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {
                        if let Err(e) = recover_runs(&pool, &queue, Duration::from_secs(60)).await {
                            tracing::warn!(error = %e, "recovery sweep failed");
                        }
                    }
                }
            }
        })
    };
    let instance = Uuid::new_v4().simple().to_string();
    let state = WorkerState { ctx, queue: queue.clone(), shutdown: shutdown.clone() };
    let signal = async move {
        shutdown.cancelled().await;
        Ok::<(), std::io::Error>(())
    };
    let result = Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(format!("dgs-{instance}-{restarts}"))
                .backend(queue.storage.clone().poll_with_interval(Duration::from_millis(300)))
                .data(state.clone())
                .concurrency(concurrency)
                .build(run_job)
        })
        .should_restart(|ctx, err| {
            tracing::warn!(worker = ctx.name(), error = %err, "worker stopped; restarting");
            true
        })
        .shutdown_timeout(drain)
        .run_with_signal(signal)
        .await
        .map_err(|e| EngineError::internal(format!("workers stopped: {e}")));
    sweeper.abort();
    result
}

/// Creates a run and queues it. If the queue cannot be reached the run stays `queued` and the
/// workers' recovery sweep starts it once Redis is back, so the caller still gets its id.
pub async fn start_run(services: &crate::Services, user: &crate::auth::CurrentUser, req: &NewRun) -> Result<Uuid> {
    let id = crate::classify::runs::create_run(&services.runs, user, req).await?;
    queue_or_defer(&services.queue, id).await;
    Ok(id)
}

/// Re-opens a cancelled or failed run (optionally with its failed chunks) and queues it.
pub async fn resume_run(
    services: &crate::Services,
    user: &crate::auth::CurrentUser,
    id: Uuid,
    retry_failed: bool,
) -> Result<crate::classify::RunProgress> {
    let progress = crate::classify::runs::reopen_run(&services.runs, user, id, retry_failed).await?;
    queue_or_defer(&services.queue, id).await;
    Ok(progress)
}

/// Creates an iteration of a review sample (another prompt version on its items only) and queues it.
pub async fn start_iteration(
    services: &crate::Services,
    user: &crate::auth::CurrentUser,
    sample_id: Uuid,
    req: &crate::review::SampleRerun,
    scope: crate::review::Scope,
) -> Result<Uuid> {
    let id = crate::review::iterations::create_iteration(&services.runs, user, sample_id, req, scope).await?;
    queue_or_defer(&services.queue, id).await;
    Ok(id)
}

async fn queue_or_defer(queue: &JobQueue, id: Uuid) {
    if let Err(e) = queue.enqueue_run(id).await {
        tracing::warn!(run_id = %id, error = %e, "run stored but not queued yet; recovery will queue it");
    }
}
