//! The items of a sample with what the model said and what people said, and saving a verdict the
//! moment it is given (or taking it back, for undo).

use sqlx::PgPool;
use uuid::Uuid;

use super::samples::sample_summary;
use super::{SampleItem, Verdict, VerdictInput};
use crate::auth::{CurrentUser, Permission};
use crate::classify::prompts::version_by_id;
use crate::error::{EngineError, Resource, Result};

const NOTE_LIMIT: usize = 2000;

/// Every item of a sample in review order, with the run's answer and the verdict if any.
pub async fn sample_items(pool: &PgPool, user: &CurrentUser, sample_id: Uuid) -> Result<Vec<SampleItem>> {
    let sample = sample_summary(pool, user, sample_id).await?;
    let mut list = items(pool, sample_id, None).await?;
    let columns = crate::clean::original_columns(pool, user, sample.dataset_id).await?;
    let idx: Vec<i32> = list.iter().map(|i| i.line_idx).collect();
    // The first original row of each line, for the reviewer to see the line in context.
    let source = crate::clean::dataset_rows_source(pool, sample.dataset_id).await?;
    let sql = format!(
        "SELECT DISTINCT ON (o.line_idx) o.line_idx, ur.data
         FROM dataset_maps m
         CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
         JOIN {source} ur ON ur.table_id = m.table_id AND ur.row_no = m.source_first + o.n - 1
         WHERE m.dataset_id = $1 AND o.line_idx = ANY($2)
         ORDER BY o.line_idx, m.position, o.n"
    );
    let rows: Vec<(i32, serde_json::Value)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(sample.dataset_id).bind(&idx).fetch_all(pool).await?;
    let by_line: std::collections::HashMap<i32, serde_json::Value> = rows.into_iter().collect();
    for item in &mut list {
        if let Some(data) = by_line.get(&item.line_idx) {
            item.original = columns
                .iter()
                .map(|c| (c.clone(), data.get(c).and_then(|v| v.as_str()).unwrap_or_default().to_string()))
                .collect();
        }
    }
    Ok(list)
}

async fn items(pool: &PgPool, sample_id: Uuid, only: Option<Uuid>) -> Result<Vec<SampleItem>> {
    let rows = sqlx::query!(
        r#"SELECT i.id, i.position, i.line_idx, ul.text, ul.row_count, rr.category, rr.score, rr.reason,
                  v.verdict AS "verdict?", v.corrected_category AS "corrected_category?", v.note AS "note?",
                  u.username AS "reviewer?", v.updated_at AS "reviewed_at?"
           FROM sample_items i
           JOIN samples s ON s.id = i.sample_id
           JOIN unique_lines ul ON ul.dataset_id = s.dataset_id AND ul.idx = i.line_idx
           JOIN run_results rr ON rr.run_id = s.run_id AND rr.line_idx = i.line_idx
           LEFT JOIN verdicts v ON v.item_id = i.id
           LEFT JOIN users u ON u.id = v.reviewer_id
           WHERE i.sample_id = $1 AND ($2::uuid IS NULL OR i.id = $2)
           ORDER BY i.position"#,
        sample_id,
        only
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SampleItem {
            id: r.id,
            position: r.position,
            line_idx: r.line_idx,
            line: r.text,
            rows: r.row_count,
            category: r.category,
            score: r.score,
            reason: r.reason,
            verdict: r.verdict.as_deref().and_then(Verdict::parse),
            corrected_category: r.corrected_category,
            note: r.note,
            reviewer: r.reviewer,
            reviewed_at: r.reviewed_at,
            original: Vec::new(),
        })
        .collect())
}

/// Saves (or replaces) the verdict on one item. An `incorrect` verdict names a category the run's
/// prompt defines, other than the one predicted.
pub async fn put_verdict(
    pool: &PgPool,
    user: &CurrentUser,
    sample_id: Uuid,
    item_id: Uuid,
    input: &VerdictInput,
) -> Result<SampleItem> {
    user.require(Permission::SampleReview)?;
    let sample = sample_summary(pool, user, sample_id).await?;
    let item = items(pool, sample_id, Some(item_id)).await?.into_iter().next().ok_or(EngineError::NotFound(Resource::SampleItem))?;
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_LIMIT) {
        return Err(EngineError::invalid(format!("a note may be at most {NOTE_LIMIT} characters")));
    }
    let corrected = match input.verdict {
        Verdict::Incorrect => {
            let wanted = input.corrected_category.as_deref().map(str::trim).unwrap_or_default();
            if wanted.is_empty() {
                return Err(EngineError::invalid("an incorrect verdict needs the right category (corrected_category)"));
            }
            let version_id = sqlx::query_scalar!("SELECT prompt_version_id FROM runs WHERE id = $1", sample.run_id)
                .fetch_one(pool)
                .await?;
            let categories = version_by_id(pool, version_id).await?.categories;
            let Some(found) = categories.iter().find(|c| c.name.eq_ignore_ascii_case(wanted)) else {
                let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
                return Err(EngineError::invalid(format!("'{wanted}' is not a category of the prompt: {}", names.join(", "))));
            };
            if found.name == item.category {
                return Err(EngineError::invalid("the corrected category is the one predicted; mark the line correct instead"));
            }
            Some(found.name.clone())
        }
        Verdict::Correct | Verdict::Skipped => None,
    };
    sqlx::query!(
        "INSERT INTO verdicts (item_id, verdict, corrected_category, note, reviewer_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (item_id) DO UPDATE SET verdict = EXCLUDED.verdict, corrected_category = EXCLUDED.corrected_category,
             note = EXCLUDED.note, reviewer_id = EXCLUDED.reviewer_id, updated_at = now()",
        item_id,
        input.verdict.as_str(),
        corrected,
        note,
        user.id
    )
    .execute(pool)
    .await?;
    items(pool, sample_id, Some(item_id)).await?.into_iter().next().ok_or(EngineError::NotFound(Resource::SampleItem))
}

/// Takes a verdict back (undo).
pub async fn clear_verdict(pool: &PgPool, user: &CurrentUser, sample_id: Uuid, item_id: Uuid) -> Result<SampleItem> {
    user.require(Permission::SampleReview)?;
    sample_summary(pool, user, sample_id).await?;
    sqlx::query!(
        "DELETE FROM verdicts v USING sample_items i WHERE v.item_id = i.id AND i.id = $1 AND i.sample_id = $2",
        item_id,
        sample_id
    )
    .execute(pool)
    .await?;
    items(pool, sample_id, Some(item_id)).await?.into_iter().next().ok_or(EngineError::NotFound(Resource::SampleItem))
}
