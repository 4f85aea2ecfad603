//! Marketing sources through the real `dgs` process: the seeds' REST contract (`/etl/run?since=`,
//! the metrics API, cleanup, the events API with the seed's example), and a run killed with
//! SIGKILL in the middle against a faulty source that, after a restart, ends with exactly the rows
//! of a clean full sync: none missing, none doubled.

use std::collections::BTreeMap;
use std::time::Duration;

use end2end::TestServer;
use serde_json::{Value, json};
use source_testserver::{Api, Fault, SourceTestServer};

const PASSWORD: &str = "a long enough secret";

fn insight(i: usize) -> Value {
    // 20 campaigns over 150 days; clicks and spend vary with i so every row is its own.
    json!({"date_start": format!("2024-{:02}-{:02}", 1 + (i / 20) / 28 % 12, 1 + (i / 20) % 28), "campaign_id": format!("c{}", i % 20), "campaign_name": format!("Campaign {}", i % 20),
           "clicks": (i % 97).to_string(), "impressions": (i % 997).to_string(), "spend": format!("{}.25", i % 50), "actions": [{"action_type": "lead", "value": (i % 7).to_string()}]})
}

fn source(url: &str) -> Value {
    json!({"name": "Faulty ads", "kind": "ads", "url": url, "records_path": "data",
           "pagination": {"kind": "next_link", "next_path": "paging.next", "limit_param": "limit", "page_size": 50},
           "fields": {"date": {"path": "date_start"}, "campaign_id": {"path": "campaign_id"}, "channel": {"constant": "facebook"},
                      "clicks": {"path": "clicks"}, "impressions": {"path": "impressions"}, "cost": {"path": "spend"},
                      "leads": {"path": "actions[action_type=lead].value"}, "utm_campaign": {"path": "campaign_name"}},
           "since_param": "since", "lookback_days": 3})
}

async fn table_rows(server: &TestServer) -> anyhow::Result<Vec<(String, i64, String)>> {
    let db = server.db().await?;
    Ok(sqlx::query_as("SELECT code, clicks, cost::text FROM report_views.ads_performance ORDER BY code").fetch_all(&db).await?)
}

async fn wait_run(server: &TestServer, client: &reqwest::Client, id: &str, until: impl Fn(&Value) -> bool, timeout: Duration) -> anyhow::Result<Value> {
    let end = tokio::time::Instant::now() + timeout;
    loop {
        let r: Value = client.get(server.url(&format!("/api/v1/etl/runs/{id}"))).send().await?.json().await?;
        if until(&r) {
            return Ok(r);
        }
        anyhow::ensure!(tokio::time::Instant::now() < end, "run did not get there in time: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_run_killed_mid_way_converges_to_a_clean_full_sync() -> anyhow::Result<()> {
    const N: usize = 3000;
    let records: Vec<Value> = (0..N).map(insight).collect();
    // What a clean full sync holds: one row per key, the last record of that key.
    let mut clean: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for r in &records {
        let key = format!("{}|{}|facebook", r["date_start"].as_str().unwrap_or(""), r["campaign_id"].as_str().unwrap_or(""));
        clean.insert(key, (r["clicks"].as_str().unwrap_or("0").parse()?, format!("{:.6}", r["spend"].as_str().unwrap_or("0").parse::<f64>()?)));
    }
    let source_server = SourceTestServer::start().await?;
    source_server.set_records(Api::Ads, records.clone());
    // Faults all along: 500s, a page that fails twice, a timeout, malformed JSON.
    for (at, faults) in [(100, vec![Fault::Status(500)]), (500, vec![Fault::Status(503), Fault::Status(500)]), (900, vec![Fault::Delay(Duration::from_secs(3))]), (1500, vec![Fault::Malformed]), (2400, vec![Fault::Status(502)])] {
        source_server.script(Api::Ads, at, faults);
    }
    let mut server = TestServer::start(&[("ETL_LEASE_SECS", "2"), ("ETL_RETRY_BASE_MS", "20"), ("ETL_TIMEOUT_SECS", "1")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let src: Value = root.post(server.url("/api/v1/etl/sources")).json(&source(&source_server.url(Api::Ads))).send().await?.error_for_status()?.json().await?;
    let src_id = src["id"].as_str().unwrap_or_default().to_string();
    // Hold a page far enough in that the kill lands mid-run.
    source_server.hold(Api::Ads, 1200);
    let started: Vec<Value> = root.post(server.url(&format!("/api/v1/etl/run?source_id={src_id}"))).send().await?.error_for_status()?.json().await?;
    let run_id = started[0]["id"].as_str().unwrap_or_default().to_string();
    tokio::time::timeout(Duration::from_secs(60), source_server.reached()).await?;
    let mid = wait_run(&server, &root, &run_id, |r| r["pages"].as_i64().unwrap_or(0) >= 24, Duration::from_secs(30)).await?;
    assert_eq!(mid["status"], "running", "{mid}");
    server.kill()?;
    source_server.release();
    let before = table_rows(&server).await?;
    assert!(!before.is_empty() && before.len() < clean.len(), "the kill landed mid-run: {} rows", before.len());
    let cursor: Option<String> = sqlx::query_scalar("SELECT cursor_at::text FROM etl_sources WHERE id = $1::uuid").bind(&src_id).fetch_one(&server.db().await?).await?;
    assert_eq!(cursor, None, "the cursor does not move before the window is committed");
    server.spawn().await?;
    let root = server.client("root", PASSWORD).await?;
    let done = wait_run(&server, &root, &run_id, |r| r["status"] == "succeeded" || r["status"] == "failed", Duration::from_secs(120)).await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    let n = |k: &str| done[k].as_i64().unwrap_or(-1);
    assert_eq!(n("read"), n("inserted") + n("updated") + n("unchanged") + n("rejected"), "{done}");
    assert!(n("attempts") >= 2, "taken over after the restart: {done}");
    let after = table_rows(&server).await?;
    let got: BTreeMap<String, (i64, String)> = after.iter().map(|(code, clicks, cost)| (code.clone(), (*clicks, format!("{:.6}", cost.parse::<f64>().unwrap_or(-1.0))))).collect();
    let missing = clean.keys().filter(|k| !got.contains_key(*k)).count();
    let doubled = after.len() - got.len();
    let differ = clean.iter().filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v)).count();
    println!("convergence: {} records, {} keys; after kill -9 and restart: {} rows, {missing} missing, {doubled} doubled, {differ} different", N, clean.len(), after.len());
    assert_eq!((missing, doubled, differ, after.len()), (0, 0, 0, clean.len()));
    Ok(())
}

#[tokio::test]
async fn the_seeds_rest_contract_for_runs_metrics_cleanup_and_events() -> anyhow::Result<()> {
    let source_server = SourceTestServer::start().await?;
    source_server.set_records(Api::Ads, source_testserver::facebook_insights()?);
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let src: Value = root.post(server.url("/api/v1/etl/sources")).json(&source(&source_server.url(Api::Ads))).send().await?.error_for_status()?.json().await?;
    let src_id = src["id"].as_str().unwrap_or_default();
    // The seeds' /ingest/run?since=: a date, waited for.
    let runs: Vec<Value> = root.post(server.url(&format!("/api/v1/etl/run?source_id={src_id}&since=2023-01-01&wait=30"))).send().await?.error_for_status()?.json().await?;
    assert_eq!((runs[0]["status"].as_str(), runs[0]["read"].as_i64()), (Some("succeeded"), Some(2)), "{runs:?}");
    assert!(source_server.requests().iter().any(|r| r.contains("since=2023-01-01")), "{:?}", source_server.requests());
    let bad = root.post(server.url(&format!("/api/v1/etl/run?source_id={src_id}&since=yesterday"))).send().await?;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await?;
    assert_eq!(body["error"]["code"], "malformed_request");
    // The seeds' metrics API.
    let m: Value = root.get(server.url("/api/v1/etl/metrics/channel?from=2023-06-01&to=2023-06-30&limit=10&offset=0")).send().await?.error_for_status()?.json().await?;
    assert_eq!(m["rows"][0]["key"], "facebook", "{m}");
    assert_eq!(m["rows"][0]["clicks"], 7, "the later of the two rows of one key: {m}");
    let c: Value = root.get(server.url("/api/v1/etl/metrics/campaign")).send().await?.error_for_status()?.json().await?;
    assert_eq!(c["rows"][0]["key"], "23854404676180548");
    assert_eq!(root.get(server.url("/api/v1/etl/metrics/weekday")).send().await?.status(), 400);
    // Cleanup: the fixture's rows are from 2023, older than 90 days: deleted, and said so.
    let cleaned: Value = root.post(server.url("/api/v1/etl/cleanup")).send().await?.error_for_status()?.json().await?;
    assert_eq!((cleaned["retention_days"].as_i64(), cleaned["ads_deleted"].as_i64()), (Some(90), Some(1)), "{cleaned}");
    // Seed 003's example through HTTP, and its aggregate read back.
    let seed = json!([
        {"id": 1, "timestamp": "2025-01-15T10:00:00Z", "user_id": "user_001", "event": "login", "value": 1.0, "metadata": {"ip": "192.168.1.1"}},
        {"id": 2, "timestamp": "2025-01-15T10:00:05Z", "user_id": "user_001", "event": "page_view", "value": 0.5, "metadata": {"page": "/home"}}
    ]);
    let r: Value = root.post(server.url("/api/v1/events")).json(&seed).send().await?.error_for_status()?.json().await?;
    assert_eq!(r["users"]["user_001"], json!({"total_events": 2, "total_value": 1.5, "events": ["login", "page_view"], "last_activity": "2025-01-15T10:00:05Z"}));
    let u: Value = root.get(server.url("/api/v1/events/users/user_001")).send().await?.error_for_status()?.json().await?;
    assert_eq!(u, r["users"]["user_001"]);
    // NDJSON streamed, with a bad line among good ones.
    let nd = "{\"id\": 10, \"timestamp\": \"2025-01-15T11:00:00Z\", \"user_id\": \"user_002\", \"event\": \"login\"}\nnot json\n";
    let r: Value = root.post(server.url("/api/v1/events")).header("content-type", "application/x-ndjson").body(nd).send().await?.error_for_status()?.json().await?;
    assert_eq!((r["accepted"].as_i64(), r["stored"].as_i64(), r["rejected"].as_i64()), (Some(2), Some(1), Some(1)), "{r}");
    let stats: Value = root.get(server.url("/api/v1/events/stats")).send().await?.error_for_status()?.json().await?;
    assert!(stats["stored"].as_i64() >= Some(3), "{stats}");
    Ok(())
}
