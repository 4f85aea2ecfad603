//! Server functions of datasets: list, build from an upload, read rows, delete, share.

use engine::clean::{DatasetDetail, DatasetRowsPage, DatasetShare, DatasetSummary, NewDataset, RowsQuery};
use leptos::prelude::*;
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, AppError> {
    let user = ssr::user().await?;
    engine::clean::list_datasets(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server]
pub async fn build_dataset(req: NewDataset) -> Result<DatasetSummary, AppError> {
    let user = ssr::user().await?;
    engine::clean::create_dataset(&ssr::services()?.pool, &user, &req).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_dataset(id: Uuid) -> Result<DatasetDetail, AppError> {
    let user = ssr::user().await?;
    engine::clean::dataset_detail(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_dataset_rows(id: Uuid, query: RowsQuery) -> Result<DatasetRowsPage, AppError> {
    let user = ssr::user().await?;
    engine::clean::dataset_rows(&ssr::services()?.pool, &user, id, &query).await.map_err(ssr::fail)
}

#[server]
pub async fn remove_dataset(id: Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::clean::delete_dataset(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn dataset_shares(id: Uuid) -> Result<Vec<DatasetShare>, AppError> {
    let user = ssr::user().await?;
    engine::clean::shares::list_shares(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn share_dataset(id: Uuid, username: String) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::clean::shares::share(&ssr::services()?.pool, &user, id, &username).await.map_err(ssr::fail)
}

#[server]
pub async fn unshare_dataset(id: Uuid, user_id: Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::clean::shares::unshare(&ssr::services()?.pool, &user, id, user_id).await.map_err(ssr::fail)
}
