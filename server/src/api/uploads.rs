//! Uploads arrive as multipart and are streamed to `DATA_DIR/uploads/<id>/` (never held in memory),
//! then read by the engine. The byte limit is enforced while streaming.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use engine::EngineError;
use engine::ingest::{NewUpload, RejectedRow, UploadSummary, ingest_upload, rejected_rows, upload_summary};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::error::{ApiError, bad_request};
use super::session::AuthUser;
use crate::state::AppState;

/// Upload a file (multipart field `file`): it is read, typed and stored; unreadable rows are kept aside.
#[utoipa::path(post, path = "/uploads", tag = "uploads",
    request_body(content_type = "multipart/form-data", description = "field `file`: a .csv, .tsv or .txt file"),
    responses((status = 201, body = UploadSummary), (status = 413, description = "Larger than UPLOAD_MAX_BYTES"),
              (status = 422, description = "The file cannot be read")))]
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
        let summary = ingest_upload(
            &state.services.pool,
            &user,
            NewUpload { id, name: &name, path: &path, size_bytes: size as i64 },
        )
        .await;
        return match summary {
            Ok(s) => Ok((StatusCode::CREATED, Json(s))),
            Err(e) => {
                let _ = tokio::fs::remove_dir_all(&dir).await;
                Err(e.into())
            }
        };
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

/// An upload with its files, columns and counts.
#[utoipa::path(get, path = "/uploads/{id}", tag = "uploads", params(("id" = Uuid, Path)),
    responses((status = 200, body = UploadSummary), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<Uuid>) -> Result<Json<UploadSummary>, ApiError> {
    Ok(Json(upload_summary(&state.services.pool, &user, id).await?))
}

/// Rows that could not be read, with file, line, raw text and reason.
#[utoipa::path(get, path = "/uploads/{id}/rejected", tag = "uploads", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<RejectedRow>), (status = 404)))]
pub async fn rejected(State(state): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<Uuid>) -> Result<Json<Vec<RejectedRow>>, ApiError> {
    Ok(Json(rejected_rows(&state.services.pool, &user, id).await?))
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
