//! Server functions of prompts: list, versions, save, duplicate, make default, diff two versions,
//! and their examples (the set, an import from an uploaded labelled table, one added or removed).

use engine::classify::examples::{ExampleRow, ExamplesImport, ExamplesImported, ExamplesPage, ExamplesPreview, LabelledSource};
use engine::classify::{PromptDiff, PromptDraft, PromptSummary, PromptVersionDetail};
use leptos::prelude::*;
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn get_prompts() -> Result<Vec<PromptSummary>, AppError> {
    let user = ssr::user().await?;
    engine::classify::prompts::list_prompts(&ssr::services()?.pool, &user).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_prompt_versions(id: Uuid) -> Result<Vec<PromptVersionDetail>, AppError> {
    let user = ssr::user().await?;
    engine::classify::prompts::prompt_versions(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

/// Creates a prompt when `id` is none, else saves the next version of prompt `id`.
#[server]
pub async fn save_prompt(id: Option<Uuid>, draft: PromptDraft) -> Result<PromptVersionDetail, AppError> {
    let user = ssr::user().await?;
    let pool = ssr::services()?.pool;
    match id {
        None => engine::classify::prompts::create_prompt(&pool, &user, &draft).await,
        Some(id) => engine::classify::prompts::save_version(&pool, &user, id, &draft).await,
    }
    .map_err(ssr::fail)
}

#[server]
pub async fn copy_prompt(id: Uuid) -> Result<PromptVersionDetail, AppError> {
    let user = ssr::user().await?;
    engine::classify::prompts::duplicate_prompt(&ssr::services()?.pool, &user, id, None).await.map_err(ssr::fail)
}

#[server]
pub async fn make_default_prompt(id: Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::classify::prompts::set_default_prompt(&ssr::services()?.pool, &user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn diff_prompt_versions(from: Uuid, to: Uuid) -> Result<PromptDiff, AppError> {
    let user = ssr::user().await?;
    engine::classify::prompts::prompt_diff(&ssr::services()?.pool, &user, from, to).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_examples(prompt_id: Uuid, search: Option<String>, category: Option<String>, offset: i64) -> Result<ExamplesPage, AppError> {
    let user = ssr::user().await?;
    engine::classify::examples::examples_page(&ssr::services()?.pool, &user, prompt_id, search.as_deref(), category.as_deref(), offset, 20)
        .await
        .map_err(ssr::fail)
}

// JSON bodies: the nested choices (tagged enums, lists) do not survive form encoding.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn preview_examples(prompt_id: Uuid, source: LabelledSource) -> Result<ExamplesPreview, AppError> {
    let user = ssr::user().await?;
    engine::classify::examples::preview_import(&ssr::services()?.pool, &user, prompt_id, &source).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn import_prompt_examples(prompt_id: Uuid, request: ExamplesImport) -> Result<ExamplesImported, AppError> {
    let user = ssr::user().await?;
    engine::classify::examples::import_examples(&ssr::services()?.pool, &user, prompt_id, &request).await.map_err(ssr::fail)
}

#[server]
pub async fn add_prompt_example(prompt_id: Uuid, text: String, category: String) -> Result<ExampleRow, AppError> {
    let user = ssr::user().await?;
    engine::classify::examples::add_example(&ssr::services()?.pool, &user, prompt_id, &text, &category).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn remove_prompt_examples(prompt_id: Uuid, ids: Vec<i64>) -> Result<i32, AppError> {
    let user = ssr::user().await?;
    engine::classify::examples::remove_examples(&ssr::services()?.pool, &user, prompt_id, &ids).await.map_err(ssr::fail)
}
