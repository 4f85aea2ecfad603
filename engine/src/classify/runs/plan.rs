//! The plan shown before a run starts: the exact messages of the first call (with the examples it
//! carries), the number of calls after dedup and cache, and the estimated tokens and cost, so nobody
//! spends money blind.

use super::chunk::chunk_examples;
use super::{RunContext, resolve};
use crate::classify::examples::{Retriever, current_set, examples_message, run_examples};
use crate::auth::{CurrentUser, Permission};
use crate::classify::protocol::{LineIn, user_message};
use crate::classify::provider::estimate_tokens;
use uuid::Uuid;

use crate::classify::{NewRun, PlanMessage, ProviderKind, RunPlan, RunSettings, compile_prompt};
use crate::clean::dataset_summary;
use crate::error::Result;

/// Tokens a model typically writes per line: the JSON keys, a category and a short reason.
const OUTPUT_TOKENS_PER_LINE: i64 = 30;
/// JSON punctuation and the `row_index` key around each line's text.
const INPUT_OVERHEAD_PER_LINE: i64 = 8;

pub async fn plan_run(ctx: &RunContext, user: &CurrentUser, req: &NewRun) -> Result<RunPlan> {
    plan_run_on(ctx, user, req, &ctx.defaults, None).await
}

/// The plan of a run from `base` settings, on the whole dataset or only on `sample`'s lines.
pub async fn plan_run_on(ctx: &RunContext, user: &CurrentUser, req: &NewRun, base: &RunSettings, sample: Option<Uuid>) -> Result<RunPlan> {
    user.require(Permission::RunCreate)?;
    let dataset = dataset_summary(&ctx.pool, user, req.dataset_id).await?;
    let (version, settings) = resolve(ctx, user, req, base).await?;
    let use_cache = settings.caches();
    let model = settings.model_key();
    // The lines a run would send: not cached, in index order, with their total size.
    let todo = sqlx::query!(
        r#"SELECT count(*) AS "all_lines!",
                  count(*) FILTER (WHERE NOT x.cached) AS "lines!",
                  coalesce(sum(char_length(x.text)) FILTER (WHERE NOT x.cached), 0)::bigint AS "chars!",
                  coalesce(sum(x.row_count), 0)::bigint AS "rows!"
           FROM (SELECT ul.text, ul.row_count,
                        ($2 AND EXISTS (SELECT 1 FROM llm_cache c WHERE c.owner_id = $5 AND c.prompt_version_id = $3 AND c.model = $4
                                          AND c.line_key = md5(ul.clean_text)::uuid)) AS cached
                 FROM unique_lines ul
                 WHERE ul.dataset_id = $1
                   AND ($6::uuid IS NULL OR ul.idx IN (SELECT line_idx FROM sample_items WHERE sample_id = $6))) x"#,
        dataset.id,
        use_cache,
        version.id,
        model,
        user.id,
        sample
    )
    .fetch_one(&ctx.pool)
    .await?;
    let first = sqlx::query!(
        r#"SELECT ul.idx, ul.text FROM unique_lines ul
           WHERE ul.dataset_id = $1
             AND NOT ($2 AND EXISTS (SELECT 1 FROM llm_cache c WHERE c.owner_id = $6 AND c.prompt_version_id = $3 AND c.model = $4
                                       AND c.line_key = md5(ul.clean_text)::uuid))
             AND ($7::uuid IS NULL OR ul.idx IN (SELECT line_idx FROM sample_items WHERE sample_id = $7))
           ORDER BY ul.idx LIMIT $5"#,
        dataset.id,
        use_cache,
        version.id,
        model,
        settings.chunk_size as i64,
        user.id,
        sample
    )
    .fetch_all(&ctx.pool)
    .await?;
    let system = compile_prompt(&version.template, &version.categories);
    let lines: Vec<LineIn> = first.into_iter().map(|r| LineIn { row_index: r.idx as i64, text: r.text }).collect();
    let (examples_version, examples_count) = current_set(&ctx.pool, version.prompt_id).await?;
    let first_examples = if settings.provider == ProviderKind::Openai && settings.few_shot > 0 && examples_count > 0 {
        let retriever = Retriever::new(run_examples(&ctx.pool, version.prompt_id, Some(examples_version), sample).await?);
        chunk_examples(Some(&retriever), &lines, &settings)
    } else {
        Vec::new()
    };
    let examples = examples_message(&first_examples);
    let example_tokens_per_call = examples.as_deref().map_or(0, estimate_tokens);
    let chunk = settings.chunk_size as i64;
    let calls = (todo.lines + chunk - 1) / chunk;
    let est_tokens_in =
        calls * (estimate_tokens(&system) + example_tokens_per_call) + todo.chars / 4 + todo.lines * INPUT_OVERHEAD_PER_LINE;
    let est_tokens_out = todo.lines * OUTPUT_TOKENS_PER_LINE;
    let (est_tokens_in, est_tokens_out) = match settings.provider {
        ProviderKind::Offline => (0, 0),
        ProviderKind::Openai => (est_tokens_in, est_tokens_out),
    };
    let concurrency = settings.concurrency.max(1) as i64;
    Ok(RunPlan {
        prompt_version_id: version.id,
        lines: todo.all_lines,
        rows: if sample.is_some() { todo.rows } else { dataset.rows },
        cached: todo.all_lines - todo.lines,
        calls,
        first_call: if lines.is_empty() {
            Vec::new()
        } else {
            let mut messages = vec![PlanMessage { role: "system".into(), content: system }];
            if let Some(examples) = examples {
                messages.push(PlanMessage { role: "system".into(), content: examples });
            }
            messages.push(PlanMessage { role: "user".into(), content: user_message(&lines) });
            messages
        },
        est_tokens_in,
        est_tokens_out,
        est_cost: settings.cost(est_tokens_in, est_tokens_out),
        rounds: (calls + concurrency - 1) / concurrency,
        examples_version,
        examples_count: i64::from(examples_count),
        first_examples,
        example_tokens_per_call,
        settings,
    })
}
