//! One chunk in three steps, so that a call slot is busy only while a call is: `load_chunk` reads its
//! lines (ahead of time), `call_chunk` calls the provider with retries and merges the answer by
//! row_index, `store_chunk` writes results, counters and cache entries in one transaction (the
//! checkpoint).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::RunContext;
use super::pacing::Pacer;
use crate::retry::backoff;
use crate::classify::prompts::Category;
use crate::classify::protocol::{LineIn, Merged, merge_answer, user_message};
use crate::classify::provider::{CallError, ChunkRequest, Provider, estimate_tokens};
use crate::classify::RunSettings;
use crate::error::{Conflict, EngineError, Result};

/// What every chunk of one execution shares.
pub(super) struct ChunkWork {
    pub ctx: RunContext,
    pub run_id: Uuid,
    pub dataset_id: Uuid,
    pub prompt_version_id: Uuid,
    /// Who started the run: the answers it caches are theirs alone.
    pub owner: Uuid,
    pub model: String,
    pub system: String,
    pub categories: Vec<Category>,
    pub provider: Box<dyn Provider>,
    pub pacer: Pacer,
    pub settings: RunSettings,
    pub use_cache: bool,
    /// Cancelled on cancel, shutdown or a refused call: no new attempt starts.
    pub stop: CancellationToken,
    pub in_flight: AtomicI64,
    /// The first refusal (bad key, unknown model...): retrying cannot help, so the run stops.
    pub refused: std::sync::Mutex<Option<String>>,
    pub changed: Notify,
}

pub(super) struct ChunkJob {
    pub chunk_no: i32,
    pub line_idx: Vec<i32>,
}

/// A chunk with its lines read, ready to send.
pub(super) struct LoadedChunk {
    chunk_no: i32,
    request: ChunkRequest,
}

/// A chunk the model answered, merged, waiting to be stored.
pub(super) struct Answered {
    chunk_no: i32,
    merged: Merged,
    spent: Spent,
    lines: usize,
}

/// What the attempts of one chunk cost.
#[derive(Default)]
struct Spent {
    attempts: i32,
    retries: i32,
    tokens_in: i64,
    tokens_out: i64,
}

pub(super) async fn load_chunk(work: Arc<ChunkWork>, job: ChunkJob) -> Result<LoadedChunk> {
    let rows = sqlx::query!(
        "SELECT idx, text FROM unique_lines WHERE dataset_id = $1 AND idx = ANY($2) ORDER BY idx",
        work.dataset_id,
        &job.line_idx
    )
    .fetch_all(&work.ctx.pool)
    .await?;
    let lines: Vec<LineIn> = rows.into_iter().map(|r| LineIn { row_index: r.idx as i64, text: r.text }).collect();
    let request = ChunkRequest {
        model: work.model.clone(),
        temperature: work.settings.temperature,
        timeout: Duration::from_secs_f64(work.settings.timeout_secs),
        system: work.system.clone(),
        lines,
        categories: work.categories.clone(),
    };
    Ok(LoadedChunk { chunk_no: job.chunk_no, request })
}

/// Sends one chunk until it is answered, fails for good, or the run stops (`None`).
pub(super) async fn call_chunk(work: Arc<ChunkWork>, chunk: LoadedChunk) -> Result<Option<Answered>> {
    let LoadedChunk { chunk_no, request } = chunk;
    let estimate = estimate_tokens(&request.system) + estimate_tokens(&user_message(&request.lines));
    let base = Duration::from_millis(work.settings.retry_base_ms);
    let provider_label = work.settings.provider.as_str();
    let mut spent = Spent::default();

    loop {
        tokio::select! {
            _ = work.pacer.acquire(estimate) => {}
            _ = work.stop.cancelled() => return Ok(None),
        }
        work.in_flight.fetch_add(1, Ordering::Relaxed);
        work.changed.notify_one();
        let started = Instant::now();
        let outcome = tokio::select! {
            r = work.provider.classify(&request) => Some(r),
            _ = work.stop.cancelled() => None,
        };
        work.in_flight.fetch_sub(1, Ordering::Relaxed);
        let Some(outcome) = outcome else { return Ok(None) };
        spent.attempts += 1;
        metrics::histogram!("dgs_llm_call_seconds", "provider" => provider_label).record(started.elapsed().as_secs_f64());
        let error = match outcome {
            Ok(answer) => {
                metrics::counter!("dgs_llm_calls_total", "provider" => provider_label, "outcome" => "ok").increment(1);
                spent.tokens_in += answer.tokens_in;
                spent.tokens_out += answer.tokens_out;
                let merged = merge_answer(&request.lines, answer.results, &work.categories);
                return Ok(Some(Answered { chunk_no, merged, spent, lines: request.lines.len() }));
            }
            Err(e) => e,
        };
        metrics::counter!("dgs_llm_calls_total", "provider" => provider_label, "outcome" => outcome_label(&error)).increment(1);
        if let CallError::Malformed { tokens_in, tokens_out, .. } = &error {
            spent.tokens_in += tokens_in;
            spent.tokens_out += tokens_out;
        }
        if !error.is_retryable() {
            if let Ok(mut first) = work.refused.lock() {
                first.get_or_insert_with(|| error.to_string());
            }
            work.stop.cancel();
            fail_chunk(&work, chunk_no, &error, &spent).await?;
            return Ok(None);
        }
        if spent.retries as u32 >= work.settings.max_retries {
            fail_chunk(&work, chunk_no, &error, &spent).await?;
            return Ok(None);
        }
        spent.retries += 1;
        metrics::counter!("dgs_llm_retries_total", "provider" => provider_label).increment(1);
        tracing::debug!(chunk = chunk_no, retry = spent.retries, error = %error, "retrying chunk");
        if let Some(wait) = error.retry_after() {
            work.pacer.hold_for(wait).await;
        }
        let wait = backoff(base, spent.retries as u32, error.retry_after());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = work.stop.cancelled() => return Ok(None),
        }
    }
}

fn outcome_label(e: &CallError) -> &'static str {
    match e {
        CallError::Timeout(_) => "timeout",
        CallError::RateLimited { .. } => "rate_limited",
        CallError::Server { .. } => "server_error",
        CallError::Malformed { .. } => "malformed",
        CallError::Refused { .. } => "refused",
    }
}

/// The checkpoint. The chunk row flips from pending to done only once, and run_results' primary key
/// refuses a second result for a line, so nothing is stored twice whatever happens around us.
pub(super) async fn store_chunk(work: &ChunkWork, answered: Answered) -> Result<()> {
    let Answered { chunk_no, merged, spent, lines } = answered;
    let n = merged.results.len();
    debug_assert_eq!(n, lines, "one result per line");
    let (mut idxs, mut cats, mut scores, mut reasons, mut sources) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for r in &merged.results {
        idxs.push(r.row_index as i32);
        cats.push(r.category.clone());
        scores.push(r.score);
        reasons.push(r.reason.clone());
        sources.push(r.source.as_str().to_string());
    }
    let mut tx = work.ctx.pool.begin().await?;
    let flipped = sqlx::query!(
        "UPDATE run_chunks SET status = 'done', attempts = attempts + $3, retries = retries + $4,
                tokens_in = tokens_in + $5, tokens_out = tokens_out + $6,
                repaired = $7, missing = $8, discarded = $9, error = NULL, finished_at = now()
         WHERE run_id = $1 AND chunk_no = $2 AND status = 'pending'",
        work.run_id,
        chunk_no,
        spent.attempts,
        spent.retries,
        spent.tokens_in,
        spent.tokens_out,
        merged.repaired,
        merged.missing,
        merged.discarded
    )
    .execute(&mut *tx)
    .await?;
    if flipped.rows_affected() != 1 {
        return Err(EngineError::Conflict(Conflict::ChunkStored { run: work.run_id, chunk: chunk_no }));
    }
    // Results and cache entries from the same arrays, in one statement (one round trip per chunk).
    sqlx::query!(
        "WITH t AS (SELECT * FROM UNNEST($4::int[], $5::text[], $6::float8[], $7::text[], $8::text[])
                        AS t(idx, cat, score, reason, source)),
              stored AS (INSERT INTO run_results (run_id, line_idx, chunk_no, category, score, reason, source)
                         SELECT $1, idx, $2, cat, score, reason, source FROM t)
         INSERT INTO llm_cache (owner_id, prompt_version_id, model, line_key, category, score, reason)
         SELECT $12, $3, $10, md5(ul.clean_text)::uuid, t.cat, t.score, t.reason
         FROM t JOIN unique_lines ul ON ul.dataset_id = $11 AND ul.idx = t.idx
         WHERE $9 AND t.source IN ('model', 'repaired')
         ON CONFLICT DO NOTHING",
        work.run_id,
        chunk_no,
        work.prompt_version_id,
        &idxs,
        &cats,
        &scores,
        &reasons,
        &sources,
        work.use_cache,
        work.model,
        work.dataset_id,
        work.owner
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    work.changed.notify_one();
    let label = work.settings.provider.as_str();
    metrics::counter!("dgs_lines_classified_total", "provider" => label).increment(n as u64);
    metrics::counter!("dgs_llm_tokens_total", "direction" => "in").increment(spent.tokens_in.max(0) as u64);
    metrics::counter!("dgs_llm_tokens_total", "direction" => "out").increment(spent.tokens_out.max(0) as u64);
    Ok(())
}

async fn fail_chunk(work: &ChunkWork, chunk_no: i32, error: &CallError, spent: &Spent) -> Result<()> {
    sqlx::query!(
        "UPDATE run_chunks SET status = 'failed', attempts = attempts + $3, retries = retries + $4,
                tokens_in = tokens_in + $5, tokens_out = tokens_out + $6, error = $7, finished_at = now()
         WHERE run_id = $1 AND chunk_no = $2 AND status = 'pending'",
        work.run_id,
        chunk_no,
        spent.attempts,
        spent.retries,
        spent.tokens_in,
        spent.tokens_out,
        error.to_string()
    )
    .execute(&work.ctx.pool)
    .await?;
    work.changed.notify_one();
    Ok(())
}
