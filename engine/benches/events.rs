//! Event pipeline benchmark (seed 003): `cargo bench -p engine --bench events [-- RECORDS]`
//! (default 1,000,000).
//!
//! Streams RECORDS generated NDJSON records (one in 50 invalid) through the pipeline as one body,
//! end to end into PostgreSQL (validated by at most 10 workers, stored over at most 5
//! connections), and in the same run COPYs the same valid records as CSV into a plain table with
//! the same columns and primary key (the fastest way into PostgreSQL, as `psql \copy` does).
//! Prints records/s of both and their ratio, peak memory, and the largest number of validators
//! and storage connections seen busy at once. Needs `DATABASE_URL`.

use std::time::Instant;

mod common;

use bytes::Bytes;
use engine::events::ingest;
use engine::events::pipeline::{Pipeline, PipelineConfig};
use futures::stream;

const CHUNK: u64 = 500;

/// Record `i`'s time, user, event, value and page: the same for the pipeline and for COPY.
fn fields(i: u64) -> (String, String, &'static str, u64, u64) {
    let time = format!("2025-01-15T{:02}:{:02}:{:02}Z", (i / 3600) % 24, (i / 60) % 60, i % 60);
    (time, format!("user_{:05}", i % 20_000), ["login", "page_view", "click", "purchase"][(i % 4) as usize], i % 10, i % 97)
}

fn line(i: u64) -> String {
    if i % 50 == 49 {
        // Invalid: no user.
        return format!("{{\"id\": {i}, \"timestamp\": \"2025-01-15T10:00:00Z\", \"event\": \"view\"}}\n");
    }
    let (time, user, event, value, page) = fields(i);
    format!("{{\"id\": {i}, \"timestamp\": \"{time}\", \"user_id\": \"{user}\", \"event\": \"{event}\", \"value\": {value}.5, \"metadata\": {{\"page\": \"/p/{page}\"}}}}\n")
}

/// The body, made as it is sent: chunk by chunk, never whole in memory.
fn body(n: u64) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    Box::pin(stream::unfold(0u64, move |from| async move {
        if from >= n {
            return None;
        }
        let to = (from + CHUNK).min(n);
        let text: String = (from..to).map(line).collect();
        Some((Ok(Bytes::from(text)), to))
    }))
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let db = common::ScratchDb::create("dgs_bench_events", 12).await?;
    let rss_before = peak_rss_mb();

    let pipeline = Pipeline::start(db.pool.clone(), PipelineConfig::default());
    let started = Instant::now();
    let report = ingest::feed(&pipeline, body(n)).await?;
    let took = started.elapsed();
    let stats = pipeline.stats().await;
    pipeline.shutdown(std::time::Duration::from_secs(5)).await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db.pool).await?;
    anyhow::ensure!(report.accepted == n && report.accepted == report.stored + report.duplicates + report.rejected, "counts do not reconcile: {report:?}");
    anyhow::ensure!(stored as u64 == report.stored, "stored {stored} rows, the pipeline says {}", report.stored);
    let rate = n as f64 / took.as_secs_f64();
    let peak = peak_rss_mb();

    // Baseline: the same valid records by COPY into a plain table.
    sqlx::query("CREATE TABLE copy_events (id BIGINT PRIMARY KEY, occurred_at TIMESTAMPTZ NOT NULL, user_id TEXT NOT NULL, event TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, metadata JSONB NOT NULL)")
        .execute(&db.pool)
        .await?;
    // The same index the events table has, so both sides keep the same structures up to date.
    sqlx::query("CREATE INDEX copy_events_user ON copy_events (user_id, occurred_at, id)").execute(&db.pool).await?;
    let mut conn = db.pool.acquire().await?;
    let copy_started = Instant::now();
    let mut copy = conn.copy_in_raw("COPY copy_events FROM STDIN (FORMAT csv)").await?;
    let mut buf = String::with_capacity(1 << 20);
    for i in 0..n {
        if i % 50 == 49 {
            continue;
        }
        let (time, user, event, value, page) = fields(i);
        buf.push_str(&format!("{i},{time},{user},{event},{value}.5,\"{{\"\"page\"\": \"\"/p/{page}\"\"}}\"\n"));
        if buf.len() > (1 << 20) {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    let copied = copy.finish().await?;
    let copy_took = copy_started.elapsed();
    let copy_rate = n as f64 / copy_took.as_secs_f64();

    println!("event pipeline, {n} records as one NDJSON stream (1 in 50 invalid):");
    println!("  pipeline end to end into PostgreSQL: {:.2} s, {rate:.0} records/s (stored {}, rejected {}, duplicates {})", took.as_secs_f64(), report.stored, report.rejected, report.duplicates);
    println!("  COPY of the same valid records into a plain table: {:.2} s, {copy_rate:.0} records/s ({copied} rows)", copy_took.as_secs_f64());
    println!("  ratio pipeline / COPY: {:.2}x the time ({:.0}% of COPY's rate)", took.as_secs_f64() / copy_took.as_secs_f64(), 100.0 * rate / copy_rate);
    println!("  seed floor 1,000 records/s: {}; target 100,000 records/s: {}", if rate >= 1000.0 { "met" } else { "NOT met" }, if rate >= 100_000.0 { "met" } else { "not met" });
    println!("  peak memory {peak:.0} MB (before the run {rss_before:.0} MB)");
    println!("  most validators busy at once {} (limit 10); most storage connections at once {} (limit 5)", stats.max_validators_seen, stats.max_storers_seen);
    anyhow::ensure!(stats.max_validators_seen <= 10 && stats.max_storers_seen <= 5, "a concurrency limit was passed");
    drop(conn);
    db.drop().await?;
    Ok(())
}
