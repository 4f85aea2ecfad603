//! Prompts and their immutable versions. Every save is a new version; runs record the one they used.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::classify::prompts::{
    create_prompt, duplicate_prompt, list_prompts, prompt_versions, save_version, set_default_prompt, version_detail,
};
use engine::classify::{PromptDiff, PromptDraft, PromptSummary, PromptVersionDetail};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::ApiError;
use super::session::AuthUser;
use crate::state::AppState;

/// The prompts the caller can use: their own, shared ones and the default.
#[utoipa::path(get, path = "/prompts", tag = "prompts", responses((status = 200, body = Vec<PromptSummary>)))]
pub async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Vec<PromptSummary>>, ApiError> {
    Ok(Json(list_prompts(&state.services.pool, &user).await?))
}

/// Creates a prompt (`name` required) with its first version.
#[utoipa::path(post, path = "/prompts", tag = "prompts", request_body = PromptDraft,
    responses((status = 201, body = PromptVersionDetail), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(draft): ApiJson<PromptDraft>,
) -> Result<(StatusCode, Json<PromptVersionDetail>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_prompt(&state.services.pool, &user, &draft).await?)))
}

/// Every version of a prompt, newest first, each with its compiled text.
#[utoipa::path(get, path = "/prompts/{id}/versions", tag = "prompts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<PromptVersionDetail>), (status = 404)))]
pub async fn versions(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Vec<PromptVersionDetail>>, ApiError> {
    Ok(Json(prompt_versions(&state.services.pool, &user, id).await?))
}

/// Saves the next version of a prompt; earlier versions never change.
#[utoipa::path(post, path = "/prompts/{id}/versions", tag = "prompts", params(("id" = Uuid, Path)), request_body = PromptDraft,
    responses((status = 201, body = PromptVersionDetail), (status = 403), (status = 404), (status = 422)))]
pub async fn save(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(draft): ApiJson<PromptDraft>,
) -> Result<(StatusCode, Json<PromptVersionDetail>), ApiError> {
    Ok((StatusCode::CREATED, Json(save_version(&state.services.pool, &user, id, &draft).await?)))
}

/// One version by its id.
#[utoipa::path(get, path = "/prompt-versions/{id}", tag = "prompts", params(("id" = Uuid, Path)),
    responses((status = 200, body = PromptVersionDetail), (status = 404)))]
pub async fn version(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<PromptVersionDetail>, ApiError> {
    Ok(Json(version_detail(&state.services.pool, &user, id).await?))
}

/// Makes the prompt the default (administrators).
#[utoipa::path(put, path = "/prompts/{id}/default", tag = "prompts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn make_default(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    set_default_prompt(&state.services.pool, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DuplicateRequest {
    #[serde(default)]
    name: Option<String>,
}

/// A copy of the prompt's latest version as a new prompt of the caller's.
#[utoipa::path(post, path = "/prompts/{id}/duplicate", tag = "prompts", params(("id" = Uuid, Path)), request_body = DuplicateRequest,
    responses((status = 201, body = PromptVersionDetail), (status = 404)))]
pub async fn duplicate(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PromptVersionDetail>), ApiError> {
    // The body is optional; one that is sent must be JSON.
    let name = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<DuplicateRequest>(&body).map_err(|e| super::error::bad_request(format!("the body is not valid JSON: {e}")))?.name
    };
    Ok((StatusCode::CREATED, Json(duplicate_prompt(&state.services.pool, &user, id, name.as_deref()).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version's id.
    from: Uuid,
    /// The newer version's id.
    to: Uuid,
}

/// Two versions of a prompt compared: the compiled text line by line and the category changes.
#[utoipa::path(get, path = "/prompt-versions/diff", tag = "prompts", params(DiffQuery),
    responses((status = 200, body = PromptDiff), (status = 404), (status = 422)))]
pub async fn diff(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<PromptDiff>, ApiError> {
    Ok(Json(engine::classify::prompts::prompt_diff(&state.services.pool, &user, q.from, q.to).await?))
}
