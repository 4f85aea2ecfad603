//! Uploads arrive as multipart; each chunk goes to the engine's staging (`ingest::staging`), which
//! keeps the byte limit while streaming and then reads the file.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use engine::EngineError;
use engine::ingest::staging::StagedUpload;
use engine::ingest::{
    ColumnTypeOverride, FileSummary, RejectedPage, TablePreview, UploadListItem, UploadSummary, delete_upload, list_uploads,
    override_column_type, rejected_rows, table_preview, upload_summary,
};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, LangQuery};
use super::error::{ApiError, bad_request};
use super::session::AuthUser;
use crate::state::AppState;

/// Upload a file (multipart field `file`): it is read, typed and stored; unreadable rows are kept aside.
/// A ZIP's entries are each read; entries that are not data are listed under `skipped`, corrupt files
/// under `failed`, and a hostile archive (zip bomb, path traversal) is refused as a whole.
#[utoipa::path(post, path = "/uploads", tag = "uploads",
    params(LangQuery),
    request_body(content_type = "multipart/form-data",
                 description = "field `file`: .csv .tsv .txt .json .jsonl .ndjson .xlsx .xlsm .xls .xlsb .ods or a .zip of them"),
    responses((status = 201, body = UploadSummary), (status = 400, description = "Not a multipart upload"),
              (status = 413, description = "Larger than UPLOAD_MAX_BYTES"),
              (status = 507, description = "The disk under DATA_DIR is full (`storage_full`): nothing was stored"),
              (status = 422, description = "The file cannot be read or was refused; `details` names the file and the reason")))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<LangQuery>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<UploadSummary>), ApiError> {
    let lang = q.lang()?;
    let services = &state.services;
    let limit = services.upload_max_bytes;
    loop {
        let field = multipart.next_field().await.map_err(|e| multipart_error(e, limit))?;
        let Some(mut field) = field else {
            return Err(bad_request("the multipart body has no field named `file`".into()));
        };
        if field.name() != Some("file") {
            continue;
        }
        let mut staged = StagedUpload::start(services, &user, field.file_name().unwrap_or("upload.csv")).await?;
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
            if let Err(e) = staged.write(&chunk).await {
                if matches!(e, EngineError::StorageFull) {
                    // Free the space at once, then read the rest of the body without keeping it:
                    // a client still sending would otherwise see a reset connection, not why.
                    drop(staged);
                    while let Ok(Some(_)) = field.chunk().await {}
                }
                return Err(e.into());
            }
        }
        return Ok((StatusCode::CREATED, Json(staged.ingest(services, &user).await?.localised(lang))));
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(EngineError::UploadTooLarge { limit })
    } else {
        bad_request(format!("the upload could not be read: {}", e.body_text()))
    }
}

/// The caller's recent uploads, newest first, with their counts and how many datasets use them.
#[utoipa::path(get, path = "/uploads", tag = "uploads", responses((status = 200, body = Vec<UploadListItem>)))]
pub async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Vec<UploadListItem>>, ApiError> {
    Ok(Json(list_uploads(&state.services.pool, &user).await?))
}

/// Deletes an upload and its rows; 409 while datasets are built from it.
#[utoipa::path(delete, path = "/uploads/{id}", tag = "uploads", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    delete_upload(&state.services.pool, &user, id, &state.services.data_dir).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An upload with its files, columns and counts.
#[utoipa::path(get, path = "/uploads/{id}", tag = "uploads", params(("id" = Uuid, Path), LangQuery),
    responses((status = 200, body = UploadSummary), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Result<Json<UploadSummary>, ApiError> {
    Ok(Json(upload_summary(&state.services.pool, &user, id).await?.localised(q.lang()?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    #[serde(default)]
    offset: i64,
    /// `es` (default) or `en`: the language of the reasons.
    lang: Option<String>,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

/// Rows that could not be read, with file, sheet, line, raw text (truncated) and reason, in file order.
#[utoipa::path(get, path = "/uploads/{id}/rejected", tag = "uploads", params(("id" = Uuid, Path), Paging),
    responses((status = 200, body = RejectedPage), (status = 404)))]
pub async fn rejected(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<Paging>,
) -> Result<Json<RejectedPage>, ApiError> {
    let mut page = rejected_rows(&state.services.pool, &user, id, p.offset, p.limit).await?;
    let lang = super::extract::query_lang(p.lang.as_deref())?;
    for r in &mut page.rows {
        r.reason = engine::ingest::notes::note_text(&r.reason, lang);
    }
    Ok(Json(page))
}

/// The first rows of one table of an upload (at most 200), for a preview.
#[utoipa::path(get, path = "/uploads/{id}/tables/{table_id}/preview", tag = "uploads",
    params(("id" = Uuid, Path), ("table_id" = Uuid, Path), Paging),
    responses((status = 200, body = TablePreview), (status = 404)))]
pub async fn preview(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath((id, table_id)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(p): ApiQuery<Paging>,
) -> Result<Json<TablePreview>, ApiError> {
    Ok(Json(table_preview(&state.services.pool, &user, id, table_id, p.limit).await?))
}

/// Overrides the detected type of one column.
#[utoipa::path(put, path = "/uploads/{id}/tables/{table_id}/column-type", tag = "uploads",
    params(("id" = Uuid, Path), ("table_id" = Uuid, Path)), request_body = ColumnTypeOverride,
    responses((status = 200, body = FileSummary), (status = 404), (status = 422)))]
pub async fn set_column_type(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath((id, table_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(change): ApiJson<ColumnTypeOverride>,
) -> Result<Json<FileSummary>, ApiError> {
    Ok(Json(override_column_type(&state.services.pool, &user, id, table_id, &change).await?))
}
