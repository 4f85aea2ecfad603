//! The difference between two versions of a prompt: a line diff of what the model reads (template,
//! numbered categories and keywords), and which categories were added, removed or changed.

use similar::{ChangeTag, TextDiff};
use sqlx::PgPool;
use uuid::Uuid;

use super::edit::version_detail;
use crate::classify::{DiffLine, DiffLineKind, PromptDiff};
use crate::auth::CurrentUser;
use crate::error::{EngineError, Result};

pub async fn prompt_diff(pool: &PgPool, user: &CurrentUser, from: Uuid, to: Uuid) -> Result<PromptDiff> {
    let a = version_detail(pool, user, from).await?;
    let b = version_detail(pool, user, to).await?;
    if a.prompt_id != b.prompt_id {
        return Err(EngineError::invalid("both versions must belong to the same prompt"));
    }
    let lines = TextDiff::from_lines(a.compiled.as_str(), b.compiled.as_str())
        .iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                ChangeTag::Equal => DiffLineKind::Same,
                ChangeTag::Insert => DiffLineKind::Added,
                ChangeTag::Delete => DiffLineKind::Removed,
            },
            text: c.value().trim_end_matches('\n').to_string(),
        })
        .collect();
    let names = |v: &crate::classify::PromptVersionDetail| v.categories.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let (old, new) = (names(&a), names(&b));
    let added = new.iter().filter(|n| !old.contains(n)).cloned().collect();
    let removed = old.iter().filter(|n| !new.contains(n)).cloned().collect();
    let changed = b
        .categories
        .iter()
        .filter(|nc| a.categories.iter().any(|oc| oc.name == nc.name && oc != *nc))
        .map(|c| c.name.clone())
        .collect();
    Ok(PromptDiff {
        from_version: a.version,
        to_version: b.version,
        template_changed: a.template != b.template,
        lines,
        added_categories: added,
        removed_categories: removed,
        changed_categories: changed,
    })
}
