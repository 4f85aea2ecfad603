//! `kill -9` of the server mid-work (issue 20): during an ingest and during an event stream. (Runs,
//! imports and ETL runs have their own kill tests in recovery.rs, migration_api.rs and etl_api.rs.)
//! After a restart, counts reconcile exactly: nothing half-stored, nothing lost, nothing doubled.

use std::time::{Duration, Instant};

use end2end::TestServer;
use serde_json::Value;

const PASSWORD: &str = "a long enough secret";

fn ledger(lines: usize) -> Vec<u8> {
    let mut out = b"fecha;concepto;importe\n".to_vec();
    for i in 0..lines {
        out.extend_from_slice(format!("2026-03-{:02};PROVEEDOR {i:07} MATERIAL DE OFICINA;{}.{:02}\n", i % 28 + 1, i % 5000, i % 100).as_bytes());
    }
    out
}

async fn scalar(db: &sqlx::PgPool, sql: &'static str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(sql).fetch_one(db).await?)
}

async fn until(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !check().await? {
        anyhow::ensure!(Instant::now() < deadline, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::test]
async fn an_ingest_killed_mid_read_leaves_nothing_and_the_file_is_stored_whole_after_a_restart() -> anyhow::Result<()> {
    let mut server = TestServer::start(&[("UPLOAD_SWEEP_AFTER_SECS", "1")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let lines = 400_000;
    let file = ledger(lines);
    let db = server.db().await?;

    let sending = {
        let (client, url, bytes) = (ana.clone(), server.url("/api/v1/uploads"), file.clone());
        tokio::spawn(async move {
            let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("ledger.csv"));
            client.post(url).multipart(form).send().await
        })
    };
    // Mid-read: the upload is recorded as being read and its rows' table exists.
    until(Duration::from_secs(60), "the ingest starting", async || {
        Ok(scalar(&db, "SELECT count(*) FROM uploads u JOIN upload_storage s ON s.upload_id = u.id WHERE u.status = 'ingesting'").await? > 0)
    })
    .await?;
    server.kill()?;
    let answer = sending.await?;
    assert!(answer.as_ref().map_or(true, |r| !r.status().is_success()), "the killed upload was not reported stored: {answer:?}");

    // After the restart the half-read upload (older than the sweep age) is removed with its
    // table and its file.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    server.spawn().await?;
    until(Duration::from_secs(20), "the sweep", async || Ok(scalar(&db, "SELECT count(*) FROM uploads").await? == 0)).await?;
    assert_eq!(scalar(&db, "SELECT count(*) FROM upload_storage").await?, 0);
    assert_eq!(scalar(&db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'upload_data'").await?, 0, "no rows table left");
    assert_eq!(scalar(&db, "SELECT count(*) FROM rejected_rows").await?, 0);

    // The same file, sent again, is stored whole: every line once.
    let ana = server.client("ana", PASSWORD).await?;
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file).file_name("ledger.csv"));
    let stored: Value = ana.post(server.url("/api/v1/uploads")).multipart(form).send().await?.error_for_status()?.json().await?;
    let listed: Vec<Value> = ana.get(server.url("/api/v1/uploads")).send().await?.error_for_status()?.json().await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0]["rows"].as_i64(), listed[0]["rejected"].as_i64()), (Some(lines as i64), Some(0)), "{stored}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'upload_data'").await?, 1);
    Ok(())
}

/// Sends `body` as one request over a raw connection, `piece` bytes every 20 ms (a slow stream),
/// with `token`; returns the status line, if an answer came.
async fn send_slowly(addr: String, token: String, body: Vec<u8>, piece: usize) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr.as_str()).await?;
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    for chunk in body.chunks(piece) {
        conn.write_all(chunk).await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string())
}

#[tokio::test]
async fn an_event_stream_killed_mid_way_and_sent_again_stores_every_event_once() -> anyhow::Result<()> {
    let mut server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let token: Value = root.post(server.url("/api/v1/tokens")).json(&serde_json::json!({ "name": "events", "scope": "admin" })).send().await?.error_for_status()?.json().await?;
    let token = token["token"].as_str().unwrap_or_default().to_string();
    let db = server.db().await?;
    const N: i64 = 60_000;
    let line = |i: i64| {
        format!(
            "{{\"id\":{i},\"timestamp\":\"2026-03-01T10:{:02}:{:02}Z\",\"user_id\":\"u{}\",\"event\":\"{}\",\"value\":{}}}\n",
            i / 60 % 60,
            i % 60,
            i % 97,
            ["view", "click", "buy"][(i % 3) as usize],
            i % 10
        )
    };
    let body: String = (1..=N).map(line).collect();
    let expected_sum: i64 = (1..=N).map(|i| i % 10).sum();

    // Sent slowly (about 3,000 events a second) so the kill lands mid-stream.
    let addr = server.base.trim_start_matches("http://").replace("localhost", "127.0.0.1");
    let sending = tokio::spawn(send_slowly(addr, token, body.clone().into_bytes(), 8 * 1024));
    until(Duration::from_secs(60), "events being stored", async || Ok(scalar(&db, "SELECT count(*) FROM events").await? >= 4_000)).await?;
    server.kill()?;
    let first = sending.await?;
    assert!(first.as_ref().map_or(true, |status| !status.contains(" 200 ")), "the killed stream was not acknowledged: {first:?}");
    let before = scalar(&db, "SELECT count(*) FROM events").await?;
    assert!(before > 0 && before < N, "the kill landed mid-stream: {before} of {N} stored");

    // A client that got no acknowledgement sends again; ids already stored are kept once.
    server.spawn().await?;
    let root = server.client("root", PASSWORD).await?;
    let report: Value = root.post(server.url("/api/v1/events")).header("content-type", "application/x-ndjson").body(body).send().await?.error_for_status()?.json().await?;
    let n = |k: &str| report[k].as_i64().unwrap_or(-1);
    println!("event stream: {before} stored before kill -9; {N} sent again: accepted {}, stored {}, duplicates {}, rejected {}", n("accepted"), n("stored"), n("duplicates"), n("rejected"));
    assert_eq!(n("accepted"), N);
    assert_eq!((n("stored"), n("duplicates"), n("rejected")), (N - before, before, 0));
    let (count, distinct, sum): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT id), coalesce(sum(value), 0)::bigint FROM events").fetch_one(&db).await?;
    assert_eq!((count, distinct, sum), (N, N, expected_sum), "every event once, values intact");
    Ok(())
}
