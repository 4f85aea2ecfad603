//! A prompt's examples: the current set page by page, an import from an uploaded labelled table
//! (preview, then the choices per label), one added or removed by hand, the CSV export, and the
//! examples a run's call carried for one line.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::classify::examples::{
    ExampleRow, ExamplesImport, ExamplesImported, ExamplesPage, ExamplesPreview, LabelledSource, ResultExamples, add_example, examples_csv,
    examples_page, import_examples, preview_import, remove_examples, result_examples,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::AuthUser;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExamplesQuery {
    /// Text the examples contain (ignoring case).
    q: Option<String>,
    category: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
    /// `json` (default, paged) or `csv` (the whole set, as a download).
    format: Option<String>,
}

/// The prompt's current examples, with per-category counts.
#[utoipa::path(get, path = "/prompts/{id}/examples", tag = "prompts", params(("id" = Uuid, Path), ExamplesQuery),
    responses((status = 200, body = ExamplesPage, description = "JSON page, or a CSV download"), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExamplesQuery>,
) -> Result<Response, ApiError> {
    let pool = &state.services.pool;
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let page = examples_page(pool, &user, id, q.q.as_deref(), q.category.as_deref(), q.offset.unwrap_or(0), q.limit.unwrap_or(100)).await?;
            Ok(Json(page).into_response())
        }
        "csv" => {
            let body = examples_csv(pool, &user, id).await?;
            let disposition = format!("attachment; filename=\"prompt-{id}-examples.csv\"");
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
        }
        other => Err(ApiError(engine::EngineError::invalid(format!("unknown format '{other}': use json or csv")))),
    }
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewExample {
    text: String,
    category: String,
}

/// Adds one example (a text already there takes the new category).
#[utoipa::path(post, path = "/prompts/{id}/examples", tag = "prompts", params(("id" = Uuid, Path)), request_body = NewExample,
    responses((status = 201, body = ExampleRow), (status = 403), (status = 404), (status = 422)))]
pub async fn add(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewExample>,
) -> Result<(StatusCode, Json<ExampleRow>), ApiError> {
    Ok((StatusCode::CREATED, Json(add_example(&state.services.pool, &user, id, &body.text, &body.category).await?)))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct RemoveExamples {
    ids: Vec<i64>,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct ExamplesVersion {
    examples_version: i32,
}

/// Takes examples out of the current set; runs that used an earlier set keep it.
#[utoipa::path(post, path = "/prompts/{id}/examples/remove", tag = "prompts", params(("id" = Uuid, Path)), request_body = RemoveExamples,
    responses((status = 200, body = ExamplesVersion), (status = 403), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RemoveExamples>,
) -> Result<Json<ExamplesVersion>, ApiError> {
    Ok(Json(ExamplesVersion { examples_version: remove_examples(&state.services.pool, &user, id, &body.ids).await? }))
}

/// An uploaded labelled table against the prompt: labels with counts and suggested actions,
/// duplicates and conflicting labels. Nothing is stored.
#[utoipa::path(post, path = "/prompts/{id}/examples/preview", tag = "prompts", params(("id" = Uuid, Path)), request_body = LabelledSource,
    responses((status = 200, body = ExamplesPreview), (status = 403), (status = 404), (status = 422)))]
pub async fn preview(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LabelledSource>,
) -> Result<Json<ExamplesPreview>, ApiError> {
    Ok(Json(preview_import(&state.services.pool, &user, id, &body).await?))
}

/// Imports the table as examples with a choice per label (map, merge, create, skip).
#[utoipa::path(post, path = "/prompts/{id}/examples/import", tag = "prompts", params(("id" = Uuid, Path)), request_body = ExamplesImport,
    responses((status = 201, body = ExamplesImported), (status = 403), (status = 404), (status = 422)))]
pub async fn import(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ExamplesImport>,
) -> Result<(StatusCode, Json<ExamplesImported>), ApiError> {
    Ok((StatusCode::CREATED, Json(import_examples(&state.services.pool, &user, id, &body).await?)))
}

/// The examples the call that classified this line carried.
#[utoipa::path(get, path = "/runs/{id}/results/{line_idx}/examples", tag = "runs", params(("id" = Uuid, Path), ("line_idx" = i32, Path)),
    responses((status = 200, body = ResultExamples), (status = 404)))]
pub async fn shown(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath((id, line_idx)): ApiPath<(Uuid, i32)>,
) -> Result<Json<ResultExamples>, ApiError> {
    Ok(Json(result_examples(&state.services.pool, &user, id, line_idx).await?))
}
