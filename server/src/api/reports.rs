//! Reports (seed 004 §18): `/reports` (CRUD with versions, grants, exports), the seed's
//! `POST /reports/execute`, and shared links (`/reports/{id}/links`, revoke, rotate, the admins'
//! inventory).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::reports::execute::Runner;
use engine::reports::{ExecuteRequest, ExecuteResponse, LinkCreated, LinkInfo, LinkToken, NewLink, NewReport, Report, ReportCreated, ReportGrant, ReportSummary};
use engine::reports::{execute, export, links, store};
use futures::StreamExt;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::AuthUser;
use crate::state::AppState;

/// Save a report: its spec compiles over its source as you may read it, or 422 says where not.
#[utoipa::path(post, path = "/reports", tag = "reports", request_body = NewReport,
    responses((status = 201, body = ReportCreated), (status = 403), (status = 404, description = "logical_table_not_found, run_not_found"),
              (status = 422, description = "report_spec_invalid, report_field_masked")))]
pub async fn create(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<NewReport>) -> Result<(StatusCode, Json<ReportCreated>), ApiError> {
    Ok((StatusCode::CREATED, Json(store::create(&s.services.tables, &u, &req).await?)))
}

/// The reports you may run, newest change first.
#[utoipa::path(get, path = "/reports", tag = "reports", responses((status = 200, body = Vec<ReportSummary>)))]
pub async fn list(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<Vec<ReportSummary>>, ApiError> {
    Ok(Json(store::list(&s.services.pool, &u).await?))
}

#[utoipa::path(get, path = "/reports/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = Report), (status = 403), (status = 404, description = "report_not_found")))]
pub async fn get(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Report>, ApiError> {
    Ok(Json(store::get(&s.services.pool, &u, id).await?))
}

/// A new version of the report; the earlier ones stay runnable by number.
#[utoipa::path(put, path = "/reports/{id}", tag = "reports", params(("id" = Uuid, Path)), request_body = NewReport,
    responses((status = 200, body = ReportCreated), (status = 403), (status = 404), (status = 422, description = "report_spec_invalid")))]
pub async fn update(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(req): ApiJson<NewReport>) -> Result<Json<ReportCreated>, ApiError> {
    Ok(Json(store::update(&s.services.tables, &u, id, &req).await?))
}

/// Delete a report with its versions, links and audit (its owner or an admin).
#[utoipa::path(delete, path = "/reports/{id}", tag = "reports", params(("id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    store::delete(&s.services.pool, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles that may run the report (and change it, with `can_edit`), replacing the list.
#[utoipa::path(put, path = "/reports/{id}/grants", tag = "reports", params(("id" = Uuid, Path)), request_body = Vec<ReportGrant>,
    responses((status = 200, body = Vec<ReportGrant>), (status = 403), (status = 404, description = "report_not_found, role_not_found")))]
pub async fn set_grants(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(grants): ApiJson<Vec<ReportGrant>>) -> Result<Json<Vec<ReportGrant>>, ApiError> {
    Ok(Json(store::set_grants(&s.services.pool, &u, id, &grants).await?))
}

/// Run a report (seed §18.3): one page of its answer with the total, the fields and the time.
#[utoipa::path(post, path = "/reports/execute", tag = "reports", request_body = ExecuteRequest,
    responses((status = 200, body = ExecuteResponse), (status = 400, description = "report_parameter_invalid, report_version_invalid"),
              (status = 403, description = "forbidden: not yours and not granted"), (status = 404, description = "report_not_found"),
              (status = 503, description = "report_timed_out")))]
pub async fn run(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<ExecuteRequest>) -> Result<Json<ExecuteResponse>, ApiError> {
    Ok(Json(execute::execute(&s.services.tables, &Runner::User(u), &req).await?))
}

/// `format` (`csv` or `xlsx`), `version`, `lang`, `sep`; any other name sets that parameter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    pub format: Option<String>,
    pub version: Option<i32>,
    pub lang: Option<String>,
    pub sep: Option<String>,
}

const RESERVED: [&str; 4] = ["format", "version", "lang", "sep"];

/// The rest of a query string: the report's parameters.
pub fn parameter_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).filter(|(k, _)| !RESERVED.contains(&k.as_ref())).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A report's answer as a file, streamed: CSV, or XLSX with more sheets past Excel's row limit.
pub async fn file(s: &AppState, runner: Runner, report: Uuid, p: ExportParams, params: serde_json::Map<String, serde_json::Value>) -> Result<Response, ApiError> {
    let lang = super::extract::query_lang(p.lang.as_deref())?;
    let disposition = |name: &str| format!("attachment; filename=\"{name}\"");
    let tables = &s.services.tables;
    match p.format.as_deref().unwrap_or("csv") {
        "csv" => {
            let opts = engine::export::ExportOptions { lang, separator: super::extract::query_separator(p.sep.as_deref())? };
            let (name, stream) = export::csv(tables, &runner, report, p.version, &params, opts).await?;
            let body = axum::body::Body::from_stream(stream.map(|c| c.map_err(|e| std::io::Error::other(e.to_string()))));
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition(&name))], body).into_response())
        }
        "xlsx" => {
            let (name, stream) = export::xlsx_file(tables, &runner, report, p.version, &params, lang).await?;
            let body = axum::body::Body::from_stream(stream.map(|c| c.map_err(|e| std::io::Error::other(e.to_string()))));
            let mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string();
            Ok(([(header::CONTENT_TYPE, mime), (header::CONTENT_DISPOSITION, disposition(&name))], body).into_response())
        }
        other => Err(ApiError(engine::EngineError::invalid(format!("unknown format '{other}': use csv or xlsx")))),
    }
}

/// The report's whole answer as CSV or XLSX; other query names set its parameters.
#[utoipa::path(get, path = "/reports/{id}/export", tag = "reports", params(("id" = Uuid, Path), ExportParams),
    responses((status = 200, content_type = "text/csv"), (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 400, description = "report_parameter_invalid"), (status = 403), (status = 404)))]
pub async fn export_file(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiQuery(p): ApiQuery<ExportParams>, uri: axum::http::Uri) -> Result<Response, ApiError> {
    let (_, spec) = store::spec_of(&s.services.pool, id, p.version).await.map_err(ApiError)?;
    let params = links::params_from_query(&spec, &parameter_pairs(uri.query()))?;
    file(&s, Runner::User(u), id, p, params).await
}

/// Make a link that opens the report without an account. The token is in this answer only.
#[utoipa::path(post, path = "/reports/{id}/links", tag = "reports", params(("id" = Uuid, Path)), request_body = NewLink,
    responses((status = 201, body = LinkCreated), (status = 400, description = "report_parameter_invalid: locks only the report's parameters"),
              (status = 403), (status = 404), (status = 422, description = "invalid_input")))]
pub async fn create_link(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(req): ApiJson<NewLink>) -> Result<(StatusCode, Json<LinkCreated>), ApiError> {
    let mut made = links::create(&s.services.tables, &u, id, &req).await?;
    made.url = absolute(&s, &made.url);
    Ok((StatusCode::CREATED, Json(made)))
}

fn absolute(s: &AppState, path: &str) -> String {
    format!("{}{}", s.public_url.as_str().trim_end_matches('/'), path)
}

/// The report's links with their opens (never their tokens).
#[utoipa::path(get, path = "/reports/{id}/links", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<LinkInfo>), (status = 403), (status = 404)))]
pub async fn list_links(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Vec<LinkInfo>>, ApiError> {
    Ok(Json(links::list(&s.services.pool, &u, id).await?))
}

/// Every link of every report (admins, `report:admin`).
#[utoipa::path(get, path = "/reports/links", tag = "reports", responses((status = 200, body = Vec<LinkInfo>), (status = 403)))]
pub async fn inventory(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<Vec<LinkInfo>>, ApiError> {
    Ok(Json(links::inventory(&s.services.pool, &u).await?))
}

/// Revoke a link: the next request through it is refused.
#[utoipa::path(delete, path = "/reports/links/{link_id}", tag = "reports", params(("link_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404, description = "link_not_found")))]
pub async fn revoke_link(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(link_id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    links::revoke(&s.services.pool, &u, link_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new token for the link; the old one is dead at once.
#[utoipa::path(post, path = "/reports/links/{link_id}/rotate", tag = "reports", params(("link_id" = Uuid, Path)),
    responses((status = 200, body = LinkToken), (status = 403), (status = 404, description = "link_not_found")))]
pub async fn rotate_link(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(link_id): ApiPath<Uuid>) -> Result<Json<LinkToken>, ApiError> {
    let mut t = links::rotate(&s.services.pool, &u, link_id).await?;
    t.url = absolute(&s, &t.url);
    Ok(Json(t))
}
