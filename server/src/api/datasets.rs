use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::clean::{
    DatasetDetail, DatasetRowsPage, DatasetSummary, NewDataset, RowsQuery, create_dataset, dataset_detail, dataset_rows,
    delete_dataset, list_datasets,
};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::ApiError;
use super::session::AuthUser;
use crate::state::AppState;

/// Build a dataset from an upload: the chosen tables (all when `table_ids` is empty), the description
/// column(s), cleaning options and a de-duplication strategy (`exact`, `cleaned`, or `key_columns`).
#[utoipa::path(post, path = "/datasets", tag = "datasets", request_body = NewDataset,
    responses((status = 201, body = DatasetSummary), (status = 404), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewDataset>,
) -> Result<(StatusCode, Json<DatasetSummary>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_dataset(&state.services.pool, &user, &req).await?)))
}

/// A dataset with its choices and statistics: rows, unique lines, duplicate groups, largest groups.
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets", params(("id" = Uuid, Path)),
    responses((status = 200, body = DatasetDetail), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<DatasetDetail>, ApiError> {
    Ok(Json(dataset_detail(&state.services.pool, &user, id).await?))
}

/// Deletes a dataset with its unique lines and runs; 409 while one of its runs is active.
#[utoipa::path(delete, path = "/datasets/{id}", tag = "datasets", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    delete_dataset(&state.services.pool, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/datasets", tag = "datasets", responses((status = 200, body = Vec<DatasetSummary>)))]
pub async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Vec<DatasetSummary>>, ApiError> {
    Ok(Json(list_datasets(&state.services.pool, &user).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsParams {
    #[serde(default)]
    offset: i64,
    limit: Option<i64>,
    /// A column name, `row_no` or `group_rows`.
    sort: Option<String>,
    #[serde(default)]
    desc: bool,
    /// Text to search for in every column.
    q: Option<String>,
}

/// A page of the dataset's rows with their original columns, `clean_<name>` columns and unique line.
#[utoipa::path(get, path = "/datasets/{id}/rows", tag = "datasets", params(("id" = Uuid, Path), RowsParams),
    responses((status = 200, body = DatasetRowsPage), (status = 404), (status = 422)))]
pub async fn rows(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<RowsParams>,
) -> Result<Json<DatasetRowsPage>, ApiError> {
    let q = RowsQuery { offset: p.offset, limit: p.limit, sort: p.sort, desc: p.desc, q: p.q };
    Ok(Json(dataset_rows(&state.services.pool, &user, id, &q).await?))
}

/// Who the dataset is shared with (its owner and dataset admins only).
#[utoipa::path(get, path = "/datasets/{id}/shares", tag = "datasets", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<engine::clean::DatasetShare>), (status = 403), (status = 404)))]
pub async fn list_shares(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<engine::clean::DatasetShare>>, ApiError> {
    Ok(Json(engine::clean::shares::list_shares(&state.services.pool, &user, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ShareRequest {
    username: String,
}

/// Share the dataset with a user: they see it, its runs and samples, and act on them within their
/// own permissions. The answer is the same whether or not the name is an active user's (a name
/// nobody has changes nothing), so it cannot be used to find out which names exist.
#[utoipa::path(post, path = "/datasets/{id}/shares", tag = "datasets", params(("id" = Uuid, Path)), request_body = ShareRequest,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
pub async fn share(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ShareRequest>,
) -> Result<StatusCode, ApiError> {
    engine::clean::shares::share(&state.services.pool, &user, id, &req.username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop sharing the dataset with a user.
#[utoipa::path(delete, path = "/datasets/{id}/shares/{user_id}", tag = "datasets",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn unshare(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    engine::clean::shares::unshare(&state.services.pool, &user, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
