//! Uploads arrive as multipart and are streamed to `DATA_DIR/uploads/<id>/` (never held in memory),
//! then read by the engine. The byte limit is enforced while streaming.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use engine::EngineError;
use engine::ingest::{
    ColumnTypeOverride, FileSummary, NewUpload, PipelineOptions, RejectedPage, TablePreview, UploadListItem, UploadSummary,
    delete_upload, ingest_upload, list_uploads, override_column_type, rejected_rows, table_preview, upload_summary,
};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::{ApiError, bad_request};
use super::session::AuthUser;
use crate::state::AppState;

/// Upload a file (multipart field `file`): it is read, typed and stored; unreadable rows are kept aside.
/// A ZIP's entries are each read; entries that are not data are listed under `skipped`, corrupt files
/// under `failed`, and a hostile archive (zip bomb, path traversal) is refused as a whole.
#[utoipa::path(post, path = "/uploads", tag = "uploads",
    request_body(content_type = "multipart/form-data",
                 description = "field `file`: .csv .tsv .txt .json .jsonl .ndjson .xlsx .xlsm .xls .xlsb .ods or a .zip of them"),
    responses((status = 201, body = UploadSummary), (status = 400, description = "Not a multipart upload"),
              (status = 413, description = "Larger than UPLOAD_MAX_BYTES"),
              (status = 422, description = "The file cannot be read or was refused; `details` names the file and the reason")))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<UploadSummary>), ApiError> {
    // Refuse before anything touches the disk; the engine checks again for every other caller.
    user.require(engine::auth::Permission::DatasetCreate)?;
    let limit = state.services.upload_max_bytes;
    let id = Uuid::new_v4();
    let dir = state.services.data_dir.join("uploads").join(id.to_string());
    loop {
        let field = multipart.next_field().await.map_err(|e| multipart_error(e, limit))?;
        let Some(mut field) = field else {
            return Err(bad_request("the multipart body has no field named `file`".into()));
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = sanitise_name(field.file_name().unwrap_or("upload.csv"));
        tokio::fs::create_dir_all(&dir).await.map_err(EngineError::from)?;
        let path = dir.join("original");
        let mut file = tokio::fs::File::create(&path).await.map_err(EngineError::from)?;
        let mut size: u64 = 0;
        let written: Result<(), ApiError> = async {
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                size += chunk.len() as u64;
                if size > limit {
                    return Err(ApiError(EngineError::UploadTooLarge { limit }));
                }
                file.write_all(&chunk).await.map_err(EngineError::from)?;
            }
            file.flush().await.map_err(EngineError::from)?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(e);
        }
        // The ingest runs as its own task so that a client hanging up cancels it (through the guard)
        // and it still cleans up after itself, instead of being dropped halfway.
        let cancel = CancellationToken::new();
        let _cancel_on_drop = cancel.clone().drop_guard();
        let services = state.services.clone();
        let task = tokio::spawn(async move {
            let opts = PipelineOptions { cancel, ..services.pipeline_options() };
            let up = NewUpload { id, name: &name, path: &path, size_bytes: size as i64 };
            let summary = ingest_upload(&services.pool, &user, up, &services.ingest_limits, &opts).await;
            if summary.is_err() {
                let _ = tokio::fs::remove_dir_all(&dir).await;
            }
            summary
        });
        let summary = task.await.map_err(EngineError::internal)?;
        return Ok((StatusCode::CREATED, Json(summary?)));
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(EngineError::UploadTooLarge { limit })
    } else {
        bad_request(format!("the upload could not be read: {}", e.body_text()))
    }
}

/// Keeps the last path component and drops control characters: a name is for display, never a path.
fn sanitise_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() { "upload".into() } else { clean }
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
#[utoipa::path(get, path = "/uploads/{id}", tag = "uploads", params(("id" = Uuid, Path)),
    responses((status = 200, body = UploadSummary), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<UploadSummary>, ApiError> {
    Ok(Json(upload_summary(&state.services.pool, &user, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    #[serde(default)]
    offset: i64,
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
    Ok(Json(rejected_rows(&state.services.pool, &user, id, p.offset, p.limit).await?))
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

#[cfg(test)]
mod tests {
    #[test]
    fn names_never_become_paths() {
        assert_eq!(super::sanitise_name("../../etc/passwd"), "passwd");
        assert_eq!(super::sanitise_name("C:\\x\\gastos.csv"), "gastos.csv");
        assert_eq!(super::sanitise_name("a\u{0}b.csv"), "ab.csv");
        assert_eq!(super::sanitise_name("/"), "upload");
    }
}
