//! Seed 003's event pipeline: `POST /events` takes NDJSON (streamed) or a JSON array of
//! `DataRecord`s and answers when each is stored or rejected; aggregates per user and per event;
//! the pipeline's live figures.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use engine::events::{BatchReport, EventAggregate, PipelineStats, UserAggregate};
use engine::events::{ingest, users};

use super::error::ApiError;
use super::extract::ApiPath;
use super::session::AuthUser;
use crate::state::AppState;

/// Send events: NDJSON (one record per line, streamed) or a JSON array. Each record is validated
/// (`id`, RFC 3339 `timestamp`, `user_id`, `event` mandatory); refused ones are counted and kept
/// with their reason. `accepted = stored + duplicates + rejected`.
#[utoipa::path(post, path = "/events", tag = "events",
    request_body(content_type = "application/x-ndjson", content = String, description = "NDJSON records, or a JSON array of them"),
    responses((status = 200, body = BatchReport), (status = 400, description = "events_body_invalid"), (status = 403), (status = 413, description = "body_too_large"),
              (status = 503, description = "events_unavailable: shutting down")))]
pub async fn post_events(State(s): State<AppState>, AuthUser(u): AuthUser, body: Body) -> Result<Json<BatchReport>, ApiError> {
    u.require(engine::auth::Permission::EventWrite)?;
    Ok(Json(ingest::feed(&s.services.events, body.into_data_stream()).await?))
}

/// Seed 003's aggregate of one user over everything stored.
#[utoipa::path(get, path = "/events/users/{user_id}", tag = "events", params(("user_id" = String, Path)),
    responses((status = 200, body = UserAggregate), (status = 403), (status = 404, description = "event_user_not_found")))]
pub async fn user(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(user_id): ApiPath<String>) -> Result<Json<UserAggregate>, ApiError> {
    Ok(Json(users::user(&s.services.pool, &u, &user_id).await?))
}

/// Totals per event name.
#[utoipa::path(get, path = "/events/by-event", tag = "events", responses((status = 200, body = BTreeMap<String, EventAggregate>), (status = 403)))]
pub async fn by_event(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<BTreeMap<String, EventAggregate>>, ApiError> {
    Ok(Json(users::by_event(&s.services.pool, &u).await?))
}

/// The pipeline's figures, sampled every second: records/s, latency, in flight, workers busy.
#[utoipa::path(get, path = "/events/stats", tag = "events", responses((status = 200, body = PipelineStats), (status = 403)))]
pub async fn stats(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<PipelineStats>, ApiError> {
    u.require(engine::auth::Permission::EtlRead)?;
    Ok(Json(s.services.events.stats().await))
}
