//! Run benchmark: `cargo bench -p engine --bench llm_runs [-- LINES [LATENCY_MS]]` (default 100,000
//! lines, 100 ms). Classifies LINES unique lines in chunks of 50 against the OpenAI-compatible test
//! server answering every call after a fixed latency, at concurrency 8 and 32, through the same engine
//! functions a worker uses. The baseline is the ideal wall time `ceil(chunks / concurrency) × latency`;
//! target: within 1.15×. Then, on a dataset with repeats, prints the calls saved by dedup and by the
//! cache. Needs PostgreSQL (`DATABASE_URL`) and Redis (`REDIS_URL`).

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use engine::classify::runs::{RunContext, create_run, execute_run, run_progress};
use engine::classify::{NewRun, ProviderKind, RunOverrides, RunStatus};
use engine::classify::runs::RunOutcome;
use llm_testserver::LlmTestServer;
use tokio_util::sync::CancellationToken;

const CHUNK: i32 = 50;

fn overrides(concurrency: u32, use_cache: bool) -> RunOverrides {
    RunOverrides {
        provider: Some(ProviderKind::Openai),
        model: Some("bench-model".into()),
        chunk_size: Some(CHUNK),
        concurrency: Some(concurrency),
        timeout_secs: Some(30.0),
        use_cache: Some(use_cache),
        ..Default::default()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter_map(|a| a.replace('_', "").parse::<u64>().ok());
    let lines = args.next().unwrap_or(100_000) as usize;
    let latency = Duration::from_millis(args.next().unwrap_or(100));
    let db = common::ScratchDb::create("dgs_bench_runs", 24).await?;
    let pool = db.pool.clone();

    let server = LlmTestServer::start().await?;
    server.set_latency(latency);
    let user = support::analyst(&pool).await?;
    let version = support::test_prompt(&pool, &user).await?;
    eprintln!("building a dataset of {lines} unique lines …");
    let dataset = support::dataset_of(&pool, &user, &support::lines(lines)).await?;
    anyhow::ensure!(dataset.unique_lines as usize == lines, "expected {lines} unique lines, got {}", dataset.unique_lines);
    let ctx: RunContext = support::context(&pool, Some(server.base_url())).await?;

    let chunks = lines.div_ceil(CHUNK as usize) as u64;
    println!("{lines} unique lines, chunks of {CHUNK} ({chunks} calls), {} ms per call", latency.as_millis());
    println!("{:>12} {:>10} {:>10} {:>8}", "concurrency", "ideal s", "wall s", "ratio");
    for concurrency in [8u32, 32] {
        let req = NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: overrides(concurrency, false) };
        let id = create_run(&ctx, &user, &req).await?;
        let calls_before = server.calls().len();
        let start = Instant::now();
        let outcome = execute_run(&ctx, id, &CancellationToken::new()).await?;
        let wall = start.elapsed().as_secs_f64();
        anyhow::ensure!(outcome == RunOutcome::Finished(RunStatus::Succeeded), "run ended {outcome:?}");
        let p = run_progress(&pool, &user, id).await?;
        anyhow::ensure!(p.done == lines as i64 && p.missing == 0, "done {} missing {}", p.done, p.missing);
        anyhow::ensure!(server.calls().len() - calls_before == chunks as usize, "calls sent");
        let ideal = chunks.div_ceil(concurrency as u64) as f64 * latency.as_secs_f64();
        println!("{concurrency:>12} {ideal:>10.2} {wall:>10.2} {:>7.3}×", wall / ideal);
    }

    // Calls saved: rows repeat three times (dedup), then the same prompt runs again (cache).
    let distinct = (lines / 10).max(CHUNK as usize);
    let repeated: Vec<String> =
        support::lines(distinct).into_iter().flat_map(|l| [format!("{l} (copia)"), format!("{l} (COPIA)"), format!(" {l}  (copia) ")]).collect();
    let rows = repeated.len();
    let dataset = support::dataset_of(&pool, &user, &repeated).await?;
    let req = NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: overrides(32, true) };
    let naive = rows.div_ceil(CHUNK as usize);
    let mut sent = Vec::new();
    for _ in 0..2 {
        let before = server.calls().len();
        let id = create_run(&ctx, &user, &req).await?;
        execute_run(&ctx, id, &CancellationToken::new()).await?;
        sent.push(server.calls().len() - before);
    }
    println!("\n{rows} rows, {} unique lines: one call per {CHUNK} rows would be {naive} calls", dataset.unique_lines);
    println!("  first run:  {:>6} calls ({} saved by dedup)", sent[0], naive - sent[0]);
    println!("  second run: {:>6} calls ({} saved by the cache)", sent[1], sent[0] - sent[1]);
    drop(pool);
    db.drop().await
}
