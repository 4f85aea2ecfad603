//! Server functions of the marketing screens: sources (with presets), runs with their rejected
//! records, the funnel, the funnel as a report, the signed export, and the event pipeline's figures.

use engine::etl::wire::{Dimension, ExportReport, FunnelPage, FunnelQuery, Preset, Rejection, RunInfo, SourceInfo, SourceInput};
use engine::events::PipelineStats;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// What the marketing page shows at once, with what the reader may do there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketingOverview {
    pub sources: Vec<SourceInfo>,
    pub runs: Vec<RunInfo>,
    pub presets: Vec<Preset>,
    pub can_admin: bool,
    pub can_report: bool,
    pub sink_configured: bool,
}

#[server(prefix = "/api/read")]
pub async fn get_marketing() -> Result<MarketingOverview, AppError> {
    use engine::auth::Permission;
    let user = ssr::user().await?;
    let services = ssr::services()?;
    let store = &services.tables;
    let sources = engine::etl::sources::list_sources(store, &user).await.map_err(ssr::fail)?;
    let runs = engine::etl::runs::list_runs(store, &user, None, 20).await.map_err(ssr::fail)?;
    Ok(MarketingOverview {
        sources,
        runs,
        presets: engine::etl::presets::all(),
        can_admin: user.can(Permission::EtlAdmin),
        can_report: user.can(Permission::ReportAdmin),
        sink_configured: services.sink.is_some(),
    })
}

/// Creates a source when `id` is none, else replaces source `id` (at `input.version`).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_etl_source(id: Option<Uuid>, input: SourceInput) -> Result<SourceInfo, AppError> {
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    match id {
        None => engine::etl::sources::create_source(&store, &user, input).await,
        Some(id) => engine::etl::sources::update_source(&store, &user, id, input).await,
    }
    .map_err(ssr::fail)
}

#[server]
pub async fn delete_etl_source(id: Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::etl::sources::delete_source(&ssr::services()?.tables, &user, id).await.map_err(ssr::fail)
}

/// Starts a run of `source` now (incremental from its cursor).
#[server]
pub async fn run_etl_source(source: Uuid) -> Result<RunInfo, AppError> {
    let user = ssr::user().await?;
    engine::etl::runs::start_run(&ssr::services()?.tables, Some(&user), source, None, "manual").await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_etl_run(id: Uuid) -> Result<RunInfo, AppError> {
    let user = ssr::user().await?;
    engine::etl::runs::get_run(&ssr::services()?.tables, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_etl_rejections(id: Uuid, offset: i64) -> Result<Vec<Rejection>, AppError> {
    let user = ssr::user().await?;
    engine::etl::runs::rejections(&ssr::services()?.tables, &user, id, offset, 50).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn get_funnel(dimension: Dimension, query: FunnelQuery) -> Result<FunnelPage, AppError> {
    let user = ssr::user().await?;
    engine::etl::funnel::metrics(&ssr::services()?.tables, &user, dimension, &query).await.map_err(ssr::fail)
}

/// Saves the funnel by `dimension` as a report; its id.
#[server]
pub async fn make_funnel_report(dimension: Dimension) -> Result<Uuid, AppError> {
    let user = ssr::user().await?;
    Ok(engine::etl::funnel::create_report(&ssr::services()?.tables, &user, dimension).await.map_err(ssr::fail)?.id)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn export_funnel(dimension: Dimension, query: FunnelQuery) -> Result<ExportReport, AppError> {
    let user = ssr::user().await?;
    let s = ssr::services()?;
    engine::etl::sink::export(&s.tables, &s.etl.http, s.sink.as_ref(), &user, dimension, &query).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_event_stats() -> Result<PipelineStats, AppError> {
    let user = ssr::user().await?;
    user.require(engine::auth::Permission::EtlRead).map_err(ssr::fail)?;
    Ok(ssr::services()?.events.stats().await)
}
