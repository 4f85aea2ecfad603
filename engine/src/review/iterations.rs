//! Iterations of review: another prompt version run on exactly a sample's items, every iteration's
//! accuracy on the same verdicts, and two iterations compared line by line.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use super::metrics::sample_metrics;
use super::samples::sample_summary;
use super::{CategoryDelta, ChangedLine, Comparison, Iteration, SampleRerun, Scope};
use crate::auth::{CurrentUser, Permission};
use crate::classify::runs::{RunContext, create_run_on, plan_run_on, run_settings};
use crate::classify::{NewRun, ProviderKind, RunPlan, RunSettings, RunStatus};
use crate::error::{EngineError, Result};

/// The run request and base settings of an iteration: the sampled run's provider, model and
/// settings, so two iterations differ only in the prompt unless the request overrides them.
async fn iteration_request(ctx: &RunContext, user: &CurrentUser, sample_id: Uuid, req: &SampleRerun) -> Result<(NewRun, RunSettings, i64)> {
    user.require(Permission::SampleReview)?;
    let sample = sample_summary(&ctx.pool, user, sample_id).await?;
    let base = run_settings(&ctx.pool, sample.run_id).await?;
    let run = NewRun {
        dataset_id: sample.dataset_id,
        prompt_id: None,
        prompt_version_id: Some(req.prompt_version_id),
        overrides: req.overrides.clone(),
    };
    Ok((run, base, sample.size))
}

/// What running a version from this sample would send and cost, before anything starts.
pub async fn plan_iteration(ctx: &RunContext, user: &CurrentUser, sample_id: Uuid, req: &SampleRerun, scope: Scope) -> Result<RunPlan> {
    let (run, base, _) = iteration_request(ctx, user, sample_id, req).await?;
    plan_run_on(ctx, user, &run, &base, (scope == Scope::Sample).then_some(sample_id)).await
}

/// Creates the run of an iteration (queue it with `jobs::queue_run`).
pub async fn create_iteration(ctx: &RunContext, user: &CurrentUser, sample_id: Uuid, req: &SampleRerun, scope: Scope) -> Result<Uuid> {
    let (run, base, size) = iteration_request(ctx, user, sample_id, req).await?;
    let on = match scope {
        Scope::Sample => Some((sample_id, size)),
        Scope::Dataset => None,
    };
    create_run_on(ctx, user, &run, &base, on).await
}

/// The sampled run, then every run on the sample's items, oldest first, each with its accuracy.
pub async fn iterations(pool: &PgPool, user: &CurrentUser, sample_id: Uuid) -> Result<Vec<Iteration>> {
    let sample = sample_summary(pool, user, sample_id).await?;
    let runs = sqlx::query!(
        r#"SELECT r.id, r.prompt_version_id, r.status, r.provider, r.model, p.name, v.version
           FROM runs r JOIN prompt_versions v ON v.id = r.prompt_version_id JOIN prompts p ON p.id = v.prompt_id
           WHERE r.id = $1 OR r.sample_id = $2
           ORDER BY (r.id <> $1), r.created_at"#,
        sample.run_id,
        sample_id
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(runs.len());
    for (n, r) in runs.into_iter().enumerate() {
        let status = RunStatus::parse(&r.status).ok_or_else(|| EngineError::internal("unknown run status"))?;
        let m = sample_metrics(pool, user, sample_id, Some(r.id)).await?;
        out.push(Iteration {
            number: n as i32 + 1,
            run_id: r.id,
            prompt_version_id: r.prompt_version_id,
            prompt_name: r.name,
            prompt_version: r.version,
            status,
            provider: ProviderKind::parse(&r.provider).ok_or_else(|| EngineError::internal("unknown provider"))?,
            model: r.model,
            accuracy: m.accuracy,
            accuracy_ci: m.accuracy_ci,
            reviewed: m.reviewed,
        });
    }
    Ok(out)
}

/// `before` and `after` scored on the same verdicts: accuracy and per-category F1 side by side, and
/// the lines one got right and the other wrong.
pub async fn compare(pool: &PgPool, user: &CurrentUser, sample_id: Uuid, before: Uuid, after: Uuid) -> Result<Comparison> {
    let a = sample_metrics(pool, user, sample_id, Some(before)).await?;
    let b = sample_metrics(pool, user, sample_id, Some(after)).await?;
    let lines = sqlx::query!(
        r#"SELECT i.id, ul.text, coalesce(v.corrected_category, base.category) AS "truth!",
                  ra.category AS "before?", rb.category AS "after?"
           FROM sample_items i
           JOIN samples s ON s.id = i.sample_id
           JOIN verdicts v ON v.item_id = i.id AND v.verdict <> 'skipped'
           JOIN unique_lines ul ON ul.dataset_id = s.dataset_id AND ul.idx = i.line_idx
           JOIN run_results base ON base.run_id = s.run_id AND base.line_idx = i.line_idx
           LEFT JOIN run_results ra ON ra.run_id = $2 AND ra.line_idx = i.line_idx
           LEFT JOIN run_results rb ON rb.run_id = $3 AND rb.line_idx = i.line_idx
           WHERE i.sample_id = $1 ORDER BY i.position"#,
        sample_id,
        before,
        after
    )
    .fetch_all(pool)
    .await?;
    let (mut fixed, mut broken) = (Vec::new(), Vec::new());
    for l in lines {
        let (Some(was), Some(now)) = (l.before, l.after) else { continue };
        let changed = ChangedLine { item_id: l.id, line: l.text, truth: l.truth.clone(), before: was.clone(), after: now.clone() };
        match (was == l.truth, now == l.truth) {
            (false, true) => fixed.push(changed),
            (true, false) => broken.push(changed),
            _ => {}
        }
    }
    let f1_of = |m: &super::SampleMetrics| m.per_category.iter().map(|c| (c.category.clone(), (c.f1, c.support))).collect::<HashMap<_, _>>();
    let (fa, fb) = (f1_of(&a), f1_of(&b));
    let mut names: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    names.sort();
    names.dedup();
    let per_category = names
        .into_iter()
        .map(|c| CategoryDelta {
            category: c.clone(),
            f1_before: fa.get(c).map_or(0.0, |x| x.0),
            f1_after: fb.get(c).map_or(0.0, |x| x.0),
            support: fa.get(c).or(fb.get(c)).map_or(0, |x| x.1),
        })
        .collect();
    Ok(Comparison { before: a, after: b, per_category, fixed, broken })
}

/// Lines people validated, as (text, category) examples for the offline classifier of a run that
/// `owner` started with a version of `prompt_id`.
///
/// Scope: the prompt owns its examples — verdicts given on samples of runs of any version of that
/// prompt — and of those only the ones on datasets `owner` may read (their own and those shared with
/// them). Another user's reviewed lines never teach this run anything, so nothing of theirs can come
/// back in its answers. With `leave_out`, that sample's own verdicts are left out, so scoring an
/// iteration on the sample does not grade the classifier on answers it was given.
pub async fn validated_examples(pool: &PgPool, owner: Uuid, prompt_id: Uuid, leave_out: Option<Uuid>) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT ul.text, coalesce(v.corrected_category, rr.category) AS "category!"
           FROM verdicts v
           JOIN sample_items i ON i.id = v.item_id
           JOIN samples s ON s.id = i.sample_id
           JOIN datasets d ON d.id = s.dataset_id
           JOIN runs sampled ON sampled.id = s.run_id
           JOIN prompt_versions pv ON pv.id = sampled.prompt_version_id
           JOIN unique_lines ul ON ul.dataset_id = s.dataset_id AND ul.idx = i.line_idx
           JOIN run_results rr ON rr.run_id = s.run_id AND rr.line_idx = i.line_idx
           WHERE v.verdict <> 'skipped' AND ($1::uuid IS NULL OR s.id <> $1)
             AND pv.prompt_id = $3
             AND (d.owner_id = $2 OR EXISTS (SELECT 1 FROM dataset_shares ds WHERE ds.dataset_id = d.id AND ds.user_id = $2))
           ORDER BY v.updated_at DESC LIMIT 50000"#,
        leave_out,
        owner,
        prompt_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.text, r.category)).collect())
}
