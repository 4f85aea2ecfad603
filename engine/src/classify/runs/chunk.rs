//! One chunk in three steps, so that a call slot is busy only while a call is: `load_chunk` reads its
//! lines (ahead of time) and picks the examples they carry, `call_chunk` calls the provider with
//! retries and rescues what a plain retry cannot (lines the model dropped are asked again; a chunk
//! whose answers stay malformed is halved until the line that breaks it fails alone), and
//! `store_chunk` writes results, counters and cache entries in one transaction (the checkpoint).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::RunContext;
use super::pacing::Pacer;
use crate::classify::RunSettings;
use crate::classify::examples::{ExampleShown, Retriever, examples_message};
use crate::classify::prompts::Category;
use crate::classify::protocol::{ISOLATED_REASON, LineIn, LineResult, Merged, Source, UNDETERMINED, merge_answer, user_message};
use crate::classify::provider::{CallError, ChunkAnswer, ChunkRequest, Provider, estimate_tokens};
use crate::error::{Conflict, EngineError, Result};
use crate::retry::backoff;

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
    /// The prompt's examples, for the few-shot examples each chunk carries (LLM runs only).
    pub retriever: Option<Retriever>,
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

/// A chunk with its lines read and its examples chosen, ready to send.
pub(super) struct LoadedChunk {
    chunk_no: i32,
    request: ChunkRequest,
    examples: Vec<ExampleShown>,
}

/// A chunk the model answered, merged, waiting to be stored.
pub(super) struct Answered {
    chunk_no: i32,
    merged: Merged,
    spent: Spent,
    lines: usize,
    examples: Vec<ExampleShown>,
}

/// What the attempts of one chunk cost, and what its rescues saved.
#[derive(Default)]
struct Spent {
    attempts: i32,
    retries: i32,
    tokens_in: i64,
    tokens_out: i64,
    reasked: i32,
    reask_answered: i32,
    split_calls: i32,
    split_answered: i32,
    isolated: i32,
}

/// Why some lines are being asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A whole chunk.
    Chunk,
    /// Half of lines whose answers stayed malformed.
    Half,
    /// Lines an answer left out, once more; not halved (they are few, and stay `Indeterminado`).
    Reask,
}

/// The end of asking for some lines.
enum Asked {
    Answered(Merged),
    Failed(CallError),
    /// The run stopped (cancel, shutdown, a refusal elsewhere): the chunk stays pending.
    Stopped,
}

/// The examples a chunk's lines carry: what the plan shows and the run sends.
pub(crate) fn chunk_examples(retriever: Option<&Retriever>, lines: &[LineIn], settings: &RunSettings) -> Vec<ExampleShown> {
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    retriever.map(|r| r.select(&texts, settings.few_shot as usize, i64::from(settings.few_shot_tokens))).unwrap_or_default()
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
    let examples = chunk_examples(work.retriever.as_ref(), &lines, &work.settings);
    let request = ChunkRequest {
        model: work.model.clone(),
        temperature: work.settings.temperature,
        timeout: Duration::from_secs_f64(work.settings.timeout_secs),
        system: work.system.clone(),
        examples: examples_message(&examples),
        lines,
        categories: work.categories.clone(),
    };
    Ok(LoadedChunk { chunk_no: job.chunk_no, request, examples })
}

/// Sends one chunk until it is answered, fails for good, or the run stops (`None`); then asks again
/// for the lines the answer left out.
pub(super) async fn call_chunk(work: Arc<ChunkWork>, chunk: LoadedChunk) -> Result<Option<Answered>> {
    let LoadedChunk { chunk_no, request, examples } = chunk;
    let mut spent = Spent::default();
    let mut merged = match ask(&work, &request, &mut spent, Mode::Chunk).await {
        Asked::Answered(m) => m,
        Asked::Stopped => return Ok(None),
        Asked::Failed(error) => {
            if !error.is_retryable() {
                if let Ok(mut first) = work.refused.lock() {
                    first.get_or_insert_with(|| error.to_string());
                }
                work.stop.cancel();
            }
            fail_chunk(&work, chunk_no, &error, &spent).await?;
            return Ok(None);
        }
    };
    reask_missing(&work, &request, &mut merged, &mut spent).await;
    Ok(Some(Answered { chunk_no, merged, spent, lines: request.lines.len(), examples }))
}

/// Lines the answer left out (or gave a category the prompt lacks) go out once more in a small call
/// of their own before they become `Indeterminado`.
async fn reask_missing(work: &ChunkWork, request: &ChunkRequest, merged: &mut Merged, spent: &mut Spent) {
    let missing: Vec<LineIn> = request
        .lines
        .iter()
        .zip(&merged.results)
        .filter(|(_, r)| r.source == Source::Missing)
        .map(|(l, _)| l.clone())
        .collect();
    if missing.is_empty() || work.stop.is_cancelled() {
        return;
    }
    spent.reasked += missing.len() as i32;
    let again = ChunkRequest { lines: missing, ..request.clone() };
    let Asked::Answered(answer) = ask(work, &again, spent, Mode::Reask).await else { return };
    merged.repaired += answer.repaired;
    merged.discarded += answer.discarded;
    for r in answer.results.into_iter().filter(|r| r.source != Source::Missing) {
        if let Some(slot) = merged.results.iter_mut().find(|s| s.row_index == r.row_index) {
            *slot = r;
            spent.reask_answered += 1;
            merged.missing -= 1;
        }
    }
}

/// Asks for `request`'s lines until answered: timeouts, 429s, 5xx and malformed answers are retried
/// up to `max_retries`. When the retries end on a malformed answer the lines are halved (a half that
/// is malformed again is halved at once), until the line that breaks the answer is alone and fails
/// alone.
fn ask<'a>(work: &'a ChunkWork, request: &'a ChunkRequest, spent: &'a mut Spent, mode: Mode) -> BoxFuture<'a, Asked> {
    Box::pin(async move {
        let base = Duration::from_millis(work.settings.retry_base_ms);
        let mut retries = 0u32;
        loop {
            let attempted = attempt(work, request, spent).await;
            if mode == Mode::Half {
                spent.split_calls += 1;
            }
            let error = match attempted {
                None => return Asked::Stopped,
                Some(Ok(answer)) => return Asked::Answered(merge_answer(&request.lines, answer.results, &work.categories)),
                Some(Err(e)) => e,
            };
            if !error.is_retryable() {
                return Asked::Failed(error);
            }
            let malformed = matches!(error, CallError::Malformed { .. });
            if malformed && mode != Mode::Reask && (mode == Mode::Half || retries >= work.settings.max_retries) {
                return halve(work, request, spent, mode == Mode::Half).await;
            }
            if retries >= work.settings.max_retries {
                return Asked::Failed(error);
            }
            retries += 1;
            spent.retries += 1;
            metrics::counter!("dgs_llm_retries_total", "provider" => work.settings.provider.as_str()).increment(1);
            if let Some(wait) = error.retry_after() {
                work.pacer.hold_for(wait).await;
            }
            let wait = backoff(base, retries, error.retry_after());
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = work.stop.cancelled() => return Asked::Stopped,
            }
        }
    })
}

/// Two calls of half the lines each; one line alone that still breaks the answer fails alone.
async fn halve(work: &ChunkWork, request: &ChunkRequest, spent: &mut Spent, nested: bool) -> Asked {
    if request.lines.len() == 1 {
        spent.isolated += 1;
        let l = &request.lines[0];
        let result = LineResult { row_index: l.row_index, category: UNDETERMINED.into(), score: -1.0, reason: ISOLATED_REASON.into(), source: Source::Isolated };
        return Asked::Answered(Merged { results: vec![result], ..Merged::default() });
    }
    let (a, b) = request.lines.split_at(request.lines.len() / 2);
    let mut out = Merged::default();
    for half in [a, b] {
        let sub = ChunkRequest { lines: half.to_vec(), ..request.clone() };
        match ask(work, &sub, spent, Mode::Half).await {
            Asked::Answered(m) => {
                out.repaired += m.repaired;
                out.missing += m.missing;
                out.discarded += m.discarded;
                out.results.extend(m.results);
            }
            other => return other,
        }
    }
    if !nested {
        spent.split_answered += out.results.iter().filter(|r| r.source != Source::Isolated).count() as i32;
    }
    Asked::Answered(out)
}

/// One paced call, counted; `None` when the run stopped first.
async fn attempt(work: &ChunkWork, request: &ChunkRequest, spent: &mut Spent) -> Option<std::result::Result<ChunkAnswer, CallError>> {
    let estimate = estimate_tokens(&request.system)
        + request.examples.as_deref().map_or(0, estimate_tokens)
        + estimate_tokens(&user_message(&request.lines));
    let provider_label = work.settings.provider.as_str();
    tokio::select! {
        _ = work.pacer.acquire(estimate) => {}
        _ = work.stop.cancelled() => return None,
    }
    work.in_flight.fetch_add(1, Ordering::Relaxed);
    work.changed.notify_one();
    let started = Instant::now();
    let outcome = tokio::select! {
        r = work.provider.classify(request) => Some(r),
        _ = work.stop.cancelled() => None,
    };
    work.in_flight.fetch_sub(1, Ordering::Relaxed);
    let outcome = outcome?;
    spent.attempts += 1;
    metrics::histogram!("dgs_llm_call_seconds", "provider" => provider_label).record(started.elapsed().as_secs_f64());
    match &outcome {
        Ok(answer) => {
            metrics::counter!("dgs_llm_calls_total", "provider" => provider_label, "outcome" => "ok").increment(1);
            spent.tokens_in += answer.tokens_in;
            spent.tokens_out += answer.tokens_out;
        }
        Err(error) => {
            metrics::counter!("dgs_llm_calls_total", "provider" => provider_label, "outcome" => outcome_label(error)).increment(1);
            if let CallError::Malformed { tokens_in, tokens_out, .. } = error {
                spent.tokens_in += tokens_in;
                spent.tokens_out += tokens_out;
            }
            tracing::debug!(error = %error, lines = request.lines.len(), "call failed");
        }
    }
    Some(outcome)
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
    let Answered { chunk_no, merged, spent, lines, examples } = answered;
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
                repaired = $7, missing = $8, discarded = $9, error = NULL, finished_at = now(),
                examples = $10, reasked = $11, reask_answered = $12, split_calls = $13, split_answered = $14, isolated = $15
         WHERE run_id = $1 AND chunk_no = $2 AND status = 'pending'",
        work.run_id,
        chunk_no,
        spent.attempts,
        spent.retries,
        spent.tokens_in,
        spent.tokens_out,
        merged.repaired,
        merged.missing,
        merged.discarded,
        serde_json::to_value(&examples).map_err(EngineError::internal)?,
        spent.reasked,
        spent.reask_answered,
        spent.split_calls,
        spent.split_answered,
        spent.isolated
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
