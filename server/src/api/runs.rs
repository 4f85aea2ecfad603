use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use engine::classify::runs::{
    ResultsFilter, cancel_run, category_counts, events_channel, list_runs, plan_run, results_csv, results_page, results_xlsx,
    run_progress,
};
use engine::classify::{CategoryCount, NewRun, ResultsPage, RunListItem, RunPlan, RunProgress};
use engine::classify::reason_text;
use engine::export::ExportOptions;
use engine::jobs::{resume_run, start_run};
use fred::interfaces::EventInterface;
use fred::prelude::FromValue;
use futures::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::ApiError;
use super::session::AuthUser;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct RunCreated {
    id: Uuid,
}

/// Queue a classification run of a dataset's unique lines, with optional per-run settings.
#[utoipa::path(post, path = "/runs", tag = "runs", request_body = NewRun,
    responses((status = 202, body = RunCreated), (status = 400), (status = 404)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewRun>,
) -> Result<(StatusCode, Json<RunCreated>), ApiError> {
    let id = start_run(&state.services, &user, &req).await?;
    Ok((StatusCode::ACCEPTED, Json(RunCreated { id })))
}

/// What a run would send and cost, without starting it: the first call's messages, the number of
/// calls after dedup and cache, estimated tokens and cost.
#[utoipa::path(post, path = "/runs/plan", tag = "runs", request_body = NewRun,
    responses((status = 200, body = RunPlan), (status = 400), (status = 404)))]
pub async fn plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewRun>,
) -> Result<Json<RunPlan>, ApiError> {
    Ok(Json(plan_run(&state.services.runs, &user, &req).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only this dataset's runs (404 when it is not mine to see).
    dataset_id: Option<Uuid>,
}

/// The runs I can see, newest first: status, prompt and version, provider and model, lines done of
/// total, failed lines, samples drawn, and when it was queued, started and finished.
#[utoipa::path(get, path = "/runs", tag = "runs", params(RunsQuery),
    responses((status = 200, body = Vec<RunListItem>), (status = 400), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> Result<Json<Vec<RunListItem>>, ApiError> {
    Ok(Json(list_runs(&state.services.pool, &user, q.dataset_id).await?))
}

/// A run's status and counters (cached, repaired, missing, discarded, retries, tokens, cost...).
#[utoipa::path(get, path = "/runs/{id}", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, body = RunProgress), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<RunProgress>, ApiError> {
    Ok(Json(run_progress(&state.services.pool, &user, id).await?))
}

/// Stop a queued or running run; stored results are kept.
#[utoipa::path(post, path = "/runs/{id}/cancel", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, body = RunProgress), (status = 404)))]
pub async fn cancel(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<RunProgress>, ApiError> {
    Ok(Json(cancel_run(&state.services.runs, &user, id).await?))
}

/// Continue a cancelled or failed run with the chunks it has not done.
#[utoipa::path(post, path = "/runs/{id}/resume", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 202, body = RunProgress), (status = 404), (status = 409)))]
pub async fn resume(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<RunProgress>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(resume_run(&state.services, &user, id, false).await?)))
}

/// Send again only the chunks that exhausted their retries (and any still pending).
#[utoipa::path(post, path = "/runs/{id}/retry-failed", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 202, body = RunProgress), (status = 404), (status = 409)))]
pub async fn retry_failed(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<RunProgress>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(resume_run(&state.services, &user, id, true).await?)))
}

/// Original rows per category, largest first.
#[utoipa::path(get, path = "/runs/{id}/categories", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CategoryCount>), (status = 404)))]
pub async fn categories(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<CategoryCount>>, ApiError> {
    Ok(Json(category_counts(&state.services.pool, &user, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// `json` (default, paged), `csv` or `xlsx` (every row, as a download).
    format: Option<String>,
    offset: Option<i64>,
    /// At most 1000 rows per page (default 100).
    limit: Option<i64>,
    /// Only rows of this category.
    category: Option<String>,
    min_score: Option<f64>,
    max_score: Option<f64>,
    /// For csv/xlsx: a review sample of this run whose verdicts give the final category (adds
    /// model_category, verdict, reviewed_by and prompt_version columns).
    sample_id: Option<Uuid>,
    /// `es` (default) or `en`: the language of the added columns' names, of the offline
    /// classifier's reasons and of the decimal mark.
    lang: Option<String>,
    /// For csv: `;` (default, what a spreadsheet set to Spanish splits on) or `,`.
    sep: Option<String>,
}

/// One result per original row (duplicates share their unique line's result).
#[utoipa::path(get, path = "/runs/{id}/results", tag = "runs", params(("id" = Uuid, Path), ResultsQuery),
    responses((status = 200, body = ResultsPage, description = "JSON page, or a CSV/XLSX download"), (status = 404)))]
pub async fn results(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ResultsQuery>,
) -> Result<Response, ApiError> {
    let pool = &state.services.pool;
    let download = |mime: &str, ext: &str, body: Vec<u8>| {
        let disposition = format!("attachment; filename=\"run-{id}.{ext}\"");
        ([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
    };
    let lang = super::extract::query_lang(q.lang.as_deref())?;
    let separator = super::extract::query_separator(q.sep.as_deref())?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let filter = ResultsFilter { category: q.category, min_score: q.min_score, max_score: q.max_score };
            let mut page = results_page(pool, &user, id, &filter, q.offset.unwrap_or(0), q.limit.unwrap_or(100)).await?;
            for r in &mut page.rows {
                r.reason = reason_text(&r.reason, lang);
            }
            Ok(Json(page).into_response())
        }
        "csv" => {
            let body = results_csv(pool, &user, id, q.sample_id, ExportOptions { lang, separator }).await?;
            Ok(download("text/csv; charset=utf-8", "csv", body))
        }
        "xlsx" => Ok(download(XLSX_MIME, "xlsx", results_xlsx(pool, &user, id, q.sample_id, lang).await?)),
        other => Err(ApiError(engine::EngineError::invalid(format!("unknown format '{other}': use json, csv or xlsx")))),
    }
}

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Server-Sent Events: a `progress` event with the run's state now and after every stored chunk;
/// the stream ends once the run has finished.
#[utoipa::path(get, path = "/runs/{id}/events", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/event-stream", description = "`progress` events carrying RunProgress JSON")))]
pub async fn events(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Subscribe before reading the current state, so no update falls between the two.
    let rx = state.subscriber.message_rx();
    let first = run_progress(&state.services.pool, &user, id).await?;
    let channel = events_channel(id);
    let done = first.status.is_terminal();
    let initial = stream::once(async move { to_event(&first) });
    let updates = stream::unfold((rx, channel, done), |(mut rx, channel, done)| async move {
        if done {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(m) if *m.channel == *channel.as_str() => {
                    let json = String::from_value(m.value).unwrap_or_default();
                    let Ok(progress) = serde_json::from_str::<RunProgress>(&json) else { continue };
                    let finished = progress.status.is_terminal();
                    return Some((to_event(&progress), (rx, channel, finished)));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let shutdown = state.shutdown.clone();
    let stream = initial.chain(updates).take_until(async move { shutdown.cancelled().await });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn to_event(p: &RunProgress) -> Result<Event, Infallible> {
    Ok(Event::default().event("progress").data(serde_json::to_string(p).unwrap_or_default()))
}
