//! Samples for review: draw one from a finished run, list its items, give or take back verdicts,
//! and read its metrics (for the sampled run or any later run on the same items).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::review::corrections::{corrections, save_with_examples};
use engine::review::iterations::{compare, iterations, plan_iteration};
use engine::review::metrics::sample_metrics;
use engine::review::samples::{create_sample, list_samples, sample_summary};
use engine::review::verdicts::{clear_verdict, put_verdict, sample_items};
use engine::review::{
    Comparison, CorrectionGroup, Iteration, IterationPlanRequest, NewSample, Scope, SampleItem, SampleListItem, SampleMetrics, SampleRerun, SampleSummary, VerdictInput,
};
use serde::Deserialize;
use utoipa::IntoParams;
use engine::classify::RunPlan;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::ApiError;
use super::session::AuthUser;
use crate::state::AppState;

/// Draw a stratified sample of a finished run's unique lines (size from confidence and margin, or
/// fixed; a minimum per predicted category; reproducible from `seed`).
#[utoipa::path(post, path = "/samples", tag = "review", request_body = NewSample,
    responses((status = 201, body = SampleSummary), (status = 404), (status = 409), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewSample>,
) -> Result<(StatusCode, Json<SampleSummary>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_sample(&state.services.pool, &user, &req).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplesQuery {
    /// Only the samples drawn from this run.
    run_id: Option<Uuid>,
}

/// Every sample I can see (of my datasets and those shared with me), newest first, with its
/// progress (reviewed of size) and how many of the reviewed the model got right.
#[utoipa::path(get, path = "/samples", tag = "review", params(SamplesQuery),
    responses((status = 200, body = Vec<SampleListItem>), (status = 400), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<SamplesQuery>,
) -> Result<Json<Vec<SampleListItem>>, ApiError> {
    Ok(Json(list_samples(&state.services.pool, &user, q.run_id).await?))
}

#[utoipa::path(get, path = "/samples/{id}", tag = "review", params(("id" = Uuid, Path)),
    responses((status = 200, body = SampleSummary), (status = 404)))]
pub async fn get(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<SampleSummary>, ApiError> {
    Ok(Json(sample_summary(&state.services.pool, &user, id).await?))
}

/// The items in review order: the line, the model's category, score and reason, and the verdict.
#[utoipa::path(get, path = "/samples/{id}/items", tag = "review", params(("id" = Uuid, Path), super::extract::LangQuery),
    responses((status = 200, body = Vec<SampleItem>), (status = 404)))]
pub async fn items(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<super::extract::LangQuery>,
) -> Result<Json<Vec<SampleItem>>, ApiError> {
    let lang = q.lang()?;
    let mut items = sample_items(&state.services.pool, &user, id).await?;
    for i in &mut items {
        i.reason = engine::classify::reason_text(&i.reason, lang);
    }
    Ok(Json(items))
}

/// Give a verdict: `{"verdict": "correct"}`, `{"verdict": "incorrect", "corrected_category": "..."}`
/// or `{"verdict": "skipped"}`, with an optional `note`. Saved at once; replaces an earlier one.
#[utoipa::path(put, path = "/samples/{id}/items/{item_id}", tag = "review", request_body = VerdictInput,
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 200, body = SampleItem), (status = 404), (status = 422)))]
pub async fn verdict(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath((id, item_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<VerdictInput>,
) -> Result<Json<SampleItem>, ApiError> {
    Ok(Json(put_verdict(&state.services.pool, &user, id, item_id, &input).await?))
}

/// Take a verdict back (undo).
#[utoipa::path(delete, path = "/samples/{id}/items/{item_id}/verdict", tag = "review",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 200, body = SampleItem), (status = 404)))]
pub async fn undo(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath((id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<SampleItem>, ApiError> {
    Ok(Json(clear_verdict(&state.services.pool, &user, id, item_id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// Score this run (an iteration on the same items) instead of the sampled one.
    run_id: Option<Uuid>,
}

/// Accuracy with its Wilson interval, per-category precision/recall/F1, the confusion matrix, the
/// categories most often confused and the strata-weighted estimate for the whole run.
#[utoipa::path(get, path = "/samples/{id}/metrics", tag = "review", params(("id" = Uuid, Path), MetricsQuery),
    responses((status = 200, body = SampleMetrics), (status = 404)))]
pub async fn metrics(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> Result<Json<SampleMetrics>, ApiError> {
    Ok(Json(sample_metrics(&state.services.pool, &user, id, q.run_id).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IterationStarted {
    run_id: Uuid,
}

/// Re-run the sample's items only, with another prompt version: cheap, and scored on the same
/// verdicts. The sampled run's provider, model and settings apply unless the body overrides them.
#[utoipa::path(post, path = "/samples/{id}/iterations", tag = "review", params(("id" = Uuid, Path)), request_body = SampleRerun,
    responses((status = 202, body = IterationStarted), (status = 404), (status = 422)))]
pub async fn rerun(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SampleRerun>,
) -> Result<(StatusCode, Json<IterationStarted>), ApiError> {
    let run_id = engine::jobs::start_iteration(&state.services, &user, id, &req, Scope::Sample).await?;
    Ok((StatusCode::ACCEPTED, Json(IterationStarted { run_id })))
}

/// Run a prompt version on the sample's whole dataset with the sampled run's provider, model and
/// settings (unless the body overrides them).
#[utoipa::path(post, path = "/samples/{id}/apply", tag = "review", params(("id" = Uuid, Path)), request_body = SampleRerun,
    responses((status = 202, body = IterationStarted), (status = 404), (status = 422)))]
pub async fn apply(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SampleRerun>,
) -> Result<(StatusCode, Json<IterationStarted>), ApiError> {
    let run_id = engine::jobs::start_iteration(&state.services, &user, id, &req, Scope::Dataset).await?;
    Ok((StatusCode::ACCEPTED, Json(IterationStarted { run_id })))
}

/// What re-running on the sample (`scope: sample`) or applying to the dataset (`scope: dataset`)
/// would send and cost; nothing starts.
#[utoipa::path(post, path = "/samples/{id}/plan", tag = "review", params(("id" = Uuid, Path)), request_body = IterationPlanRequest,
    responses((status = 200, body = RunPlan), (status = 404), (status = 422)))]
pub async fn plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<IterationPlanRequest>,
) -> Result<Json<RunPlan>, ApiError> {
    Ok(Json(plan_iteration(&state.services.runs, &user, id, &req.rerun, req.scope).await?))
}

/// Every iteration on the sample (the sampled run first) with its accuracy on the same verdicts.
#[utoipa::path(get, path = "/samples/{id}/iterations", tag = "review", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Iteration>), (status = 404)))]
pub async fn list_iterations(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Vec<Iteration>>, ApiError> {
    Ok(Json(iterations(&state.services.pool, &user, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    before: Uuid,
    after: Uuid,
}

/// Two iterations side by side: accuracy, per-category F1, lines fixed and lines broken.
#[utoipa::path(get, path = "/samples/{id}/compare", tag = "review", params(("id" = Uuid, Path), CompareQuery),
    responses((status = 200, body = Comparison), (status = 404)))]
pub async fn compare_iterations(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> Result<Json<Comparison>, ApiError> {
    Ok(Json(compare(&state.services.pool, &user, id, q.before, q.after).await?))
}

/// The lines the model got wrong, grouped by the category people gave them.
#[utoipa::path(get, path = "/samples/{id}/corrections", tag = "review", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CorrectionGroup>), (status = 404)))]
pub async fn list_corrections(State(state): State<AppState>, AuthUser(user): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Vec<CorrectionGroup>>, ApiError> {
    Ok(Json(corrections(&state.services.pool, &user, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExamplesQuery {
    /// Duplicate the prompt as the caller's own first and save the examples there (for a prompt
    /// someone else owns, which answers 403 `prompt_not_yours` otherwise).
    #[serde(default)]
    into_copy: bool,
}

/// Save the sampled prompt's next version with the corrected lines as few-shot examples.
#[utoipa::path(post, path = "/samples/{id}/examples", tag = "review", params(("id" = Uuid, Path), ExamplesQuery),
    responses((status = 201, body = engine::classify::PromptVersionDetail), (status = 403), (status = 404), (status = 409)))]
pub async fn add_examples(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExamplesQuery>,
) -> Result<(StatusCode, Json<engine::classify::PromptVersionDetail>), ApiError> {
    Ok((StatusCode::CREATED, Json(save_with_examples(&state.services.pool, &user, id, q.into_copy).await?)))
}
