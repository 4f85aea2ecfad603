//! What the review screen opens with, gathered in one walk sample → run → prompt version → prompt.

use sqlx::PgPool;
use uuid::Uuid;

use super::{ReviewBundle, samples, verdicts};
use crate::auth::CurrentUser;
use crate::classify::{prompts, runs};
use crate::error::Result;

pub async fn review_bundle(pool: &PgPool, user: &CurrentUser, sample_id: Uuid) -> Result<ReviewBundle> {
    let sample = samples::sample_summary(pool, user, sample_id).await?;
    let items = verdicts::sample_items(pool, user, sample_id).await?;
    let run = runs::run_progress(pool, user, sample.run_id).await?;
    let version = prompts::version_detail(pool, user, run.prompt_version_id).await?;
    let versions = prompts::prompt_versions(pool, user, version.prompt_id).await?;
    let rights = prompts::prompt_rights(pool, user, version.prompt_id).await?;
    Ok(ReviewBundle {
        sample,
        items,
        categories: version.categories.into_iter().map(|c| c.name).collect(),
        prompt_id: version.prompt_id,
        versions: versions.into_iter().map(|v| (v.id, v.version)).collect(),
        prompt_name: run.prompt_name,
        prompt_editable: rights.editable,
        prompt_is_default: rights.is_default,
    })
}

/// The prompt whose version the sample's run used (the editor opens it with the corrections).
pub async fn sample_prompt_id(pool: &PgPool, user: &CurrentUser, sample_id: Uuid) -> Result<Uuid> {
    let sample = samples::sample_summary(pool, user, sample_id).await?;
    let run = runs::run_progress(pool, user, sample.run_id).await?;
    Ok(prompts::version_detail(pool, user, run.prompt_version_id).await?.prompt_id)
}
