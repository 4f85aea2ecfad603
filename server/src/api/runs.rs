use std::convert::Infallible;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use engine::classify::runs::{cancel_run, events_channel, results_csv, results_page, run_progress};
use engine::classify::{ResultsPage, RunProgress};
use engine::jobs::start_run;
use fred::interfaces::EventInterface;
use fred::prelude::FromValue;
use futures::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::{ApiError, bad_request};
use super::session::AuthUser;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct NewRun {
    dataset_id: Uuid,
    /// The prompt to use (its latest version); the default prompt when absent.
    prompt_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct RunCreated {
    id: Uuid,
}

/// Queue a classification run of a dataset's unique lines.
#[utoipa::path(post, path = "/runs", tag = "runs", request_body = NewRun,
    responses((status = 202, body = RunCreated), (status = 404)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<NewRun>, JsonRejection>,
) -> Result<(StatusCode, Json<RunCreated>), ApiError> {
    let Json(req) = body?;
    let id = start_run(&state.services, &user, req.dataset_id, req.prompt_id).await?;
    Ok((StatusCode::ACCEPTED, Json(RunCreated { id })))
}

/// A run's status and counters.
#[utoipa::path(get, path = "/runs/{id}", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, body = RunProgress), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<Uuid>) -> Result<Json<RunProgress>, ApiError> {
    Ok(Json(run_progress(&state.services.pool, &user, id).await?))
}

/// Stop a queued or running run; stored results are kept.
#[utoipa::path(post, path = "/runs/{id}/cancel", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, body = RunProgress), (status = 404)))]
pub async fn cancel(State(state): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<Uuid>) -> Result<Json<RunProgress>, ApiError> {
    Ok(Json(cancel_run(&state.services.runs, &user, id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ResultsQuery {
    /// `json` (default, paged) or `csv` (every row, as a download).
    format: Option<String>,
    offset: Option<i64>,
    /// At most 10000 rows per page (default 1000).
    limit: Option<i64>,
}

/// One result per original row (duplicates share their unique line's result).
#[utoipa::path(get, path = "/runs/{id}/results", tag = "runs", params(("id" = Uuid, Path), ResultsQuery),
    responses((status = 200, body = ResultsPage, description = "JSON page, or text/csv with format=csv"), (status = 404)))]
pub async fn results(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<Uuid>,
    query: Result<Query<ResultsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let page = results_page(&state.services.pool, &user, id, q.offset.unwrap_or(0), q.limit.unwrap_or(1000)).await?;
            Ok(Json(page).into_response())
        }
        "csv" => {
            let body = results_csv(&state.services.pool, &user, id).await?;
            let disposition = format!("attachment; filename=\"run-{id}.csv\"");
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
                .into_response())
        }
        other => Err(bad_request(format!("unknown format '{other}': use json or csv"))),
    }
}

/// Server-Sent Events: a `progress` event with the run's state now and after every stored chunk;
/// the stream ends once the run has finished.
#[utoipa::path(get, path = "/runs/{id}/events", tag = "runs", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/event-stream", description = "`progress` events carrying RunProgress JSON")))]
pub async fn events(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<Uuid>,
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
