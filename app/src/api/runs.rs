//! Server functions of classification runs: defaults, plan, start, progress, results, cancel, resume.

use engine::classify::{CategoryCount, NewRun, ResultsPage, RunDefaults, RunListItem, RunPlan, RunProgress};
use leptos::prelude::*;
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn get_run_defaults() -> Result<RunDefaults, AppError> {
    ssr::user().await?;
    let runs = ssr::services()?.runs;
    Ok(RunDefaults { settings: runs.defaults.clone(), openai_available: runs.openai.is_some() })
}

/// What a run with these choices would send and cost; nothing is started.
// JSON bodies: the run request flattens its overrides, which form encoding cannot carry as numbers.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn plan_classification(req: NewRun) -> Result<RunPlan, AppError> {
    let user = ssr::user().await?;
    engine::classify::runs::plan_run(&ssr::services()?.runs, &user, &req).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn start_classification(req: NewRun) -> Result<Uuid, AppError> {
    let user = ssr::user().await?;
    engine::jobs::start_run(&ssr::services()?, &user, &req).await.map_err(ssr::fail)
}

/// Continues a cancelled or failed run; with `retry_failed`, the failed chunks go out again too.
#[server]
pub async fn resume_run(id: Uuid, retry_failed: bool) -> Result<RunProgress, AppError> {
    let user = ssr::user().await?;
    engine::jobs::resume_run(&ssr::services()?, &user, id, retry_failed).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_run_progress(id: Uuid) -> Result<RunProgress, AppError> {
    let user = ssr::user().await?;
    engine::classify::runs::run_progress(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn run_results(
    id: Uuid,
    offset: i64,
    category: Option<String>,
    min_score: Option<f64>,
    max_score: Option<f64>,
) -> Result<ResultsPage, AppError> {
    let user = ssr::user().await?;
    let filter = engine::classify::runs::ResultsFilter { category, min_score, max_score };
    engine::classify::runs::results_page(&ssr::services()?.pool, &user, id, &filter, offset, 50).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn run_categories(id: Uuid) -> Result<Vec<CategoryCount>, AppError> {
    let user = ssr::user().await?;
    engine::classify::runs::category_counts(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn cancel_run(id: Uuid) -> Result<RunProgress, AppError> {
    let user = ssr::user().await?;
    engine::classify::runs::cancel_run(&ssr::services()?.runs, &user, id).await.map_err(ssr::fail)
}

/// The runs the user can see (or only those of `dataset_id`), newest first.
#[server(prefix = "/api/read")]
pub async fn list_runs(dataset_id: Option<Uuid>) -> Result<Vec<RunListItem>, AppError> {
    let user = ssr::user().await?;
    engine::classify::runs::list_runs(&ssr::services()?.pool, &user, dataset_id).await.map_err(ssr::fail)
}

/// The examples the call that classified one line of a run carried.
#[server(prefix = "/api/read")]
pub async fn get_result_examples(run_id: Uuid, line_idx: i32) -> Result<engine::classify::examples::ResultExamples, AppError> {
    let user = ssr::user().await?;
    engine::classify::examples::result_examples(&ssr::services()?.pool, &user, run_id, line_idx).await.map_err(ssr::fail)
}
