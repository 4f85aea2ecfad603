//! Server functions of reviews: draw a sample, give verdicts, metrics, corrections, iterations.

use engine::classify::RunPlan;
use engine::review::{Comparison, CorrectionGroup, IterationPlanRequest, Iteration, NewSample, ReviewBundle, SampleItem, SampleListItem, SampleMetrics, VerdictInput};
use leptos::prelude::*;
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// Draws a new sample of a run: size from confidence and margin, or a fixed size.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn draw_sample(req: NewSample) -> Result<Uuid, AppError> {
    let user = ssr::user().await?;
    let sample = engine::review::samples::create_sample(&ssr::services()?.pool, &user, &req).await.map_err(ssr::fail)?;
    Ok(sample.id)
}

/// Every sample the user can see (or only those of `run_id`), newest first, with its progress.
#[server(prefix = "/api/read")]
pub async fn list_reviews(run_id: Option<Uuid>) -> Result<Vec<SampleListItem>, AppError> {
    let user = ssr::user().await?;
    engine::review::samples::list_samples(&ssr::services()?.pool, &user, run_id).await.map_err(ssr::fail)
}

/// A sample with its items and the categories a verdict may name (the sampled run's prompt).
#[server(prefix = "/api/read")]
pub async fn get_review(id: Uuid) -> Result<ReviewBundle, AppError> {
    let user = ssr::user().await?;
    engine::review::bundle::review_bundle(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn give_verdict(sample_id: Uuid, item_id: Uuid, input: Option<VerdictInput>) -> Result<SampleItem, AppError> {
    let user = ssr::user().await?;
    let pool = ssr::services()?.pool;
    match input {
        Some(input) => engine::review::verdicts::put_verdict(&pool, &user, sample_id, item_id, &input).await,
        None => engine::review::verdicts::clear_verdict(&pool, &user, sample_id, item_id).await,
    }
    .map_err(ssr::fail)
}

/// The prompt a sample's run used, so the editor can open it with the corrections beside it.
#[server(prefix = "/api/read")]
pub async fn get_sample_prompt(id: Uuid) -> Result<Uuid, AppError> {
    let user = ssr::user().await?;
    engine::review::bundle::sample_prompt_id(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_corrections(id: Uuid) -> Result<Vec<CorrectionGroup>, AppError> {
    let user = ssr::user().await?;
    engine::review::corrections::corrections(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// Saves the sampled prompt's next version with the corrected lines as examples (with `into_copy`,
/// in a copy the user owns); returns the version id and number.
#[server]
pub async fn add_correction_examples(id: Uuid, into_copy: bool) -> Result<(Uuid, i32), AppError> {
    let user = ssr::user().await?;
    let v = engine::review::corrections::save_with_examples(&ssr::services()?.pool, &user, id, into_copy).await.map_err(ssr::fail)?;
    Ok((v.id, v.version))
}

#[server(prefix = "/api/read")]
pub async fn get_sample_metrics(id: Uuid, run_id: Option<Uuid>) -> Result<SampleMetrics, AppError> {
    let user = ssr::user().await?;
    engine::review::metrics::sample_metrics(&ssr::services()?.pool, &user, id, run_id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_iterations(id: Uuid) -> Result<Vec<Iteration>, AppError> {
    let user = ssr::user().await?;
    engine::review::iterations::iterations(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// What running a version from the sample would send and cost, on the sample or the whole dataset,
/// with the sampled run's settings under `req`'s overrides.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn plan_from_sample(id: Uuid, req: IterationPlanRequest) -> Result<RunPlan, AppError> {
    let user = ssr::user().await?;
    engine::review::iterations::plan_iteration(&ssr::services()?.runs, &user, id, &req.rerun, req.scope).await.map_err(ssr::fail)
}

/// Starts the version on the sample's items (an iteration) or on its whole dataset.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn run_from_sample(id: Uuid, req: IterationPlanRequest) -> Result<Uuid, AppError> {
    let user = ssr::user().await?;
    engine::jobs::start_iteration(&ssr::services()?, &user, id, &req.rerun, req.scope).await.map_err(ssr::fail)
}

#[server]
pub async fn compare_iterations(id: Uuid, before: Uuid, after: Uuid) -> Result<Comparison, AppError> {
    let user = ssr::user().await?;
    engine::review::iterations::compare(&ssr::services()?.pool, &user, id, before, after).await.map_err(ssr::fail)
}
