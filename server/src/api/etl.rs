//! Marketing data (seeds 001/002): `/etl/sources`, the seeds' `/ingest/run` as `POST /etl/run`,
//! run history with rejected records, the seeds' metrics API `/etl/metrics/{channel|campaign|date}`,
//! `/admin/cleanup` as `POST /etl/cleanup`, the signed export, and the funnel as a report.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use engine::etl::wire::{CleanupReport, Dimension, ExportReport, FunnelPage, FunnelQuery, Preset, Rejection, RunInfo, SourceInfo, SourceInput};
use engine::etl::{funnel, presets, retention, runs, sink, sources};
use engine::reports::ReportCreated;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::AuthUser;
use crate::state::AppState;

/// Ready-made sources for the API shapes the product knows (Facebook, Google Ads, HubSpot, Salesforce).
#[utoipa::path(get, path = "/etl/presets", tag = "etl", responses((status = 200, body = Vec<Preset>), (status = 403)))]
pub async fn list_presets(AuthUser(u): AuthUser) -> Result<Json<Vec<Preset>>, ApiError> {
    u.require(engine::auth::Permission::EtlRead)?;
    Ok(Json(presets::all()))
}

/// Add a source; its governed table is made the first time. The secret is never answered.
#[utoipa::path(post, path = "/etl/sources", tag = "etl", request_body = SourceInput,
    responses((status = 201, body = SourceInfo), (status = 403), (status = 409, description = "etl_table_conflict"), (status = 422, description = "etl_source_invalid")))]
pub async fn create_source(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(input): ApiJson<SourceInput>) -> Result<(StatusCode, Json<SourceInfo>), ApiError> {
    Ok((StatusCode::CREATED, Json(sources::create_source(&s.services.tables, &u, input).await?)))
}

#[utoipa::path(get, path = "/etl/sources", tag = "etl", responses((status = 200, body = Vec<SourceInfo>), (status = 403)))]
pub async fn list_sources(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<Vec<SourceInfo>>, ApiError> {
    Ok(Json(sources::list_sources(&s.services.tables, &u).await?))
}

#[utoipa::path(get, path = "/etl/sources/{id}", tag = "etl", params(("id" = Uuid, Path)),
    responses((status = 200, body = SourceInfo), (status = 403), (status = 404, description = "etl_source_not_found")))]
pub async fn get_source(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<SourceInfo>, ApiError> {
    Ok(Json(sources::get_source(&s.services.tables, &u, id).await?))
}

/// Change a source (send the `version` read). Without `auth_secret` the stored one is kept.
#[utoipa::path(put, path = "/etl/sources/{id}", tag = "etl", params(("id" = Uuid, Path)), request_body = SourceInput,
    responses((status = 200, body = SourceInfo), (status = 403), (status = 404), (status = 409, description = "etl_source_version_conflict"), (status = 422, description = "etl_source_invalid")))]
pub async fn update_source(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(input): ApiJson<SourceInput>) -> Result<Json<SourceInfo>, ApiError> {
    Ok(Json(sources::update_source(&s.services.tables, &u, id, input).await?))
}

/// Delete a source and its runs; the records it brought stay in their tables.
#[utoipa::path(delete, path = "/etl/sources/{id}", tag = "etl", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "etl_run_active")))]
pub async fn delete_source(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    sources::delete_source(&s.services.tables, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunParams {
    /// Read from this time (RFC 3339) or date instead of the cursor less the lookback.
    pub since: Option<String>,
    /// One source; without it every enabled source is run.
    pub source_id: Option<Uuid>,
    /// Wait up to this many seconds (at most 120) for the runs to finish.
    pub wait: Option<u64>,
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, ApiError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| ApiError(engine::EngineError::Malformed(format!("since '{s}' is not a date (YYYY-MM-DD) or an RFC 3339 time"))))
}

/// The seeds' `/ingest/run`: start a run of one source, or of every enabled one, incremental from
/// each cursor (less its lookback) unless `since` is given. 202 with the runs; with `wait`, their
/// state when they finished (or when the wait ended).
#[utoipa::path(post, path = "/etl/run", tag = "etl", params(RunParams),
    responses((status = 202, body = Vec<RunInfo>), (status = 400, description = "malformed_request: since"), (status = 403), (status = 404, description = "etl_source_not_found"),
              (status = 409, description = "etl_run_active")))]
pub async fn run(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(p): ApiQuery<RunParams>) -> Result<(StatusCode, Json<Vec<RunInfo>>), ApiError> {
    let since = p.since.as_deref().map(parse_since).transpose()?;
    let store = &s.services.tables;
    let mut started = Vec::new();
    match p.source_id {
        Some(id) => started.push(runs::start_run(store, Some(&u), id, since, "api").await?),
        None => {
            u.require(engine::auth::Permission::EtlAdmin)?;
            for src in sources::list_sources(store, &u).await?.into_iter().filter(|s| s.enabled) {
                match runs::start_run(store, Some(&u), src.id, since, "api").await {
                    Ok(r) => started.push(r),
                    // A source already running keeps its run; the others start.
                    Err(engine::EngineError::Etl(engine::etl::EtlError::RunActive)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    if let Some(secs) = p.wait {
        let wait = Duration::from_secs(secs.min(120));
        let mut done = Vec::with_capacity(started.len());
        for r in &started {
            done.push(runs::wait_for(store, &u, r.id, wait).await?);
        }
        return Ok((StatusCode::OK, Json(done)));
    }
    Ok((StatusCode::ACCEPTED, Json(started)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsParams {
    pub source_id: Option<Uuid>,
    pub limit: Option<i64>,
}

/// Run history, newest first: counts (read = inserted + updated + unchanged + rejected), pages, retries.
#[utoipa::path(get, path = "/etl/runs", tag = "etl", params(RunsParams), responses((status = 200, body = Vec<RunInfo>), (status = 403)))]
pub async fn list_runs(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(p): ApiQuery<RunsParams>) -> Result<Json<Vec<RunInfo>>, ApiError> {
    Ok(Json(runs::list_runs(&s.services.tables, &u, p.source_id, p.limit.unwrap_or(50)).await?))
}

#[utoipa::path(get, path = "/etl/runs/{id}", tag = "etl", params(("id" = Uuid, Path)),
    responses((status = 200, body = RunInfo), (status = 403), (status = 404, description = "etl_run_not_found")))]
pub async fn get_run(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<RunInfo>, ApiError> {
    Ok(Json(runs::get_run(&s.services.tables, &u, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The records a run kept aside, each with why and the record as the source sent it.
#[utoipa::path(get, path = "/etl/runs/{id}/rejections", tag = "etl", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = Vec<Rejection>), (status = 403), (status = 404, description = "etl_run_not_found")))]
pub async fn run_rejections(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiQuery(p): ApiQuery<PageParams>) -> Result<Json<Vec<Rejection>>, ApiError> {
    Ok(Json(runs::rejections(&s.services.tables, &u, id, p.offset.unwrap_or(0), p.limit.unwrap_or(100)).await?))
}

/// The seeds' metrics API: the funnel by `channel`, `campaign` or `date`, filtered by
/// `from`, `to`, `campaign_id` and `utm_*`, with `limit` and `offset`.
#[utoipa::path(get, path = "/etl/metrics/{dimension}", tag = "etl", params(("dimension" = Dimension, Path), FunnelQuery),
    responses((status = 200, body = FunnelPage), (status = 400, description = "malformed_request"), (status = 403), (status = 409, description = "etl_table_conflict")))]
pub async fn metrics(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(dim): ApiPath<Dimension>, ApiQuery(q): ApiQuery<FunnelQuery>) -> Result<Json<FunnelPage>, ApiError> {
    Ok(Json(funnel::metrics(&s.services.tables, &u, dim, &q).await?))
}

/// The seeds' `/admin/cleanup`: delete what is older than `DATA_RETENTION_DAYS`; what went.
#[utoipa::path(post, path = "/etl/cleanup", tag = "etl", responses((status = 200, body = CleanupReport), (status = 403)))]
pub async fn cleanup(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<CleanupReport>, ApiError> {
    Ok(Json(retention::cleanup(&s.services.tables, &u, s.services.retention_days).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DimensionParams {
    /// `channel` (default), `campaign` or `date`.
    pub dimension: Option<Dimension>,
}

/// Send the funnel to `SINK_URL`, signed (`X-Signature`, and the Standard Webhooks headers).
#[utoipa::path(post, path = "/etl/export", tag = "etl", params(DimensionParams, FunnelQuery),
    responses((status = 200, body = ExportReport), (status = 403), (status = 409, description = "etl_sink_not_configured"), (status = 502, description = "etl_sink_failed")))]
pub async fn export(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(d): ApiQuery<DimensionParams>, ApiQuery(q): ApiQuery<FunnelQuery>) -> Result<Json<ExportReport>, ApiError> {
    let dim = d.dimension.unwrap_or(Dimension::Channel);
    Ok(Json(sink::export(&s.services.tables, &s.services.etl.http, s.services.sink.as_ref(), &u, dim, &q).await?))
}

/// Make the funnel by `dimension` a report (an SQL report over the same query as the metrics API).
#[utoipa::path(post, path = "/etl/funnel-report", tag = "etl", params(DimensionParams),
    responses((status = 201, body = ReportCreated), (status = 403, description = "needs report:admin (SQL reports)")))]
pub async fn funnel_report(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(d): ApiQuery<DimensionParams>) -> Result<(StatusCode, Json<ReportCreated>), ApiError> {
    Ok((StatusCode::CREATED, Json(funnel::create_report(&s.services.tables, &u, d.dimension.unwrap_or(Dimension::Channel)).await?)))
}
