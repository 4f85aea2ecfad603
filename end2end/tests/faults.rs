//! Faults (seed 004 §14, issue 20): PostgreSQL stopped for 10 s while a classification run is under
//! way and people load pages. The test starts a PostgreSQL of its own so it can stop it.
//! While it is down: `/readyz` says 503 naming PostgreSQL, API calls and page loads answer a clear
//! 503 (`database_unavailable`) within seconds, never hang. When it is back, everything resumes by
//! itself: the run finishes with exactly one result per unique line.

use std::time::{Duration, Instant};

use end2end::{PrivatePostgres, TestServer, upload_dataset, wait_run};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

/// Answers within `limit`, or fails the test: a request that hangs is the fault under test.
async fn timed(req: reqwest::RequestBuilder, limit: Duration) -> anyhow::Result<(u16, Value, Duration)> {
    let start = Instant::now();
    let r = tokio::time::timeout(limit, req.send()).await.map_err(|_| anyhow::anyhow!("no answer within {limit:?}"))??;
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body, start.elapsed()))
}

/// Polls `/readyz` until it says 200, or fails after `limit` naming `what` came back.
async fn ready_again(server: &TestServer, limit: Duration, what: &str) -> anyhow::Result<()> {
    let plain = reqwest::Client::new();
    let deadline = Instant::now() + limit;
    loop {
        let (status, _, _) = timed(plain.get(server.url("/readyz")), Duration::from_secs(8)).await?;
        if status == 200 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "not ready {limit:?} after {what} came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The settings of a run slow enough to be interrupted: chunks of 10 lines, two at a time, 300 ms each.
const SLOW_RUN: [(&str, &str); 4] = [("LLM_PROVIDER", "offline"), ("LLM_CHUNK_SIZE", "10"), ("LLM_CONCURRENCY_LIMIT", "2"), ("OFFLINE_CHUNK_DELAY_MS", "300")];

/// Ana, a dataset of 400 distinct lines and a run of it that has stored at least 40 results.
async fn run_under_way(server: &TestServer) -> anyhow::Result<(reqwest::Client, Value, String)> {
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let mut csv = String::from("concepto\n");
    for i in 0..400 {
        csv.push_str(&format!("{} {i}\n", ["Taxi aeropuerto", "Factura luz", "Restaurante menú", "Papelería"][i % 4]));
    }
    let dataset = upload_dataset(server, &ana, "gastos.csv", csv.into_bytes(), "concepto").await?;
    let run: Value = ana.post(server.url("/api/v1/runs")).json(&json!({ "dataset_id": dataset["id"] })).send().await?.error_for_status()?.json().await?;
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    let under_way = wait_run(server, &ana, &run_id, Duration::from_secs(60), |r| r["done"].as_i64().unwrap_or(0) >= 40).await?;
    anyhow::ensure!(under_way["status"] == "running", "the fault must come mid-run: {under_way}");
    Ok((ana, dataset, run_id))
}

#[tokio::test]
async fn postgres_down_for_ten_seconds_is_a_clear_503_and_the_run_resumes_by_itself() -> anyhow::Result<()> {
    let pg = PrivatePostgres::start()?;
    let server = TestServer::start_on(&pg.admin_url(), &SLOW_RUN).await?;
    let (ana, _, run_id) = run_under_way(&server).await?;

    pg.down()?;
    let down_at = Instant::now();
    let plain = reqwest::Client::new();
    let (status, body, took) = timed(plain.get(server.url("/readyz")), Duration::from_secs(8)).await?;
    assert_eq!((status, body["postgres"]["status"].clone()), (503, json!("down")), "{body}");
    assert!(took < Duration::from_secs(5), "readyz answered in {took:?}");
    let (status, body, took) = timed(ana.get(server.url("/api/v1/datasets")), Duration::from_secs(9)).await?;
    assert_eq!((status, body["error"]["code"].clone()), (503, json!("database_unavailable")), "{body}");
    assert!(took < Duration::from_secs(8), "the API answered in {took:?}");
    let (status, _, took) = timed(ana.get(server.url("/datasets")), Duration::from_secs(9)).await?;
    assert_eq!(status, 503, "a page load during the outage");
    assert!(took < Duration::from_secs(8), "the page answered in {took:?}");
    // Down for 10 s in all.
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(down_at.elapsed())).await;
    pg.up()?;

    // Back: ready again, pages and the API answer, the run finishes from its checkpoints.
    ready_again(&server, Duration::from_secs(20), "PostgreSQL").await?;
    let (status, _, _) = timed(ana.get(server.url("/api/v1/datasets")), Duration::from_secs(8)).await?;
    assert_eq!(status, 200, "the API answers again, with the same session");
    let done = wait_run(&server, &ana, &run_id, Duration::from_secs(90), |r| r["status"] != "running" && r["status"] != "queued").await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!((done["done"].as_i64(), done["total"].as_i64(), done["failed"].as_i64()), (Some(400), Some(400), Some(0)), "{done}");
    let db = server.db().await?;
    let (results, distinct, lines): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT line_idx), (SELECT count(*) FROM unique_lines WHERE dataset_id = r.dataset_id)
         FROM run_results rr JOIN runs r ON r.id = rr.run_id WHERE rr.run_id = $1 GROUP BY r.dataset_id",
    )
    .bind(uuid::Uuid::parse_str(&run_id)?)
    .fetch_one(&db)
    .await?;
    assert_eq!((results, distinct, lines), (400, 400, 400), "no line lost or doubled");
    Ok(())
}

/// A Redis of the test's own on a free port, without persistence (as the service runs it).
struct PrivateRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut r = PrivateRedis { port, child: None };
        r.up()?;
        Ok(r)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn up(&mut self) -> anyhow::Result<()> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        anyhow::bail!("redis-server did not start")
    }

    fn down(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?;
            c.wait()?;
        }
        Ok(())
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.down();
    }
}

#[tokio::test]
async fn redis_down_for_ten_seconds_is_a_clear_503_caches_miss_runs_go_on_and_people_sign_in_again() -> anyhow::Result<()> {
    let mut redis = PrivateRedis::start()?;
    let url = redis.url();
    let mut env = vec![("REDIS_URL", url.as_str())];
    env.extend(SLOW_RUN);
    let server = TestServer::start(&env).await?;
    let (ana, dataset, run_id) = run_under_way(&server).await?;
    let db = server.db().await?;
    let stored = |db: sqlx::PgPool| {
        let id = uuid::Uuid::parse_str(&run_id);
        async move { Ok::<i64, anyhow::Error>(sqlx::query_scalar("SELECT count(*) FROM run_results WHERE run_id = $1").bind(id?).fetch_one(&db).await?) }
    };

    // An outside client with an API token (checked in PostgreSQL, not Redis) reads a table whose
    // pages are cached in Redis.
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let token: Value = root.post(server.url("/api/v1/tokens")).json(&json!({ "name": "outside", "scope": "read" })).send().await?.error_for_status()?.json().await?;
    let token = token["token"].as_str().unwrap_or_default().to_string();
    root.post(server.url("/api/v1/metadata/tables")).json(&json!({ "table_name": "CACHED", "cache_policy": "FullTable" })).send().await?.error_for_status()?;
    let ops: Vec<Value> = (0..30).map(|i| json!({ "type": "create", "fields": { "code": format!("C-{i:02}") } })).collect();
    root.post(server.url("/api/v1/data/CACHED/batch")).json(&json!({ "operations": ops, "on_error": "abort" })).send().await?.error_for_status()?;
    let outside = reqwest::Client::new();
    let cached_page = || outside.get(server.url("/api/v1/data/CACHED?pageSize=20")).bearer_auth(&token);
    let (status, cached, _) = timed(cached_page(), Duration::from_secs(8)).await?;
    assert_eq!(status, 200, "{cached}");

    redis.down()?;
    let down_at = Instant::now();
    let before = stored(db.clone()).await?;
    // The cache is missed, not an error: the same page, read from PostgreSQL.
    let (status, page, took) = timed(cached_page(), Duration::from_secs(9)).await?;
    assert_eq!((status, &page["rows"]), (200, &cached["rows"]), "{page}");
    assert!(took < Duration::from_secs(5), "the page without its cache took {took:?}");
    println!("a cached table's page with Redis down: {took:?}");
    let plain = reqwest::Client::new();
    let (status, body, took) = timed(plain.get(server.url("/readyz")), Duration::from_secs(8)).await?;
    assert_eq!((status, body["redis"]["status"].clone(), body["postgres"]["status"].clone()), (503, json!("down"), json!("ok")), "{body}");
    assert!(took < Duration::from_secs(5), "readyz answered in {took:?}");
    let (status, body, took) = timed(ana.get(server.url("/api/v1/datasets")), Duration::from_secs(8)).await?;
    assert_eq!((status, body["error"]["code"].clone()), (503, json!("sessions_unavailable")), "{body}");
    assert!(took < Duration::from_secs(5), "a signed-in call answered in {took:?}");
    let (status, _, took) = timed(plain.get(server.url("/login")), Duration::from_secs(8)).await?;
    assert_eq!(status, 200, "the sign-in page still loads for someone without a session");
    assert!(took < Duration::from_secs(5));
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(down_at.elapsed())).await;
    let during = stored(db.clone()).await?;
    assert!(during > before, "the run went on while Redis was down: {before} → {during}");
    redis.up()?;

    ready_again(&server, Duration::from_secs(20), "Redis").await?;
    // Sessions lived in the Redis that restarted empty: people are asked to sign in again.
    let (status, body, _) = timed(ana.get(server.url("/api/v1/datasets")), Duration::from_secs(8)).await?;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!("unauthenticated")), "{body}");
    let ana = server.client("ana", PASSWORD).await?;
    let done = wait_run(&server, &ana, &run_id, Duration::from_secs(90), |r| r["status"] != "running" && r["status"] != "queued").await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(stored(db.clone()).await?, 400, "one result per unique line");
    // The job queue works again: a new run is taken and finishes.
    let again: Value = ana.post(server.url("/api/v1/runs")).json(&json!({ "dataset_id": dataset["id"] })).send().await?.error_for_status()?.json().await?;
    let again = wait_run(&server, &ana, again["id"].as_str().unwrap_or_default(), Duration::from_secs(90), |r| r["status"] == "succeeded").await?;
    assert_eq!(again["done"], 400);
    Ok(())
}
