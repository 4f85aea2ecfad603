//! Server functions of prompts: list, versions, save, duplicate, make default, diff two versions.

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
