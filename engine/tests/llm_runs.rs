//! Runs against a real OpenAI-compatible HTTP server that the test starts, scripted to misbehave in
//! every way the issue lists: every case must end with exactly one result per unique line and the
//! right counters.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use engine::classify::runs::{RunContext, RunOutcome, cancel_run, create_run, execute_run, plan_run, reopen_run, run_progress};
use engine::classify::{NewRun, ProviderKind, RunOverrides, RunProgress, RunStatus};
use engine::clean::DatasetSummary;
use llm_testserver::{Fault, LlmTestServer};
use sqlx::PgPool;
use support::{analyst, context, dataset_of, lines, test_prompt};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn openai(dataset: &DatasetSummary, version: Uuid, chunk: i32, concurrency: u32) -> NewRun {
    NewRun {
        dataset_id: dataset.id,
        prompt_id: None,
        prompt_version_id: Some(version),
        overrides: RunOverrides {
            provider: Some(ProviderKind::Openai),
            model: Some("test-model".into()),
            chunk_size: Some(chunk),
            concurrency: Some(concurrency),
            max_retries: Some(3),
            timeout_secs: Some(0.5),
            ..Default::default()
        },
    }
}

/// The results reconcile with the dataset: as many as it has unique lines, every one of them a
/// line of that dataset (the primary key already forbids two results for a line; what matters is
/// that none is missing and none points elsewhere), and the rows they cover are all the rows.
async fn assert_one_result_per_line(pool: &PgPool, run: Uuid, total: i64) -> anyhow::Result<()> {
    let (unique_lines, results, matched, rows_covered, rows): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM unique_lines u WHERE u.dataset_id = r.dataset_id),
                (SELECT count(*) FROM run_results rr WHERE rr.run_id = r.id),
                (SELECT count(*) FROM run_results rr JOIN unique_lines u ON u.dataset_id = r.dataset_id AND u.idx = rr.line_idx
                  WHERE rr.run_id = r.id),
                (SELECT coalesce(sum(u.row_count), 0)::bigint FROM run_results rr
                  JOIN unique_lines u ON u.dataset_id = r.dataset_id AND u.idx = rr.line_idx WHERE rr.run_id = r.id),
                (SELECT rows::bigint FROM datasets d WHERE d.id = r.dataset_id)
         FROM runs r WHERE r.id = $1",
    )
    .bind(run)
    .fetch_one(pool)
    .await?;
    assert_eq!(unique_lines, total, "the run covers the dataset's unique lines");
    assert_eq!((results, matched), (total, total), "one result per unique line, each a line of this dataset");
    assert_eq!(rows_covered, rows, "the results cover every row of the dataset");
    Ok(())
}

async fn run_to_end(ctx: &RunContext, id: Uuid) -> anyhow::Result<RunOutcome> {
    Ok(execute_run(ctx, id, &CancellationToken::new()).await?)
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn every_fault_ends_with_one_result_per_line_and_the_right_counters(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let dataset = dataset_of(&pool, &user, &lines(100)).await?;
    // Chunks of 10: chunk k starts at row_index 10k.
    server.script(0, vec![Fault::RateLimited { retry_after: Some(0.3) }, Fault::ServerError(500)]);
    server.script(10, vec![Fault::MalformedContent, Fault::MalformedBody]);
    server.script(20, vec![Fault::Late(Duration::from_secs(2))]);
    server.script(30, vec![Fault::Drop(2)]);
    server.script(40, vec![Fault::Duplicate]);
    server.script(50, vec![Fault::Invent(3)]);
    server.script(60, vec![Fault::Reorder]);
    server.script(70, vec![Fault::WrongIndexWithText]);
    server.script(80, vec![Fault::UnknownCategory]);
    server.script(90, vec![Fault::ServerError(503)]);

    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 4)).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Succeeded));

    let p = run_progress(&pool, &user, id).await?;
    assert_one_result_per_line(&pool, id, 100).await?;
    assert_eq!((p.done, p.total, p.failed), (100, 100, 0));
    assert_eq!((p.reasked, p.reask_answered), (2 + 1, 3), "two dropped and one unknown category, asked again and answered");
    assert_eq!(p.missing, 0, "no line is left without an answer");
    assert_eq!(p.repaired, 1, "the wrong row_index matched by its text");
    assert_eq!(p.discarded, 10 + 3 + 1, "duplicates, invented indexes, the unknown category");
    assert_eq!(p.retries, 2 + 2 + 1 + 1, "429+500, two malformed, one timeout, one 503");
    assert_eq!((p.chunks_total, p.chunks_done), (10, 10));
    assert!(p.tokens_in > 0 && p.tokens_out > 0 && p.cost > 0.0, "{} {} {}", p.tokens_in, p.tokens_out, p.cost);

    // Merged by row_index: the reversed chunk still has each line's own category.
    let rows: Vec<(i32, String, String)> = sqlx::query_as(
        "SELECT rr.line_idx, ul.text, rr.category FROM run_results rr
         JOIN unique_lines ul ON ul.dataset_id = $2 AND ul.idx = rr.line_idx WHERE rr.run_id = $1 ORDER BY 1",
    )
    .bind(id)
    .bind(dataset.id)
    .fetch_all(&pool)
    .await?;
    let undetermined: Vec<i32> = rows.iter().filter(|r| r.2 == "Indeterminado").map(|r| r.0).collect();
    assert_eq!(undetermined, Vec::<i32>::new(), "the dropped tail of chunk 3 and the unknown category were asked again");
    let reasks: Vec<Vec<i64>> = server.calls().iter().filter(|c| c.row_indexes.len() < 10).map(|c| c.row_indexes.clone()).collect();
    assert_eq!(reasks.len(), 2, "one small follow-up call per chunk with dropped lines: {reasks:?}");
    assert!(reasks.contains(&vec![38, 39]) && reasks.contains(&vec![80]), "{reasks:?}");
    for (idx, text, category) in rows.iter() {
        assert!(text.starts_with(category.as_str()), "line {idx} {text:?} got {category}");
    }

    // Retry-After was honoured: chunk 0's second call came at least 0.3 s after its first.
    let calls = server.calls();
    let chunk0: Vec<_> = calls.iter().filter(|c| c.row_indexes.first() == Some(&0)).collect();
    assert_eq!(chunk0.len(), 3);
    assert!(chunk0[1].at - chunk0[0].at >= Duration::from_millis(300), "{:?}", chunk0[1].at - chunk0[0].at);
    assert!(calls.iter().all(|c| c.structured), "structured output is asked for");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_chunk_that_exhausts_its_retries_fails_alone_and_is_retried_alone(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let dataset = dataset_of(&pool, &user, &lines(40)).await?;
    // 1 try + 3 retries, twice: in the run and in its automatic retry pass.
    server.script(10, vec![Fault::ServerError(500); 8]);
    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 2)).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Failed));
    let p = run_progress(&pool, &user, id).await?;
    assert_eq!((p.done, p.failed, p.retries, p.retry_pass_rescued), (30, 10, 6, 0));
    assert_eq!(p.failures.len(), 1);
    assert_eq!((p.failures[0].chunk_no, p.failures[0].lines, p.failures[0].attempts), (1, 10, 8));
    assert!(p.failures[0].error.contains("500"), "{}", p.failures[0].error);
    assert!(p.error.as_deref().unwrap_or_default().contains("retry the failed chunks"), "{:?}", p.error);

    let err = reopen_run(&ctx, &user, id, false).await.err().map(|e| e.code());
    assert_eq!(err, Some(engine::ErrorCode::RunNothingPending), "nothing pending without retrying the failed chunk");
    let before = server.calls().len();
    reopen_run(&ctx, &user, id, true).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Succeeded));
    let again: Vec<_> = server.calls()[before..].iter().map(|c| c.row_indexes[0]).collect();
    assert_eq!(again, vec![10], "only the failed chunk went out again");
    let p = run_progress(&pool, &user, id).await?;
    assert_eq!((p.done, p.failed, p.status), (40, 0, RunStatus::Succeeded));
    assert_eq!(p.failures.len(), 0);
    assert_one_result_per_line(&pool, id, 40).await
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn the_retry_pass_at_the_end_rescues_a_chunk_whose_outage_ended(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let dataset = dataset_of(&pool, &user, &lines(40)).await?;
    server.script(20, vec![Fault::ServerError(503); 4]); // every try of the run, none of the pass
    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 2)).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Succeeded));
    let p = run_progress(&pool, &user, id).await?;
    assert_eq!((p.done, p.failed, p.retry_pass_rescued, p.retries), (40, 0, 10, 3));
    assert!(p.error.is_none());
    let chunk2 = server.calls().iter().filter(|c| c.row_indexes.first() == Some(&20)).count();
    assert_eq!(chunk2, 5, "four in the run, one in the pass");
    assert_one_result_per_line(&pool, id, 40).await
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_poisoned_line_fails_alone_after_its_chunk_is_halved(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let mut all = lines(30);
    all[13] = "Viajes POISON breaks every answer".into();
    let dataset = dataset_of(&pool, &user, &all).await?;
    server.poison("POISON");
    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 2)).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Succeeded));
    let p = run_progress(&pool, &user, id).await?;
    assert_one_result_per_line(&pool, id, 30).await?;
    assert_eq!((p.done, p.failed, p.isolated), (30, 0, 1), "one line failed, alone");
    assert_eq!(p.split_answered, 9, "the other nine lines of its chunk were answered by the halves");
    assert_eq!(p.retries, 3, "the chunk's own retries, then halving without more");
    // 10 lines: 5 | 5 → the poisoned 5 → 2 | 3 → the poisoned 3 (indexes 12-14) → 1 | 2 → 1 | 1.
    assert_eq!(p.split_calls, 8, "two calls per halving, four halvings");
    let (category, score, source): (String, f64, String) =
        sqlx::query_as("SELECT category, score, source FROM run_results WHERE run_id = $1 AND line_idx = 13").bind(id).fetch_one(&pool).await?;
    assert_eq!((category.as_str(), score, source.as_str()), ("Indeterminado", -1.0, "isolated"));
    let answered: i64 = sqlx::query_scalar("SELECT count(*) FROM run_results WHERE run_id = $1 AND source = 'model'").bind(id).fetch_one(&pool).await?;
    assert_eq!(answered, 29);
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_refused_call_stops_the_run_with_a_clear_error(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    server.always(Some(Fault::Status(401)));
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let dataset = dataset_of(&pool, &user, &lines(200)).await?;
    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 2)).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Failed));
    let p = run_progress(&pool, &user, id).await?;
    assert!(p.error.as_deref().unwrap_or_default().contains("refused the request"), "{:?}", p.error);
    assert!(server.calls().len() <= 2, "no retries and no new calls after a refusal: {}", server.calls().len());
    assert_eq!(p.retries, 0);
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn dedup_and_the_cache_save_calls_and_the_plan_says_so(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    // 60 distinct lines, each three times.
    let repeated: Vec<String> = lines(60).into_iter().flat_map(|l| [l.clone(), l.to_uppercase(), format!(" {l} ")]).collect();
    let dataset = dataset_of(&pool, &user, &repeated).await?;
    assert_eq!((dataset.rows, dataset.unique_lines), (180, 60));
    let ctx = context(&pool, Some(server.base_url())).await?;
    let req = openai(&dataset, version, 20, 2);

    let plan = plan_run(&ctx, &user, &req).await?;
    assert_eq!((plan.lines, plan.rows, plan.cached, plan.calls, plan.rounds), (60, 180, 0, 3, 2));
    assert_eq!(plan.first_call.len(), 2);
    assert!(plan.first_call[0].content.contains("1. Pop - cosas de Pop"), "{}", plan.first_call[0].content);
    let sent: Vec<serde_json::Value> = serde_json::from_str(&plan.first_call[1].content)?;
    assert_eq!(sent.len(), 20);
    assert_eq!(sent[0], serde_json::json!({"row_index": 0, "text": "Pop item 0"}));
    assert!(plan.est_tokens_in > 0 && plan.est_cost > 0.0);

    let first = create_run(&ctx, &user, &req).await?;
    run_to_end(&ctx, first).await?;
    assert_eq!(server.calls().len(), 3, "180 rows, 60 unique lines, 3 calls");
    // Calls race at concurrency 2: the plan's first call is the one that starts at row_index 0.
    let first_call = server.calls().into_iter().find(|c| c.row_indexes.first() == Some(&0)).map(|c| c.row_indexes);
    assert_eq!(first_call, Some((0..20).collect::<Vec<i64>>()), "the plan showed exactly the first call");

    let plan = plan_run(&ctx, &user, &req).await?;
    assert_eq!((plan.cached, plan.calls, plan.est_cost), (60, 0, 0.0));
    let second = create_run(&ctx, &user, &req).await?;
    assert_eq!(run_to_end(&ctx, second).await?, RunOutcome::Finished(RunStatus::Succeeded));
    assert_eq!(server.calls().len(), 3, "the same prompt version on the same lines costs no call");
    let p: RunProgress = run_progress(&pool, &user, second).await?;
    assert_eq!((p.done, p.cached, p.tokens_in), (60, 60, 0));
    assert_one_result_per_line(&pool, second, 60).await?;

    let mut no_cache = req.clone();
    no_cache.overrides.use_cache = Some(false);
    let third = create_run(&ctx, &user, &no_cache).await?;
    run_to_end(&ctx, third).await?;
    assert_eq!(server.calls().len(), 6, "use_cache=false sends everything again");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn servers_without_structured_output_get_plain_json(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    server.refuse_json_schema(true);
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let dataset = dataset_of(&pool, &user, &lines(30)).await?;
    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 1)).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Succeeded));
    let structured: Vec<bool> = server.calls().iter().map(|c| c.structured).collect();
    assert_eq!(structured, vec![true, false, false, false], "one refusal, then plain JSON for the rest");
    let p = run_progress(&pool, &user, id).await?;
    assert_eq!((p.done, p.retries, p.missing), (30, 0, 0));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn cancel_stops_new_calls_and_resume_sends_only_what_is_left(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    server.set_latency(Duration::from_millis(150));
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let dataset = dataset_of(&pool, &user, &lines(100)).await?;
    let ctx = context(&pool, Some(server.base_url())).await?;
    let id = create_run(&ctx, &user, &openai(&dataset, version, 10, 2)).await?;
    let runner = {
        let ctx = ctx.clone();
        tokio::spawn(async move { execute_run(&ctx, id, &CancellationToken::new()).await })
    };
    while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM run_chunks WHERE run_id = $1 AND status = 'done'")
        .bind(id)
        .fetch_one(&pool)
        .await?
        < 2
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cancel_run(&ctx, &user, id).await?;
    assert_eq!(runner.await??, RunOutcome::Finished(RunStatus::Cancelled));
    let stored: Vec<i32> = sqlx::query_scalar("SELECT chunk_no FROM run_chunks WHERE run_id = $1 AND status = 'done'")
        .bind(id)
        .fetch_all(&pool)
        .await?;
    let p = run_progress(&pool, &user, id).await?;
    assert_eq!(p.status, RunStatus::Cancelled);
    assert!(p.done < 100, "cancelled before the end: {}", p.done);
    let calls_at_cancel = server.calls().len();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.calls().len(), calls_at_cancel, "no call starts after the cancel");

    reopen_run(&ctx, &user, id, false).await?;
    assert_eq!(run_to_end(&ctx, id).await?, RunOutcome::Finished(RunStatus::Succeeded));
    let mut sent: HashMap<i64, usize> = HashMap::new();
    for c in server.calls() {
        *sent.entry(c.row_indexes[0]).or_default() += 1;
    }
    for chunk in stored {
        assert_eq!(sent.get(&(chunk as i64 * 10)), Some(&1), "stored chunk {chunk} was sent again");
    }
    assert_one_result_per_line(&pool, id, 100).await?;
    Ok(())
}
