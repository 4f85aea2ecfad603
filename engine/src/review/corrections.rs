//! The corrections of a review, at hand for refining the prompt: the lines the model got wrong,
//! grouped by their true category, and saving the prompt's next version with those lines appended to
//! the template as few-shot examples (and added to the prompt's examples, `classify::examples`).

use std::collections::BTreeMap;

use sqlx::PgPool;
use uuid::Uuid;

use super::samples::sample_summary;
use super::{CorrectionGroup, CorrectedLine};
use crate::auth::{CurrentUser, Permission};
use crate::classify::prompts::{duplicate_prompt, save_version, version_detail};
use crate::classify::{PromptDraft, PromptVersionDetail};
use crate::error::{Conflict, EngineError, Result};

/// How many corrected lines go into a prompt at most: examples cost tokens on every call.
const MAX_EXAMPLES: usize = 40;
const EXAMPLES_HEADING: &str = "EJEMPLOS CORREGIDOS POR PERSONAS:";

/// Lines marked incorrect, grouped by the category people gave them, largest group first.
pub async fn corrections(pool: &PgPool, user: &CurrentUser, sample_id: Uuid) -> Result<Vec<CorrectionGroup>> {
    sample_summary(pool, user, sample_id).await?;
    let rows = sqlx::query!(
        r#"SELECT ul.text, rr.category AS predicted, v.corrected_category AS "truth!", v.note
           FROM sample_items i
           JOIN samples s ON s.id = i.sample_id
           JOIN verdicts v ON v.item_id = i.id AND v.verdict = 'incorrect'
           JOIN unique_lines ul ON ul.dataset_id = s.dataset_id AND ul.idx = i.line_idx
           JOIN run_results rr ON rr.run_id = s.run_id AND rr.line_idx = i.line_idx
           WHERE i.sample_id = $1 ORDER BY i.position"#,
        sample_id
    )
    .fetch_all(pool)
    .await?;
    let mut groups: BTreeMap<String, Vec<CorrectedLine>> = BTreeMap::new();
    for r in rows {
        groups.entry(r.truth).or_default().push(CorrectedLine { line: r.text, predicted: r.predicted, note: r.note });
    }
    let mut out: Vec<CorrectionGroup> = groups.into_iter().map(|(category, lines)| CorrectionGroup { category, lines }).collect();
    out.sort_by(|a, b| b.lines.len().cmp(&a.lines.len()).then(a.category.cmp(&b.category)));
    Ok(out)
}

/// Saves the next version of the sampled run's prompt with the corrected lines as examples at the
/// end of its template (replacing examples added this way before). With `into_copy`, the prompt is
/// first duplicated as the user's own and the examples go into the copy: the way on for a prompt
/// someone else owns.
pub async fn save_with_examples(pool: &PgPool, user: &CurrentUser, sample_id: Uuid, into_copy: bool) -> Result<PromptVersionDetail> {
    // Checked before anything is looked up, so a caller without the right learns nothing of the sample.
    user.require(Permission::SampleReview)?;
    user.require(Permission::PromptEdit)?;
    let sample = sample_summary(pool, user, sample_id).await?;
    let groups = corrections(pool, user, sample_id).await?;
    if groups.is_empty() {
        return Err(EngineError::Conflict(Conflict::NoCorrections));
    }
    let version_id = sqlx::query_scalar!("SELECT prompt_version_id FROM runs WHERE id = $1", sample.run_id).fetch_one(pool).await?;
    let current = version_detail(pool, user, version_id).await?;
    let base = current.template.split(EXAMPLES_HEADING).next().unwrap_or_default().trim_end();
    let mut template = format!("{base}\n\n{EXAMPLES_HEADING}\n");
    for (line, category) in groups.iter().flat_map(|g| g.lines.iter().map(move |l| (l, &g.category))).take(MAX_EXAMPLES) {
        template.push_str(&format!("- «{}» → {}\n", line.line.replace('\n', " "), category));
    }
    let draft = PromptDraft { name: None, label: None, template, categories: current.categories, shared: None };
    let target = if into_copy { duplicate_prompt(pool, user, current.prompt_id, None).await?.prompt_id } else { current.prompt_id };
    let saved = save_version(pool, user, target, &draft).await?;
    // Every corrected line (not only those that fit in the template) joins the prompt's examples:
    // the offline model learns from them and the LLM is sent the nearest ones.
    let reviewed: Vec<(String, String)> = groups.iter().flat_map(|g| g.lines.iter().map(move |l| (l.line.clone(), g.category.clone()))).collect();
    crate::classify::examples::add_reviewed(pool, user, target, &reviewed, &crate::classify::examples::review_source(sample_id)).await?;
    Ok(saved)
}
