//! Writing prompts: create one, save its next immutable version, list and read versions, duplicate,
//! share, and choose the default. A user sees their own prompts and shared ones; an admin sees all.

use sqlx::PgPool;
use uuid::Uuid;

use super::template::{Category, compile_prompt};
use crate::classify::{PromptDraft, PromptSummary, PromptVersionDetail};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

const MAX_CATEGORIES: usize = 200;

/// The rules every saved version meets: a template, at least one category, names unique regardless
/// of case, nothing absurdly long.
pub fn validate_draft(d: &PromptDraft) -> Result<()> {
    if d.template.trim().is_empty() {
        return Err(EngineError::invalid("the template is empty"));
    }
    if d.template.len() > 20_000 {
        return Err(EngineError::invalid("the template is longer than 20,000 characters"));
    }
    if d.categories.is_empty() || d.categories.len() > MAX_CATEGORIES {
        return Err(EngineError::invalid(format!("a prompt needs between 1 and {MAX_CATEGORIES} categories")));
    }
    let mut seen: Vec<String> = Vec::new();
    for c in &d.categories {
        let name = c.name.trim();
        if name.is_empty() || name.len() > 120 {
            return Err(EngineError::invalid("every category needs a name of at most 120 characters"));
        }
        let key = name.to_lowercase();
        if seen.contains(&key) {
            return Err(EngineError::invalid(format!("the category '{name}' appears twice")));
        }
        seen.push(key);
    }
    if let Some(n) = &d.name
        && (n.trim().is_empty() || n.len() > 100)
    {
        return Err(EngineError::invalid("a prompt's name must have between 1 and 100 characters"));
    }
    Ok(())
}

fn tidy(categories: &[Category]) -> Vec<Category> {
    categories
        .iter()
        .map(|c| Category {
            name: c.name.trim().to_string(),
            description: c.description.trim().to_string(),
            keywords: c.keywords.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
            priority: c.priority,
        })
        .collect()
}

pub async fn list_prompts(pool: &PgPool, user: &CurrentUser) -> Result<Vec<PromptSummary>> {
    user.require(Permission::DatasetRead)?;
    let all = user.can(Permission::PromptAdmin);
    let rows = sqlx::query_as!(
        PromptSummary,
        r#"SELECT p.id, p.name, p.label, p.is_default, p.is_shared, u.username AS "owner?",
                  v.version AS latest_version, v.id AS latest_version_id, v.created_at AS updated_at
           FROM prompts p
           LEFT JOIN users u ON u.id = p.created_by
           JOIN LATERAL (SELECT id, version, created_at FROM prompt_versions WHERE prompt_id = p.id
                         ORDER BY version DESC LIMIT 1) v ON TRUE
           WHERE $1 OR p.is_shared OR p.is_default OR p.created_by = $2
           ORDER BY p.is_default DESC, lower(p.name)"#,
        all,
        user.id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// What the user may do with a prompt they can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptRights {
    /// May save new versions (their own prompt, or `prompt:admin`).
    pub editable: bool,
    /// Everyone's default: a new version changes what every new run uses.
    pub is_default: bool,
}

/// The user's rights on a prompt; not found if they may not even see it.
pub async fn prompt_rights(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<PromptRights> {
    let p = sqlx::query!("SELECT created_by, is_shared, is_default FROM prompts WHERE id = $1", id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::Prompt))?;
    let admin = user.can(Permission::PromptAdmin);
    let own = p.created_by == Some(user.id);
    if !(admin || own || p.is_shared || p.is_default) {
        return Err(EngineError::NotFound(Resource::Prompt));
    }
    Ok(PromptRights { editable: (admin || own) && user.can(Permission::PromptEdit), is_default: p.is_default })
}

/// The prompt if the user may see it (`edit`: and change it).
pub(crate) async fn visible(pool: &PgPool, user: &CurrentUser, id: Uuid, edit: bool) -> Result<PromptRights> {
    let rights = prompt_rights(pool, user, id).await?;
    if edit && !rights.editable {
        return Err(EngineError::PromptNotYours);
    }
    Ok(rights)
}

/// Sharing with everyone (or taking a share back) is its own permission.
fn require_share(user: &CurrentUser, draft: &PromptDraft) -> Result<()> {
    if draft.shared.is_some() && !user.can(Permission::PromptAdmin) {
        user.require(Permission::PromptShare)?;
    }
    Ok(())
}

pub async fn create_prompt(pool: &PgPool, user: &CurrentUser, draft: &PromptDraft) -> Result<PromptVersionDetail> {
    user.require(Permission::PromptEdit)?;
    require_share(user, draft)?;
    validate_draft(draft)?;
    let name = draft.name.as_deref().map(str::trim).filter(|n| !n.is_empty())
        .ok_or_else(|| EngineError::invalid("a new prompt needs a name"))?;
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO prompts (id, name, label, is_shared, created_by) VALUES ($1, $2, $3, $4, $5)",
        id,
        name,
        draft.label.as_deref().unwrap_or(name).trim(),
        draft.shared.unwrap_or(false),
        user.id
    )
    .execute(&mut *tx)
    .await?;
    let version = insert_version(&mut tx, id, 1, draft, user).await?;
    tx.commit().await?;
    version_detail(pool, user, version).await
}

/// Saves `draft` as the prompt's next version; earlier versions never change.
pub async fn save_version(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, draft: &PromptDraft) -> Result<PromptVersionDetail> {
    user.require(Permission::PromptEdit)?;
    visible(pool, user, prompt_id, true).await?;
    require_share(user, draft)?;
    validate_draft(draft)?;
    let mut tx = pool.begin().await?;
    // Lock the prompt first, so two saves in flight get consecutive numbers instead of one failing.
    sqlx::query!("SELECT id FROM prompts WHERE id = $1 FOR UPDATE", prompt_id).fetch_one(&mut *tx).await?;
    let next = sqlx::query_scalar!(
        r#"SELECT coalesce(max(v.version), 0) + 1 AS "n!" FROM prompts p LEFT JOIN prompt_versions v ON v.prompt_id = p.id
           WHERE p.id = $1 GROUP BY p.id"#,
        prompt_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(name) = draft.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        sqlx::query!("UPDATE prompts SET name = $2 WHERE id = $1", prompt_id, name).execute(&mut *tx).await?;
    }
    if let Some(label) = draft.label.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        sqlx::query!("UPDATE prompts SET label = $2 WHERE id = $1", prompt_id, label).execute(&mut *tx).await?;
    }
    if let Some(shared) = draft.shared {
        sqlx::query!("UPDATE prompts SET is_shared = $2 WHERE id = $1", prompt_id, shared).execute(&mut *tx).await?;
    }
    let version = insert_version(&mut tx, prompt_id, next, draft, user).await?;
    tx.commit().await?;
    version_detail(pool, user, version).await
}

pub(crate) async fn insert_version(tx: &mut sqlx::PgConnection, prompt_id: Uuid, version: i32, d: &PromptDraft, user: &CurrentUser) -> Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO prompt_versions (id, prompt_id, version, template, categories, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        prompt_id,
        version,
        d.template.trim_end(),
        serde_json::to_value(tidy(&d.categories)).map_err(EngineError::internal)?,
        user.id
    )
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Every version of a prompt, newest first.
pub async fn prompt_versions(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid) -> Result<Vec<PromptVersionDetail>> {
    user.require(Permission::DatasetRead)?;
    visible(pool, user, prompt_id, false).await?;
    let rows = sqlx::query!(
        r#"SELECT v.id, v.prompt_id, v.version, v.template, v.categories, u.username AS "created_by?", v.created_at
           FROM prompt_versions v LEFT JOIN users u ON u.id = v.created_by
           WHERE v.prompt_id = $1 ORDER BY v.version DESC"#,
        prompt_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let categories: Vec<Category> = serde_json::from_value(r.categories).map_err(EngineError::internal)?;
            Ok(PromptVersionDetail {
                compiled: compile_prompt(&r.template, &categories),
                id: r.id,
                prompt_id: r.prompt_id,
                version: r.version,
                template: r.template,
                categories,
                created_by: r.created_by,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// One version. A version of a prompt the user may not see answers exactly like one that does not
/// exist, so its id tells nothing.
pub async fn version_detail(pool: &PgPool, user: &CurrentUser, version_id: Uuid) -> Result<PromptVersionDetail> {
    let missing = || EngineError::NotFound(Resource::PromptVersion);
    let prompt_id = sqlx::query_scalar!("SELECT prompt_id FROM prompt_versions WHERE id = $1", version_id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(missing)?;
    prompt_versions(pool, user, prompt_id)
        .await
        .map_err(|e| if matches!(e, EngineError::NotFound(_)) { missing() } else { e })?
        .into_iter()
        .find(|v| v.id == version_id)
        .ok_or_else(missing)
}

/// Makes the prompt the one runs use when none is named.
pub async fn set_default_prompt(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid) -> Result<()> {
    user.require(Permission::PromptAdmin)?;
    visible(pool, user, prompt_id, false).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!("UPDATE prompts SET is_default = FALSE WHERE is_default AND id <> $1", prompt_id).execute(&mut *tx).await?;
    sqlx::query!("UPDATE prompts SET is_default = TRUE, is_shared = TRUE WHERE id = $1", prompt_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A new prompt owned by the caller, starting from the latest version of `prompt_id`.
pub async fn duplicate_prompt(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, name: Option<&str>) -> Result<PromptVersionDetail> {
    user.require(Permission::PromptEdit)?;
    visible(pool, user, prompt_id, false).await?;
    let latest = prompt_versions(pool, user, prompt_id).await?.into_iter().next().ok_or(EngineError::NotFound(Resource::PromptVersion))?;
    let original = sqlx::query!("SELECT name, label FROM prompts WHERE id = $1", prompt_id).fetch_one(pool).await?;
    let draft = PromptDraft {
        name: Some(name.map(str::to_string).unwrap_or_else(|| format!("{} (copia)", original.name))),
        label: Some(original.label),
        template: latest.template,
        categories: latest.categories,
        shared: Some(false),
    };
    create_prompt(pool, user, &draft).await
}
