//! Stored prompts and their immutable versions. Editing, sharing and history views come with the
//! classification issue; the foundation needs the default prompt and resolving a version for a run.

use sqlx::PgPool;
use uuid::Uuid;

use super::template::{Category, default_prompt};
use crate::error::{EngineError, Resource, Result};

#[derive(Debug, Clone)]
pub struct PromptVersion {
    pub id: Uuid,
    pub prompt_id: Uuid,
    pub name: String,
    pub version: i32,
    pub template: String,
    pub categories: Vec<Category>,
}

/// Creates the built-in default prompt when no prompt is the default yet. Safe to call at every start
/// and from several processes: the partial unique index allows one default only.
pub async fn ensure_default_prompt(pool: &PgPool) -> Result<()> {
    let spec = default_prompt();
    let mut tx = pool.begin().await?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "INSERT INTO prompts (id, name, label, is_default, is_shared) VALUES ($1, $2, $3, TRUE, TRUE)
         ON CONFLICT DO NOTHING",
        id,
        spec.name,
        spec.label
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        sqlx::query!(
            "INSERT INTO prompt_versions (id, prompt_id, version, template, categories) VALUES ($1, $2, 1, $3, $4)",
            Uuid::new_v4(),
            id,
            spec.template,
            serde_json::to_value(&spec.categories).map_err(EngineError::internal)?
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The latest version of `prompt_id`, or of the default prompt when `None`.
pub async fn latest_version(pool: &PgPool, prompt_id: Option<Uuid>) -> Result<PromptVersion> {
    fetch_version(pool, None, prompt_id).await?.ok_or(EngineError::NotFound(Resource::Prompt))
}

pub async fn version_by_id(pool: &PgPool, id: Uuid) -> Result<PromptVersion> {
    fetch_version(pool, Some(id), None).await?.ok_or(EngineError::NotFound(Resource::PromptVersion))
}

/// One version: by its id, else the latest of a prompt, else the latest of the default prompt.
async fn fetch_version(pool: &PgPool, version_id: Option<Uuid>, prompt_id: Option<Uuid>) -> Result<Option<PromptVersion>> {
    let row = sqlx::query!(
        "SELECT v.id, v.prompt_id, p.name, v.version, v.template, v.categories
         FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id
         WHERE CASE WHEN $1::uuid IS NOT NULL THEN v.id = $1
                    WHEN $2::uuid IS NOT NULL THEN p.id = $2
                    ELSE p.is_default END
         ORDER BY v.version DESC LIMIT 1",
        version_id,
        prompt_id
    )
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(PromptVersion {
            id: row.id,
            prompt_id: row.prompt_id,
            name: row.name,
            version: row.version,
            template: row.template,
            categories: serde_json::from_value(row.categories).map_err(EngineError::internal)?,
        })
    })
    .transpose()
}
