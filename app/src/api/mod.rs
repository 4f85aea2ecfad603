//! Server functions: each one resolves the signed-in user from the session and calls the engine, the
//! same engine functions the REST API calls. Errors travel as `code|message` so the UI can translate.
//! Those that only read live under `READ_PREFIX`, so the audit log holds changes, not page loads.

use engine::classify::{
    CategoryCount, NewRun, PromptDiff, PromptDraft, PromptSummary, PromptVersionDetail, ResultsPage, RunDefaults, RunPlan,
    RunProgress,
};
use engine::review::{Comparison, Iteration, SampleItem, SampleMetrics, SampleSummary, VerdictInput};
use engine::clean::{DatasetDetail, DatasetRowsPage, DatasetSummary, NewDataset, RowsQuery};
use engine::ingest::{ColumnType, FileSummary, RejectedPage, TablePreview, UploadListItem, UploadSummary};
use leptos::prelude::*;
use uuid::Uuid;

/// Everything the review screen starts from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Review {
    pub sample: SampleSummary,
    pub items: Vec<SampleItem>,
    pub categories: Vec<String>,
    /// (version id, version number) of the sampled prompt, newest first.
    pub versions: Vec<(Uuid, i32)>,
    pub prompt_name: String,
}

mod account;
mod admin;

/// Where the server functions that only read are mounted (their `prefix = "/api/read"`): the
/// server audits every other call as a change.
pub const READ_PREFIX: &str = "/api/read/";

pub use account::*;
pub use admin::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    use engine::auth::CurrentUser;
    use engine::auth::sessions::Identity;
    use engine::{EngineError, Services};
    use leptos::prelude::*;
    use tower_sessions::Session;

    pub use crate::session::Caller;

    pub fn fail(e: EngineError) -> ServerFnError {
        if let EngineError::Internal(cause) = &e {
            tracing::error!(error = %cause, "internal error in a server function");
        }
        let msg = if matches!(e, EngineError::Internal(_)) { "internal error".to_string() } else { e.to_string() };
        // Called over HTTP (not while rendering a page), the answer carries the code's own status,
        // the same one the REST API gives.
        let over_http = use_context::<axum::http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"));
        if over_http && let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(axum::http::StatusCode::from_u16(e.code().http_status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR));
        }
        ServerFnError::ServerError(format!("{}|{}", e.code().as_str(), msg))
    }

    pub fn services() -> Result<Services, ServerFnError> {
        use_context::<Services>().ok_or_else(|| fail(EngineError::internal("services missing from context")))
    }

    pub async fn session() -> Result<Session, ServerFnError> {
        leptos_axum::extract::<Session>().await.map_err(|e| fail(EngineError::internal(e)))
    }

    /// What the server's identity layer resolved for this request (see `crate::session::Caller`).
    pub async fn caller() -> Result<Caller, ServerFnError> {
        let axum::Extension(caller) =
            leptos_axum::extract::<axum::Extension<Caller>>().await.map_err(|e| fail(EngineError::internal(e)))?;
        Ok(caller)
    }

    pub async fn identity() -> Result<Identity, ServerFnError> {
        caller().await?.identity.ok_or_else(|| fail(EngineError::Unauthenticated))
    }

    pub async fn maybe_user() -> Result<Option<CurrentUser>, ServerFnError> {
        Ok(caller().await?.identity.map(|i| i.user))
    }

    pub async fn user() -> Result<CurrentUser, ServerFnError> {
        Ok(identity().await?.user)
    }
}

#[server(prefix = "/api/read")]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::list_datasets(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn recent_uploads() -> Result<Vec<UploadListItem>, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::list_uploads(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_upload(id: Uuid) -> Result<UploadSummary, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::upload_summary(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn preview_table(upload_id: Uuid, table_id: Uuid) -> Result<TablePreview, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::table_preview(&ssr::services()?.pool, &user, upload_id, table_id, 12).await.map_err(ssr::fail)
}

#[server]
pub async fn set_column_type(upload_id: Uuid, table_id: Uuid, column: String, kind: ColumnType) -> Result<FileSummary, ServerFnError> {
    let user = ssr::user().await?;
    let change = engine::ingest::ColumnTypeOverride { column, kind };
    engine::ingest::override_column_type(&ssr::services()?.pool, &user, upload_id, table_id, &change).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn upload_rejected(upload_id: Uuid, offset: i64) -> Result<RejectedPage, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::rejected_rows(&ssr::services()?.pool, &user, upload_id, offset, 50).await.map_err(ssr::fail)
}

#[server]
pub async fn build_dataset(req: NewDataset) -> Result<DatasetSummary, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::create_dataset(&ssr::services()?.pool, &user, &req).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_dataset(id: Uuid) -> Result<DatasetDetail, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::dataset_detail(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_dataset_rows(id: Uuid, query: RowsQuery) -> Result<DatasetRowsPage, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::dataset_rows(&ssr::services()?.pool, &user, id, &query).await.map_err(ssr::fail)
}

#[server]
pub async fn remove_dataset(id: Uuid) -> Result<(), ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::delete_dataset(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn remove_upload(id: Uuid) -> Result<(), ServerFnError> {
    let user = ssr::user().await?;
    let services = ssr::services()?;
    engine::ingest::delete_upload(&services.pool, &user, id, &services.data_dir).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_prompts() -> Result<Vec<PromptSummary>, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::prompt_edit::list_prompts(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_prompt_versions(id: Uuid) -> Result<Vec<PromptVersionDetail>, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::prompt_edit::prompt_versions(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// Creates a prompt when `id` is none, else saves the next version of prompt `id`.
#[server]
pub async fn save_prompt(id: Option<Uuid>, draft: PromptDraft) -> Result<PromptVersionDetail, ServerFnError> {
    let user = ssr::user().await?;
    let pool = ssr::services()?.pool;
    match id {
        None => engine::classify::prompt_edit::create_prompt(&pool, &user, &draft).await,
        Some(id) => engine::classify::prompt_edit::save_version(&pool, &user, id, &draft).await,
    }
    .map_err(ssr::fail)
}

#[server]
pub async fn copy_prompt(id: Uuid) -> Result<PromptVersionDetail, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::prompt_edit::duplicate_prompt(&ssr::services()?.pool, &user, id, None).await.map_err(ssr::fail)
}

#[server]
pub async fn make_default_prompt(id: Uuid) -> Result<(), ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::prompt_edit::set_default_prompt(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_run_defaults() -> Result<RunDefaults, ServerFnError> {
    ssr::user().await?;
    let runs = ssr::services()?.runs;
    Ok(RunDefaults { settings: runs.defaults.clone(), openai_available: runs.openai.is_some() })
}

/// What a run with these choices would send and cost; nothing is started.
// JSON bodies: the run request flattens its overrides, which form encoding cannot carry as numbers.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn plan_classification(req: NewRun) -> Result<RunPlan, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::runs::plan_run(&ssr::services()?.runs, &user, &req).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn start_classification(req: NewRun) -> Result<Uuid, ServerFnError> {
    let user = ssr::user().await?;
    engine::jobs::start_run(&ssr::services()?, &user, &req).await.map_err(ssr::fail)
}

/// Continues a cancelled or failed run; with `retry_failed`, the failed chunks go out again too.
#[server]
pub async fn resume_run(id: Uuid, retry_failed: bool) -> Result<RunProgress, ServerFnError> {
    let user = ssr::user().await?;
    engine::jobs::resume_run(&ssr::services()?, &user, id, retry_failed).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn diff_prompt_versions(from: Uuid, to: Uuid) -> Result<PromptDiff, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::prompt_diff::prompt_diff(&ssr::services()?.pool, &user, from, to).await.map_err(ssr::fail)
}

#[server]
pub async fn draw_sample(run_id: Uuid) -> Result<Uuid, ServerFnError> {
    let user = ssr::user().await?;
    let req = engine::review::NewSample {
        run_id,
        confidence: None,
        margin: None,
        size: None,
        seed: None,
        min_per_category: None,
        oversample_low: None,
    };
    let sample = engine::review::samples::create_sample(&ssr::services()?.pool, &user, &req).await.map_err(ssr::fail)?;
    Ok(sample.id)
}

/// Every sample the user can see, newest first, with its progress.
#[server(prefix = "/api/read")]
pub async fn list_reviews() -> Result<Vec<engine::review::SampleListItem>, ServerFnError> {
    let user = ssr::user().await?;
    engine::review::samples::list_samples(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

/// A sample with its items and the categories a verdict may name (the sampled run's prompt).
#[server(prefix = "/api/read")]
pub async fn get_review(id: Uuid) -> Result<Review, ServerFnError> {
    let user = ssr::user().await?;
    let pool = ssr::services()?.pool;
    let sample = engine::review::samples::sample_summary(&pool, &user, id).await.map_err(ssr::fail)?;
    let items = engine::review::verdicts::sample_items(&pool, &user, id).await.map_err(ssr::fail)?;
    let run = engine::classify::runs::run_progress(&pool, &user, sample.run_id).await.map_err(ssr::fail)?;
    let version = engine::classify::prompt_edit::version_detail(&pool, &user, run.prompt_version_id).await.map_err(ssr::fail)?;
    let versions = engine::classify::prompt_edit::prompt_versions(&pool, &user, version.prompt_id).await.map_err(ssr::fail)?;
    Ok(Review {
        sample,
        items,
        categories: version.categories.into_iter().map(|c| c.name).collect(),
        versions: versions.into_iter().map(|v| (v.id, v.version)).collect(),
        prompt_name: run.prompt_name,
    })
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn give_verdict(sample_id: Uuid, item_id: Uuid, input: Option<VerdictInput>) -> Result<SampleItem, ServerFnError> {
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
pub async fn get_sample_prompt(id: Uuid) -> Result<Uuid, ServerFnError> {
    let user = ssr::user().await?;
    let pool = ssr::services()?.pool;
    let sample = engine::review::samples::sample_summary(&pool, &user, id).await.map_err(ssr::fail)?;
    let run = engine::classify::runs::run_progress(&pool, &user, sample.run_id).await.map_err(ssr::fail)?;
    let version = engine::classify::prompt_edit::version_detail(&pool, &user, run.prompt_version_id).await.map_err(ssr::fail)?;
    Ok(version.prompt_id)
}

#[server(prefix = "/api/read")]
pub async fn get_corrections(id: Uuid) -> Result<Vec<engine::review::CorrectionGroup>, ServerFnError> {
    let user = ssr::user().await?;
    engine::review::corrections::corrections(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// Saves the sampled prompt's next version with the corrected lines as examples; returns it.
#[server]
pub async fn add_correction_examples(id: Uuid) -> Result<(Uuid, i32), ServerFnError> {
    let user = ssr::user().await?;
    let v = engine::review::corrections::save_with_examples(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)?;
    Ok((v.id, v.version))
}

#[server(prefix = "/api/read")]
pub async fn get_sample_metrics(id: Uuid, run_id: Option<Uuid>) -> Result<SampleMetrics, ServerFnError> {
    let user = ssr::user().await?;
    engine::review::metrics::sample_metrics(&ssr::services()?.pool, &user, id, run_id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_iterations(id: Uuid) -> Result<Vec<Iteration>, ServerFnError> {
    let user = ssr::user().await?;
    engine::review::iterations::iterations(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn rerun_sample(id: Uuid, prompt_version_id: Uuid) -> Result<Uuid, ServerFnError> {
    let user = ssr::user().await?;
    let req = engine::review::SampleRerun { prompt_version_id, overrides: Default::default() };
    engine::jobs::start_iteration(&ssr::services()?, &user, id, &req).await.map_err(ssr::fail)
}

#[server]
pub async fn compare_iterations(id: Uuid, before: Uuid, after: Uuid) -> Result<Comparison, ServerFnError> {
    let user = ssr::user().await?;
    engine::review::iterations::compare(&ssr::services()?.pool, &user, id, before, after).await.map_err(ssr::fail)
}

/// Runs a prompt version on the whole dataset (cached lines cost nothing).
#[server]
pub async fn apply_version(dataset_id: Uuid, prompt_version_id: Uuid) -> Result<Uuid, ServerFnError> {
    let user = ssr::user().await?;
    let req = NewRun { dataset_id, prompt_id: None, prompt_version_id: Some(prompt_version_id), overrides: Default::default() };
    engine::jobs::start_run(&ssr::services()?, &user, &req).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_run_progress(id: Uuid) -> Result<RunProgress, ServerFnError> {
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
) -> Result<ResultsPage, ServerFnError> {
    let user = ssr::user().await?;
    let filter = engine::classify::runs::ResultsFilter { category, min_score, max_score };
    engine::classify::runs::results_page(&ssr::services()?.pool, &user, id, &filter, offset, 50).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn run_categories(id: Uuid) -> Result<Vec<CategoryCount>, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::runs::category_counts(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn cancel_run(id: Uuid) -> Result<RunProgress, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::runs::cancel_run(&ssr::services()?.runs, &user, id).await.map_err(ssr::fail)
}

/// The stable code and the message of a server function error.
pub fn error_parts(e: &ServerFnError) -> (String, String) {
    let text = match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => format!("network|{other}"),
    };
    match text.split_once('|') {
        Some((code, msg)) => (code.to_string(), msg.to_string()),
        None => ("internal".to_string(), text),
    }
}

#[server(prefix = "/api/read")]
pub async fn dataset_shares(id: Uuid) -> Result<Vec<engine::clean::DatasetShare>, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::shares::list_shares(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn share_dataset(id: Uuid, username: String) -> Result<(), ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::shares::share(&ssr::services()?.pool, &user, id, &username).await.map_err(ssr::fail)
}

#[server]
pub async fn unshare_dataset(id: Uuid, user_id: Uuid) -> Result<(), ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::shares::unshare(&ssr::services()?.pool, &user, id, user_id).await.map_err(ssr::fail)
}
