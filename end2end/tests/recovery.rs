//! The process-level promises: a run survives SIGTERM (finished within 10 s, work handed back) and
//! SIGKILL (resumed after restart), ending with exactly one result per line and per original row.

use std::time::Duration;

use end2end::{TestServer, upload_and_run, wait_run};

const PASSWORD: &str = "correct horse battery";

fn ledger(lines: usize) -> Vec<u8> {
    let mut csv = String::from("fecha;concepto;importe\n");
    for i in 0..lines {
        // Every 10th line repeats an earlier one, so dedup has work and results must fan back out.
        let n = if i % 10 == 9 { i - 1 } else { i };
        csv.push_str(&format!("2024-03-01;Taxi aeropuerto servicio {n};12,50\n"));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn run_survives_sigterm_and_sigkill_with_one_result_per_line() -> anyhow::Result<()> {
    // One chunk at a time, so the kills land mid-run.
    let mut server = TestServer::start(&[("OFFLINE_CHUNK_DELAY_MS", "120"), ("LLM_CHUNK_SIZE", "10"), ("LLM_CONCURRENCY_LIMIT", "1")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let client = server.client("ana", PASSWORD).await?;
    let (dataset, run) = upload_and_run(&server, &client, "ledger.csv", ledger(400), "concepto").await?;
    assert_eq!((dataset["rows"].as_i64(), dataset["unique_lines"].as_i64()), (Some(400), Some(360)));
    let run_id = run["id"].as_str().unwrap_or_default().to_string();

    // SIGTERM while running: the process is gone well within 10 s.
    wait_run(&server, &client, &run_id, Duration::from_secs(20), |r| r["done"].as_i64().unwrap_or(0) >= 30).await?;
    let took = server.terminate().await?;
    assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
    eprintln!("SIGTERM to exit: {took:?}");
    let pool = server.db().await?;
    let after_term: i64 = sqlx::query_scalar("SELECT count(*) FROM run_results").fetch_one(&pool).await?;
    assert!(after_term < 360, "the run should still have work left, has {after_term}");

    // Back up: the run was handed back and goes on; then SIGKILL in the middle.
    server.spawn().await?;
    let client = server.client("ana", PASSWORD).await?;
    wait_run(&server, &client, &run_id, Duration::from_secs(30), |r| r["done"].as_i64().unwrap_or(0) > after_term + 20).await?;
    server.kill()?;
    let after_kill: i64 = sqlx::query_scalar("SELECT count(*) FROM run_results").fetch_one(&pool).await?;
    assert!(after_kill < 360, "killed too late to prove anything: {after_kill}");

    server.spawn().await?;
    let client = server.client("ana", PASSWORD).await?;
    let done = wait_run(&server, &client, &run_id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    assert_eq!((done["done"].as_i64(), done["total"].as_i64(), done["failed"].as_i64()), (Some(360), Some(360), Some(0)));

    let per_line: Vec<(i32, i64)> = sqlx::query_as("SELECT line_idx, count(*) FROM run_results GROUP BY 1").fetch_all(&pool).await?;
    assert_eq!(per_line.len(), 360);
    assert!(per_line.iter().all(|(_, n)| *n == 1), "a line has more than one result");
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM run_chunks WHERE status = 'done'").fetch_one(&pool).await?;
    assert_eq!(chunks, 36, "every chunk stored exactly once");

    let csv = client.get(server.url(&format!("/api/v1/runs/{run_id}/results?format=csv"))).send().await?.text().await?;
    assert_eq!(csv.lines().count(), 401, "a header and one result per original row");
    assert!(csv.lines().skip(1).all(|l| l.contains("Viajes y transporte")), "taxi lines are travel");
    Ok(())
}

/// The model is an OpenAI-compatible server (started here, real HTTP) answering after 100 ms. The
/// worker is killed mid-run; after the restart the run completes, and no chunk that had been stored
/// before the kill is ever sent to the model again.
#[tokio::test]
async fn openai_run_killed_mid_way_completes_without_resending_stored_chunks() -> anyhow::Result<()> {
    let model = llm_testserver::LlmTestServer::start().await?;
    model.set_latency(Duration::from_millis(100));
    let base = model.base_url();
    let env = [("OPENAI_BASE_URL", base.as_str()), ("LLM_PROVIDER", "openai"), ("LLM_CHUNK_SIZE", "10"), ("LLM_CONCURRENCY_LIMIT", "3")];
    let mut server = TestServer::start(&env).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let client = server.client("ana", PASSWORD).await?;
    let (_, run) = upload_and_run(&server, &client, "ledger.csv", ledger(600), "concepto").await?;
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    wait_run(&server, &client, &run_id, Duration::from_secs(30), |r| r["done"].as_i64().unwrap_or(0) >= 100).await?;
    server.kill()?;

    let pool = server.db().await?;
    let stored: Vec<Vec<i32>> = sqlx::query_scalar("SELECT line_idx FROM run_chunks WHERE status = 'done'").fetch_all(&pool).await?;
    assert!(!stored.is_empty() && stored.len() < 54, "killed too early or too late: {} of 54 chunks", stored.len());
    let calls_before_restart = model.calls().len();

    server.spawn().await?;
    let client = server.client("ana", PASSWORD).await?;
    let done = wait_run(&server, &client, &run_id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    assert_eq!((done["done"].as_i64(), done["total"].as_i64(), done["missing"].as_i64()), (Some(540), Some(540), Some(0)));
    let per_line: Vec<(i32, i64)> = sqlx::query_as("SELECT line_idx, count(*) FROM run_results GROUP BY 1").fetch_all(&pool).await?;
    assert_eq!(per_line.len(), 540);
    assert!(per_line.iter().all(|(_, n)| *n == 1), "a line has more than one result");

    let resent: Vec<i64> = model.calls()[calls_before_restart..].iter().map(|c| c.row_indexes[0]).collect();
    for chunk in &stored {
        let first = chunk[0] as i64;
        assert!(!resent.contains(&first), "chunk starting at {first} was stored before the kill and sent again");
    }
    eprintln!("{} chunks stored before the kill, {} calls after the restart", stored.len(), resent.len());
    Ok(())
}

#[tokio::test]
async fn api_errors_are_json_with_the_right_status() -> anyhow::Result<()> {
    let server = TestServer::start(&[("UPLOAD_MAX_BYTES", "2000")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("vera", "viewer", PASSWORD)?;
    let anonymous = reqwest::Client::new();

    let r = anonymous.get(server.url("/api/v1/runs/00000000-0000-0000-0000-000000000000")).send().await?;
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await?;
    assert_eq!(body["error"]["code"], "unauthenticated");

    let r = anonymous.post(server.url("/api/v1/auth/login")).json(&serde_json::json!({"username": "nobody", "password": "x"})).send().await?;
    let unknown: serde_json::Value = r.json().await?;
    let r = anonymous.post(server.url("/api/v1/auth/login")).json(&serde_json::json!({"username": "ana", "password": "x"})).send().await?;
    assert_eq!(r.status(), 401);
    let wrong: serde_json::Value = r.json().await?;
    assert_eq!(unknown, wrong, "the answer must not tell whether the user exists");

    let r = anonymous.post(server.url("/api/v1/auth/login")).header("content-type", "application/json").body("{not json").send().await?;
    assert!(r.status() == 400 || r.status() == 422, "{}", r.status());
    assert!(r.json::<serde_json::Value>().await?["error"]["message"].is_string());

    let ana = server.client("ana", PASSWORD).await?;
    let upload = |name: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        ana.post(server.url("/api/v1/uploads")).multipart(form).send()
    };
    let r = upload("notes.pdf", b"%PDF-1.4".to_vec()).await?;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await?;
    assert_eq!((body["error"]["code"].as_str(), body["error"]["details"]["file"].as_str()), (Some("unreadable_file"), Some("notes.pdf")));
    let r = upload("big.csv", vec![b'a'; 10_000]).await?;
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<serde_json::Value>().await?["error"]["code"], "upload_too_large");

    let r = ana.post(server.url("/api/v1/datasets")).json(&serde_json::json!({"upload_id": "00000000-0000-0000-0000-000000000000", "description_column": "x"})).send().await?;
    assert_eq!(r.status(), 404);

    let vera = server.client("vera", PASSWORD).await?;
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"a\n1\n".to_vec()).file_name("a.csv"));
    let r = vera.post(server.url("/api/v1/uploads")).multipart(form).send().await?;
    assert_eq!(r.status(), 403, "viewers cannot upload");

    let pool = server.db().await?;
    let uploads: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads").fetch_one(&pool).await?;
    assert_eq!(uploads, 0, "refused uploads leave nothing behind");

    let openapi: serde_json::Value = anonymous.get(server.url("/api/v1/openapi.json")).send().await?.json().await?;
    for path in ["/api/v1/auth/login", "/api/v1/uploads", "/api/v1/datasets", "/api/v1/datasets/{id}/rows", "/api/v1/prompts", "/api/v1/runs", "/api/v1/runs/{id}/results"] {
        assert!(openapi["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    let metrics = anonymous.get(server.url("/metrics")).send().await?.text().await?;
    assert!(metrics.contains("http_requests_total") && metrics.contains("http_request_duration_seconds_bucket"));
    Ok(())
}
