//! Server functions: each one resolves the signed-in user from the session and calls the engine, the
//! same engine functions the REST API calls. Errors travel as `code|message` so the UI can translate.

use engine::auth::CurrentUser;
use engine::classify::{CategoryCount, PromptDraft, PromptSummary, PromptVersionDetail, ResultsPage, RunProgress};
use engine::clean::{DatasetDetail, DatasetRowsPage, DatasetSummary, NewDataset, RowsQuery};
use engine::ingest::{ColumnType, FileSummary, RejectedPage, TablePreview, UploadListItem, UploadSummary};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
pub mod ssr {
    use engine::auth::CurrentUser;
    use engine::{EngineError, Services};
    use leptos::prelude::*;
    use tower_sessions::Session;

    pub fn fail(e: EngineError) -> ServerFnError {
        if let EngineError::Internal(cause) = &e {
            tracing::error!(error = %cause, "internal error in a server function");
        }
        let msg = if matches!(e, EngineError::Internal(_)) { "internal error".to_string() } else { e.to_string() };
        ServerFnError::ServerError(format!("{}|{}", e.code().as_str(), msg))
    }

    pub fn services() -> Result<Services, ServerFnError> {
        use_context::<Services>().ok_or_else(|| fail(EngineError::internal("services missing from context")))
    }

    pub async fn session() -> Result<Session, ServerFnError> {
        leptos_axum::extract::<Session>().await.map_err(|e| fail(EngineError::internal(e)))
    }

    pub async fn maybe_user() -> Result<Option<CurrentUser>, ServerFnError> {
        crate::session::session_user(&session().await?, &services()?.pool).await.map_err(fail)
    }

    pub async fn user() -> Result<CurrentUser, ServerFnError> {
        maybe_user().await?.ok_or_else(|| fail(EngineError::Unauthenticated))
    }

    pub async fn sign_in(user: &CurrentUser) -> Result<(), ServerFnError> {
        crate::session::sign_in(&session().await?, user).await.map_err(fail)
    }
}

#[server]
pub async fn whoami() -> Result<Option<CurrentUser>, ServerFnError> {
    ssr::maybe_user().await
}

#[server]
pub async fn needs_setup() -> Result<bool, ServerFnError> {
    let n = engine::auth::count_users(&ssr::services()?.pool).await.map_err(ssr::fail)?;
    Ok(n == 0)
}

#[server]
pub async fn login(username: String, password: String) -> Result<CurrentUser, ServerFnError> {
    let user = engine::auth::login(&ssr::services()?.pool, &username, &password).await.map_err(ssr::fail)?;
    ssr::sign_in(&user).await?;
    Ok(user)
}

#[server]
pub async fn logout() -> Result<(), ServerFnError> {
    crate::session::sign_out(&ssr::session().await?).await.map_err(ssr::fail)
}

#[server]
pub async fn setup_admin(username: String, password: String) -> Result<CurrentUser, ServerFnError> {
    use engine::auth::{Password, Username, create_first_admin};
    let name = Username::parse(&username).map_err(ssr::fail)?;
    let pw = Password::parse(&password, &name).map_err(ssr::fail)?;
    let user = create_first_admin(&ssr::services()?.pool, &name, &pw).await.map_err(ssr::fail)?;
    ssr::sign_in(&user).await?;
    Ok(user)
}

#[server]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::list_datasets(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server]
pub async fn recent_uploads() -> Result<Vec<UploadListItem>, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::list_uploads(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server]
pub async fn get_upload(id: Uuid) -> Result<UploadSummary, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::upload_summary(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
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

#[server]
pub async fn upload_rejected(upload_id: Uuid, offset: i64) -> Result<RejectedPage, ServerFnError> {
    let user = ssr::user().await?;
    engine::ingest::rejected_rows(&ssr::services()?.pool, &user, upload_id, offset, 50).await.map_err(ssr::fail)
}

#[server]
pub async fn build_dataset(req: NewDataset) -> Result<DatasetSummary, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::create_dataset(&ssr::services()?.pool, &user, &req).await.map_err(ssr::fail)
}

#[server]
pub async fn get_dataset(id: Uuid) -> Result<DatasetDetail, ServerFnError> {
    let user = ssr::user().await?;
    engine::clean::dataset_detail(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
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

#[server]
pub async fn get_prompts() -> Result<Vec<PromptSummary>, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::prompt_edit::list_prompts(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server]
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

/// Queues the classification of a dataset with the default prompt; returns the run id.
#[server]
pub async fn classify_dataset(dataset_id: Uuid) -> Result<Uuid, ServerFnError> {
    let user = ssr::user().await?;
    let services = ssr::services()?;
    engine::jobs::start_run(&services, &user, dataset_id, None).await.map_err(ssr::fail)
}

#[server]
pub async fn get_run_progress(id: Uuid) -> Result<RunProgress, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::runs::run_progress(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server]
pub async fn run_results(id: Uuid, offset: i64) -> Result<ResultsPage, ServerFnError> {
    let user = ssr::user().await?;
    engine::classify::runs::results_page(&ssr::services()?.pool, &user, id, offset, 50).await.map_err(ssr::fail)
}

#[server]
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
