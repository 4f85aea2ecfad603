//! Seed 003's pipeline against real PostgreSQL: the seed's own example, refusals counted with their
//! reason, an id sent twice kept once, and a shutdown under load that takes under 5 s, accounts for
//! every record accepted and leaves no task behind.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use engine::events::pipeline::{Pipeline, PipelineConfig};
use engine::events::{ingest, users};
use futures::stream;
use sqlx::PgPool;

use support::admin;

fn body(text: &str) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    // Cut in pieces that split records, as a network does.
    let bytes = text.as_bytes().to_vec();
    let pieces: Vec<Result<Bytes, std::io::Error>> = bytes.chunks(7).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    stream::iter(pieces)
}

const SEED_EXAMPLE: &str = r#"[
  {"id": 1, "timestamp": "2025-01-15T10:00:00Z", "user_id": "user_001", "event": "login", "value": 1.0, "metadata": {"ip": "192.168.1.1"}},
  {"id": 2, "timestamp": "2025-01-15T10:00:05Z", "user_id": "user_001", "event": "page_view", "value": 0.5, "metadata": {"page": "/home"}}
]"#;

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn the_seeds_example_gives_the_seeds_result(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let pipeline = Pipeline::start(pool.clone(), PipelineConfig::default());
    let report = ingest::feed(&pipeline, body(SEED_EXAMPLE)).await?;
    assert_eq!((report.accepted, report.stored, report.rejected), (2, 2, 0));
    let user = &report.users["user_001"];
    assert_eq!((user.total_events, user.total_value), (2, 1.5));
    assert_eq!(user.events, vec!["login", "page_view"]);
    assert_eq!(user.last_activity.to_rfc3339(), "2025-01-15T10:00:05+00:00");
    // The same aggregate read back from what was stored.
    let stored = users::user(&pool, &u, "user_001").await?;
    assert_eq!((stored.total_events, stored.total_value, stored.events.clone(), stored.last_activity), (2, 1.5, user.events.clone(), user.last_activity));
    assert_eq!(users::user(&pool, &u, "nobody").await.expect_err("no events").code(), engine::ErrorCode::EventUserNotFound);

    // NDJSON with refusals and an id sent before: each accounted for, the stream not broken.
    let ndjson = "{\"id\": 3, \"timestamp\": \"2025-01-15T10:01:00Z\", \"user_id\": \"user_002\", \"event\": \"LOGIN\", \"value\": 2}\n\
                  {\"id\": 4, \"timestamp\": \"not a time\", \"user_id\": \"user_002\", \"event\": \"x\"}\n\
                  \n\
                  {broken json\n\
                  {\"id\": 2, \"timestamp\": \"2025-01-15T10:00:05Z\", \"user_id\": \"user_001\", \"event\": \"page_view\", \"value\": 0.5}\n\
                  {\"id\": 5, \"timestamp\": \"2025-01-15T10:02:00Z\", \"event\": \"logout\"}";
    let r = ingest::feed(&pipeline, body(ndjson)).await?;
    assert_eq!((r.accepted, r.stored, r.duplicates, r.rejected), (5, 1, 1, 3), "{r:?}");
    assert_eq!(r.accepted, r.stored + r.duplicates + r.rejected);
    let mut why: Vec<(u64, String)> = r.rejections.iter().map(|x| (x.position, x.reason.clone())).collect();
    why.sort();
    assert_eq!(why[0], (2, "timestamp 'not a time' is not RFC 3339".to_string()));
    assert!(why[1].0 == 4 && why[1].1.starts_with("not a JSON object"), "{why:?}");
    assert_eq!(why[2], (6, "user_id is missing".to_string()));
    assert_eq!(r.users["user_002"].events, vec!["login"]);
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM event_rejections").fetch_one(&pool).await?;
    assert_eq!(kept, 3, "refused records are kept with their reason");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(stored, 3);
    // A body that is neither NDJSON nor a JSON array of records is refused whole.
    let e = ingest::feed(&pipeline, body("[1, 2")).await.expect_err("not an array");
    assert_eq!(e.code(), engine::ErrorCode::EventsBodyInvalid);
    pipeline.shutdown(Duration::from_secs(5)).await;
    assert_eq!(pipeline.tasks_alive(), 0);
    Ok(())
}

fn records(from: u64, n: u64) -> String {
    let mut s = String::with_capacity(n as usize * 120);
    for i in from..from + n {
        s.push_str(&format!("{{\"id\": {i}, \"timestamp\": \"2025-01-15T10:00:00Z\", \"user_id\": \"user_{:04}\", \"event\": \"view\", \"value\": 1}}\n", i % 1000));
    }
    s
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_shutdown_under_load_takes_under_5_s_and_accounts_for_every_record(pool: PgPool) -> anyhow::Result<()> {
    let pipeline = Pipeline::start(pool.clone(), PipelineConfig { queue: 2048, ..Default::default() });
    let baseline = pipeline.tasks_alive();
    assert_eq!(baseline, 10 + 5 + 1, "validators, storers and the sampler");
    // Four clients sending 50,000 records each while the server is told to stop.
    let mut clients = Vec::new();
    for c in 0..4u64 {
        let p = pipeline.clone();
        let text = records(c * 1_000_000, 50_000);
        clients.push(tokio::spawn(async move { ingest::feed(&p, body(&text)).await }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let stats = pipeline.stats().await;
    let started = Instant::now();
    let lost = pipeline.shutdown(Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    let (mut accepted, mut settled, mut refused_late) = (0, 0, 0);
    for c in clients {
        match c.await? {
            Ok(r) => {
                accepted += r.accepted;
                settled += r.stored + r.duplicates + r.rejected;
            }
            // Records offered after the stop were not taken: the client is told to send again.
            Err(e) => {
                assert_eq!(e.code(), engine::ErrorCode::EventsUnavailable);
                refused_late += 1;
            }
        }
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    let after = pipeline.stats().await;
    assert!(!after.accepting);
    assert_eq!(pipeline.tasks_alive(), 0, "no task left behind");
    // Every record the pipeline took is stored, or rejected and kept with its reason.
    let kept = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM event_rejections").fetch_one(&pool).await? as u64;
    assert_eq!((kept, after.rejected), (lost, lost), "only the shutdown refused records here");
    eprintln!(
        "shutdown under load: {took:?}; sampled before: {:.0} records/s, {} in flight; stored {stored}, lost to shutdown {lost}, clients refused after the stop {refused_late}",
        stats.records_per_sec, stats.in_flight
    );
    assert!(stored > 0, "the load reached the database before the stop");
    if refused_late == 0 {
        assert_eq!(accepted, settled);
    }
    let internal = pipeline.stats().await;
    assert_eq!(internal.accepted, internal.stored + internal.duplicates + internal.rejected, "{internal:?}");
    assert_eq!(internal.stored as i64, stored);
    Ok(())
}
