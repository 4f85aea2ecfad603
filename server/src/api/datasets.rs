use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::clean::{DatasetSummary, NewDataset, create_dataset, dataset_summary, list_datasets};
use uuid::Uuid;

use super::error::ApiError;
use super::session::AuthUser;
use crate::state::AppState;

/// Clean and de-duplicate one column of an uploaded table into a dataset of unique lines.
#[utoipa::path(post, path = "/datasets", tag = "datasets", request_body = NewDataset,
    responses((status = 201, body = DatasetSummary), (status = 404), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<NewDataset>, JsonRejection>,
) -> Result<(StatusCode, Json<DatasetSummary>), ApiError> {
    let Json(req) = body?;
    Ok((StatusCode::CREATED, Json(create_dataset(&state.services.pool, &user, &req).await?)))
}

#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets", params(("id" = Uuid, Path)),
    responses((status = 200, body = DatasetSummary), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<Uuid>) -> Result<Json<DatasetSummary>, ApiError> {
    Ok(Json(dataset_summary(&state.services.pool, &user, id).await?))
}

#[utoipa::path(get, path = "/datasets", tag = "datasets", responses((status = 200, body = Vec<DatasetSummary>)))]
pub async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Vec<DatasetSummary>>, ApiError> {
    Ok(Json(list_datasets(&state.services.pool, &user).await?))
}
