//! Server functions of reports: the list, the builder's sources, fields and live preview, saving
//! (a new version each time), running with parameters, grants, and shared links.

use engine::reports::{Drawn, LinkCreated, LinkInfo, LinkToken, NewLink, NewReport, Report, ReportCreated, ReportGrant, ReportSpec, ReportSummary, Source, SourceFieldInfo};
use leptos::prelude::*;
use serde_json::{Map, Value};

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// The reports screen: the reports the user may run, and what the user may do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportsOverview {
    pub reports: Vec<ReportSummary>,
    /// May build reports (`report:create`).
    pub can_create: bool,
    /// Sees every shared link (`report:admin`).
    pub can_admin: bool,
}

#[server(prefix = "/api/read")]
pub async fn get_reports() -> Result<ReportsOverview, AppError> {
    use engine::auth::Permission;
    let user = ssr::user().await?;
    let reports = engine::reports::store::list(&ssr::services()?.pool, &user).await.map_err(ssr::fail)?;
    Ok(ReportsOverview { reports, can_create: user.can(Permission::ReportCreate), can_admin: user.can(Permission::ReportAdmin) })
}

/// What a report can be built over: the governed tables the user reads, the finished runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportSources {
    pub tables: Vec<String>,
    /// (run id, what it classified, when).
    pub runs: Vec<(uuid::Uuid, String)>,
    /// May write SQL reports (`report:admin`).
    pub can_sql: bool,
}

#[server(prefix = "/api/read")]
pub async fn get_report_sources() -> Result<ReportSources, AppError> {
    use engine::auth::Permission;
    let user = ssr::user().await?;
    let services = ssr::services()?;
    let tables = engine::eav::schema::tables::list_tables(&services.tables, &user).await.map_err(ssr::fail)?.into_iter().map(|t| t.table_name).collect();
    let runs = if user.can(Permission::DatasetRead) {
        engine::classify::runs::list_runs(&services.pool, &user, None)
            .await
            .map_err(ssr::fail)?
            .into_iter()
            .filter(|r| r.status == engine::classify::RunStatus::Succeeded)
            .map(|r| (r.id, format!("{} · {}", r.dataset_name, r.created_at.format("%Y-%m-%d %H:%M"))))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReportSources { tables, runs, can_sql: user.can(Permission::ReportAdmin) })
}

#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn get_report_fields(source: Source) -> Result<Vec<SourceFieldInfo>, AppError> {
    let user = ssr::user().await?;
    engine::reports::source::fields(&ssr::services()?.tables, &user, &source).await.map_err(ssr::fail)
}

/// The builder's live preview: the spec as it stands, run over its first rows, drawn.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn preview_report(spec: ReportSpec) -> Result<Drawn, AppError> {
    let user = ssr::user().await?;
    let result = engine::reports::execute::preview(&ssr::services()?.tables, &user, &spec, &Map::new(), 200).await.map_err(ssr::fail)?;
    let svg = engine::reports::execute::draw(spec.chart.as_ref(), &result);
    Ok(Drawn { result, svg })
}

#[server(prefix = "/api/read")]
pub async fn get_report(id: uuid::Uuid) -> Result<Report, AppError> {
    let user = ssr::user().await?;
    engine::reports::store::get(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// Saves a new report, or a new version of `id`.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_report(id: Option<uuid::Uuid>, req: NewReport) -> Result<ReportCreated, AppError> {
    let user = ssr::user().await?;
    let tables = ssr::services()?.tables;
    match id {
        Some(id) => engine::reports::store::update(&tables, &user, id, &req).await,
        None => engine::reports::store::create(&tables, &user, &req).await,
    }
    .map_err(ssr::fail)
}

#[server]
pub async fn delete_report(id: uuid::Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::reports::store::delete(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// One page of a saved report's answer with its chart: `version` none is the newest.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn run_report(id: uuid::Uuid, version: Option<i32>, parameters: Map<String, Value>, page: i64) -> Result<Drawn, AppError> {
    use engine::reports::{ExecuteRequest, Pagination};
    let user = ssr::user().await?;
    let tables = ssr::services()?.tables;
    let req = ExecuteRequest { report_id: id, version, parameters, fields: vec![], pagination: Pagination { page_size: 100, page_number: Some(page.max(1)), cursor: None }, sorting: vec![] };
    let result = engine::reports::execute::execute(&tables, &engine::reports::execute::Runner::User(user), &req).await.map_err(ssr::fail)?;
    let (_, spec) = engine::reports::store::spec_of(&tables.pool, id, Some(result.metadata.version)).await.map_err(ssr::fail)?;
    let svg = engine::reports::execute::draw(spec.chart.as_ref(), &result);
    Ok(Drawn { result, svg })
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn set_report_grants(id: uuid::Uuid, grants: Vec<ReportGrant>) -> Result<Vec<ReportGrant>, AppError> {
    let user = ssr::user().await?;
    engine::reports::store::set_grants(&ssr::services()?.pool, &user, id, &grants).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_report_links(id: uuid::Uuid) -> Result<Vec<LinkInfo>, AppError> {
    let user = ssr::user().await?;
    engine::reports::links::list(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// A new shared link; its token is in this answer only.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn create_report_link(id: uuid::Uuid, req: NewLink) -> Result<LinkCreated, AppError> {
    let user = ssr::user().await?;
    engine::reports::links::create(&ssr::services()?.tables, &user, id, &req).await.map_err(ssr::fail)
}

#[server]
pub async fn revoke_report_link(link: uuid::Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::reports::links::revoke(&ssr::services()?.pool, &user, link).await.map_err(ssr::fail)
}

#[server]
pub async fn rotate_report_link(link: uuid::Uuid) -> Result<LinkToken, AppError> {
    let user = ssr::user().await?;
    engine::reports::links::rotate(&ssr::services()?.pool, &user, link).await.map_err(ssr::fail)
}

/// Every link of every report (admins).
#[server(prefix = "/api/read")]
pub async fn get_link_inventory() -> Result<Vec<LinkInfo>, AppError> {
    let user = ssr::user().await?;
    engine::reports::links::inventory(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}
