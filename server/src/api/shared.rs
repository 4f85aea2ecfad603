//! Shared links, opened without an account: `/shared/{token}` (the report's face and a page of
//! its answer), `/unlock` (a protected link's password), `/export` (when the link allows it) and
//! `/suggest` (values of a parameter, under the link's locks). Every refusal of the token itself
//! is the same 404; every open is logged.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use engine::reports::execute::Runner;
use engine::reports::links::{self, OpenLink};
use engine::reports::{ExecuteRequest, Pagination, SharedParameter, SharedReport, Unlocked, UnlockRequest, store};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::reports::{ExportParams, file, parameter_pairs};
use super::session::Caller;
use crate::state::AppState;

/// The cookie a protected link's unlock is kept in: one per link (named by its token's hash), so
/// two links open in one browser keep theirs.
pub fn unlock_cookie(token: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(token.as_bytes());
    format!("dgs_unlock_{}", h.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>())
}

/// The unlock a request carries: the `X-Link-Unlock` header, or the link's cookie.
pub fn unlock_of(headers: &HeaderMap, token: &str) -> Option<String> {
    if let Some(v) = headers.get("x-link-unlock").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    let name = unlock_cookie(token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The reserved names of a shared query string; any other sets a parameter.
const PAGING: [&str; 2] = ["page", "page_size"];

/// The link `token` opens with the answer's page, and what its viewer sees of the report.
pub async fn shared_report(s: &AppState, open: &OpenLink, query: Option<&str>, address: Option<String>) -> Result<SharedReport, engine::EngineError> {
    let pool = &s.services.pool;
    let (_, spec) = store::spec_of(pool, open.report_id, None).await?;
    let pairs: Vec<(String, String)> = parameter_pairs(query).into_iter().filter(|(k, _)| !PAGING.contains(&k.as_str())).collect();
    let given = links::params_from_query(&spec, &pairs)?;
    let paging: Map<String, Value> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).filter(|(k, _)| PAGING.contains(&k.as_ref())).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
    let page_size = paging.get("page_size").and_then(Value::as_str).and_then(|v| v.parse().ok()).unwrap_or(100);
    let page_number = paging.get("page").and_then(Value::as_str).and_then(|v| v.parse().ok());
    let req = ExecuteRequest { report_id: open.report_id, version: None, parameters: given.clone(), fields: vec![], pagination: Pagination { page_size, page_number, cursor: None }, sorting: vec![] };
    let result = engine::reports::execute::execute(&s.services.tables, &Runner::Link { id: open.id, locked: open.locked.clone() }, &req).await?;
    links::record_open(pool.clone(), open.id, address, "data", given.clone());
    let description: String = sqlx::query_scalar("SELECT description FROM reports WHERE id = $1").bind(open.report_id).fetch_one(pool).await.map_err(engine::EngineError::from)?;
    let parameters = spec
        .parameters()
        .into_iter()
        .map(|f| {
            let locked = open.locked.iter().find(|(k, _)| k.eq_ignore_ascii_case(&f.field)).map(|(_, v)| v.clone());
            let chosen = given.iter().find(|(k, _)| k.eq_ignore_ascii_case(&f.field)).map(|(_, v)| v.clone());
            SharedParameter { field: f.field.clone(), operator: f.operator, editable: locked.is_none(), value: locked.or(chosen).unwrap_or_else(|| f.value.clone()) }
        })
        .collect();
    Ok(SharedReport { name: result.report_name.clone(), description, chart: spec.chart, parameters, allow_export: open.allow_export, result })
}

/// The report behind a shared link: its name, chart, parameters (which the viewer may change) and
/// one page of its answer. Other query names set parameters; `page` and `page_size` page it.
#[utoipa::path(get, path = "/shared/{token}", tag = "shared", params(("token" = String, Path)),
    responses((status = 200, body = SharedReport), (status = 400, description = "report_parameter_invalid"),
              (status = 401, description = "link_password_required"), (status = 404, description = "link_not_found"), (status = 429)))]
pub async fn data(State(s): State<AppState>, caller: Caller, ApiPath(token): ApiPath<String>, headers: HeaderMap, uri: axum::http::Uri) -> Result<Json<SharedReport>, ApiError> {
    let open = links::open(&s.services.pool, &token, unlock_of(&headers, &token).as_deref()).await?;
    Ok(Json(shared_report(&s, &open, uri.query(), caller.client.ip).await?))
}

/// A protected link's password: the answer (and a cookie for this link) lets this browser in for
/// 12 hours. A wrong password is answered as an unknown link; five lock the link for 15 minutes.
#[utoipa::path(post, path = "/shared/{token}/unlock", tag = "shared", params(("token" = String, Path)), request_body = UnlockRequest,
    responses((status = 200, body = Unlocked), (status = 404, description = "link_not_found"), (status = 429)))]
pub async fn unlock(State(s): State<AppState>, ApiPath(token): ApiPath<String>, ApiJson(req): ApiJson<UnlockRequest>) -> Result<Response, ApiError> {
    let done = links::unlock(&s.services.pool, &token, &req.password).await?;
    let cookie = unlock_set_cookie(&s, &token, &done);
    Ok(([(header::SET_COOKIE, cookie)], Json(done)).into_response())
}

pub fn unlock_set_cookie(s: &AppState, token: &str, done: &Unlocked) -> String {
    let secure = if s.public_url.scheme() == "https" { "; Secure" } else { "" };
    format!("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}", unlock_cookie(token), done.unlock, 12 * 3600)
}

/// The report's whole answer as CSV or XLSX, when the link allows exports (else as unknown).
#[utoipa::path(get, path = "/shared/{token}/export", tag = "shared", params(("token" = String, Path), ExportParams),
    responses((status = 200, content_type = "text/csv"), (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 401, description = "link_password_required"), (status = 404, description = "link_not_found")))]
pub async fn export(State(s): State<AppState>, caller: Caller, ApiPath(token): ApiPath<String>, ApiQuery(p): ApiQuery<ExportParams>, headers: HeaderMap, uri: axum::http::Uri) -> Result<Response, ApiError> {
    let open = links::open(&s.services.pool, &token, unlock_of(&headers, &token).as_deref()).await?;
    if !open.allow_export {
        return Err(ApiError(engine::EngineError::NotFound(engine::Resource::ReportLink)));
    }
    if p.version.is_some() {
        return Err(ApiError(engine::reports::ReportError::ParameterInvalid { parameter: "version".into(), message: "a link shows its report as it is".into() }.into()));
    }
    let (_, spec) = store::spec_of(&s.services.pool, open.report_id, None).await?;
    let given = links::params_from_query(&spec, &parameter_pairs(uri.query()))?;
    links::record_open(s.services.pool.clone(), open.id, caller.client.ip.clone(), "export", given.clone());
    file(&s, Runner::Link { id: open.id, locked: open.locked.clone() }, open.report_id, p, given).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// A parameter of the report.
    pub field: String,
    /// Only values containing this (text fields).
    pub q: Option<String>,
}

/// Values a viewer may pick for a parameter: the locked one when the link fixes it, else the
/// values the report's own rows hold (never values the link's locks hide).
#[utoipa::path(get, path = "/shared/{token}/suggest", tag = "shared", params(("token" = String, Path), SuggestParams),
    responses((status = 200, body = Vec<Object>), (status = 400, description = "report_parameter_invalid"), (status = 404, description = "link_not_found")))]
pub async fn suggest(State(s): State<AppState>, ApiPath(token): ApiPath<String>, ApiQuery(p): ApiQuery<SuggestParams>, headers: HeaderMap) -> Result<Json<Vec<Value>>, ApiError> {
    let open = links::open(&s.services.pool, &token, unlock_of(&headers, &token).as_deref()).await?;
    Ok(Json(links::suggest(&s.services.tables, &open, &p.field, p.q.as_deref()).await?))
}
