//! Server functions of uploads: the recent list, one upload with its files, a table's preview,
//! column types, rejected rows, deletion.

use engine::ingest::{ColumnType, FileSummary, RejectedPage, TablePreview, UploadListItem, UploadSummary};
use leptos::prelude::*;
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn recent_uploads() -> Result<Vec<UploadListItem>, AppError> {
    let user = ssr::user().await?;
    engine::ingest::list_uploads(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_upload(id: Uuid) -> Result<UploadSummary, AppError> {
    let user = ssr::user().await?;
    engine::ingest::upload_summary(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn preview_table(upload_id: Uuid, table_id: Uuid) -> Result<TablePreview, AppError> {
    let user = ssr::user().await?;
    engine::ingest::table_preview(&ssr::services()?.pool, &user, upload_id, table_id, 12).await.map_err(ssr::fail)
}

#[server]
pub async fn set_column_type(upload_id: Uuid, table_id: Uuid, column: String, kind: ColumnType) -> Result<FileSummary, AppError> {
    let user = ssr::user().await?;
    let change = engine::ingest::ColumnTypeOverride { column, kind };
    engine::ingest::override_column_type(&ssr::services()?.pool, &user, upload_id, table_id, &change).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn upload_rejected(upload_id: Uuid, offset: i64) -> Result<RejectedPage, AppError> {
    let user = ssr::user().await?;
    engine::ingest::rejected_rows(&ssr::services()?.pool, &user, upload_id, offset, 50).await.map_err(ssr::fail)
}

#[server]
pub async fn remove_upload(id: Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    let services = ssr::services()?;
    engine::ingest::delete_upload(&services.pool, &user, id, &services.data_dir).await.map_err(ssr::fail)
}
