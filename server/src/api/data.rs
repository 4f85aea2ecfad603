//! Rows of governed tables (seed 004 §10.1): `/data/{table}` (+ `/{id}`, `/query`, `/batch`).
//! An id that is not a UUID is 400, an unknown table or row 404, a broken rule 422 with the column
//! and the rule's message, a stale version 409 with the current row.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::eav::{BatchRequest, BatchResponse, RowChange, RowData, RowInput, RowPage, RowPatch, RowQuery, query, read, rows};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::AuthUser;
use crate::state::AppState;

/// Create a row. Values are typed by the column (`29.99` for a Decimal, `"2024-05-01"` for a Date);
/// names the table does not define go to `extended_properties`.
#[utoipa::path(post, path = "/data/{table}", tag = "data", params(("table" = String, Path)), request_body = RowInput,
    responses((status = 201, body = RowData), (status = 403), (status = 404, description = "logical_table_not_found"),
              (status = 422, description = "value_invalid, value_required, rule_violated, unique_violated, reference_missing, check_failed, parent_invalid")))]
pub async fn create(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(table): ApiPath<String>, ApiJson(input): ApiJson<RowInput>) -> Result<(StatusCode, Json<RowData>), ApiError> {
    Ok((StatusCode::CREATED, Json(rows::create_row(&s.services.tables, &u, &table, input).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1 to 1000 (default 50).
    #[serde(rename = "pageSize")]
    #[param(rename = "pageSize")]
    page_size: Option<i64>,
    /// The `next_key_set` of the previous page.
    cursor: Option<String>,
}

/// Rows in code order, a keyset page at a time.
#[utoipa::path(get, path = "/data/{table}", tag = "data", params(("table" = String, Path), ListParams),
    responses((status = 200, body = RowPage), (status = 403), (status = 404)))]
pub async fn list(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(table): ApiPath<String>, ApiQuery(p): ApiQuery<ListParams>) -> Result<Json<RowPage>, ApiError> {
    Ok(Json(query::list_rows(&s.services.tables, &u, &table, p.page_size, p.cursor).await?))
}

/// One row, masked columns masked unless the reader holds `table:unmask`.
#[utoipa::path(get, path = "/data/{table}/{id}", tag = "data", params(("table" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = RowData), (status = 400, description = "the id is not a UUID"), (status = 403), (status = 404, description = "logical_table_not_found, row_not_found")))]
pub async fn get(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath((table, id)): ApiPath<(String, Uuid)>) -> Result<Json<RowData>, ApiError> {
    Ok(Json(read::get_row(&s.services.tables, &u, &table, id).await?))
}

/// Change a row: send the `version` read; a stale one is 409 with the current row in `details.current`.
#[utoipa::path(patch, path = "/data/{table}/{id}", tag = "data", params(("table" = String, Path), ("id" = Uuid, Path)), request_body = RowPatch,
    responses((status = 200, body = RowData), (status = 400), (status = 404), (status = 409, description = "row_version_conflict"), (status = 422)))]
pub async fn update(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath((table, id)): ApiPath<(String, Uuid)>, ApiJson(patch): ApiJson<RowPatch>) -> Result<Json<RowData>, ApiError> {
    Ok(Json(rows::update_row(&s.services.tables, &u, &table, id, patch).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Delete only if the row is still at this version.
    version: Option<i32>,
}

/// Delete a row; rows pointing at it follow their foreign key's on-delete action (409 `row_referenced`
/// when it is restrict).
#[utoipa::path(delete, path = "/data/{table}/{id}", tag = "data", params(("table" = String, Path), ("id" = Uuid, Path), DeleteParams),
    responses((status = 204), (status = 400), (status = 404), (status = 409, description = "row_referenced, row_version_conflict")))]
pub async fn delete(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath((table, id)): ApiPath<(String, Uuid)>, ApiQuery(p): ApiQuery<DeleteParams>) -> Result<StatusCode, ApiError> {
    rows::delete_row(&s.services.tables, &u, &table, id, p.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Filters (`eq ne gt gte lt lte in not_in contains starts_with is_null between`) on promoted
/// fields, columns and `ext.<path>`, sorting, keyset pages (`next_key_set` only when the page is full).
#[utoipa::path(post, path = "/data/{table}/query", tag = "data", params(("table" = String, Path)), request_body = RowQuery,
    responses((status = 200, body = RowPage), (status = 403), (status = 404), (status = 422, description = "field_unknown, value_invalid, invalid_input")))]
pub async fn query_rows(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(table): ApiPath<String>, ApiJson(q): ApiJson<RowQuery>) -> Result<Json<RowPage>, ApiError> {
    Ok(Json(query::query_rows(&s.services.tables, &u, &table, &q).await?))
}

/// Up to 10,000 creates, updates and deletes. `abort`: one transaction, nothing applied if any
/// fails; `continue`: every operation that can be applied is, each failure reported with its reason.
#[utoipa::path(post, path = "/data/{table}/batch", tag = "data", params(("table" = String, Path)), request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), (status = 403), (status = 404), (status = 422)))]
pub async fn batch(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(table): ApiPath<String>, ApiJson(req): ApiJson<BatchRequest>) -> Result<Json<BatchResponse>, ApiError> {
    Ok(Json(rows::batch(&s.services.tables, &u, &table, &req).await?))
}

/// A row's changes, newest first: who, when, the row before and after (masked as reads are).
#[utoipa::path(get, path = "/data/{table}/{id}/history", tag = "data", params(("table" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<RowChange>), (status = 400), (status = 403), (status = 404, description = "logical_table_not_found")))]
pub async fn row_history(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath((table, id)): ApiPath<(String, Uuid)>) -> Result<Json<Vec<RowChange>>, ApiError> {
    Ok(Json(read::row_history(&s.services.tables, &u, &table, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default; streamed, any size) or `xlsx`.
    format: Option<String>,
    /// The view, as the JSON of a query body: `{"filters": [...], "sorting": [...], "fields": [...]}`.
    view: Option<String>,
    /// `es` (default) or `en`: header words, decimal mark, yes/no.
    lang: Option<String>,
    /// CSV: `;` (default) or `,`.
    sep: Option<String>,
}

/// The rows a view keeps, in its order and with its columns, as a file (masked as reads are).
#[utoipa::path(get, path = "/data/{table}/export", tag = "data", params(("table" = String, Path), ExportParams),
    responses((status = 200, content_type = "text/csv"), (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 403), (status = 404), (status = 422, description = "field_unknown, invalid_input")))]
pub async fn export(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(table): ApiPath<String>, ApiQuery(p): ApiQuery<ExportParams>) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    use futures::StreamExt;
    let view: RowQuery = match p.view.as_deref() {
        Some(v) => serde_json::from_str(v).map_err(|e| ApiError(engine::EngineError::invalid(format!("view is not a query: {e}"))))?,
        None => RowQuery::default(),
    };
    let lang = super::extract::query_lang(p.lang.as_deref())?;
    let store = s.services.tables.clone();
    let disposition = |ext: &str| format!("attachment; filename=\"{}.{ext}\"", table.replace(['"', '\\'], ""));
    match p.format.as_deref().unwrap_or("csv") {
        "csv" => {
            let separator = super::extract::query_separator(p.sep.as_deref())?;
            let opts = engine::export::ExportOptions { lang, separator };
            let stream = engine::eav::export::csv_stream(store, u, table.clone(), view, opts).await?;
            let body = axum::body::Body::from_stream(stream.map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string()))));
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition("csv"))], body).into_response())
        }
        "xlsx" => {
            let stream = engine::eav::export::xlsx_stream(&store, &u, &table, view, lang).await?;
            let body = axum::body::Body::from_stream(stream.map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string()))));
            let mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string();
            Ok(([(header::CONTENT_TYPE, mime), (header::CONTENT_DISPOSITION, disposition("xlsx"))], body).into_response())
        }
        other => Err(ApiError(engine::EngineError::invalid(format!("unknown format '{other}': use csv or xlsx")))),
    }
}
