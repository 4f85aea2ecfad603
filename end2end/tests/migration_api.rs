//! Seed 004 §19.3 over HTTP with an API token, as an outside client would use it: a configuration,
//! `POST /migration/batch` → `{"job_id","status":"PENDING","total_records"}`, progress at
//! `GET /migration/batch/{job_id}` until it ends with processed = success + errors = total, the
//! rejected records (JSON and CSV), `POST /migration/record`, the dry run, rollback and the error
//! contract. Then SIGKILL in the middle of an import: after a restart it finishes, nothing lost or doubled.

use std::time::{Duration, Instant};

use end2end::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

struct Api {
    server: TestServer,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn start(env: &[(&str, &str)]) -> anyhow::Result<Api> {
        let server = TestServer::start(env).await?;
        server.create_user("root", "admin", PASSWORD)?;
        let session = server.client("root", PASSWORD).await?;
        let token: Value = session.post(server.url("/api/v1/tokens")).json(&json!({ "name": "imports", "scope": "admin" })).send().await?.error_for_status()?.json().await?;
        Ok(Api { token: token["token"].as_str().unwrap_or_default().to_string(), server, http: reqwest::Client::new() })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method, self.server.url(path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    /// A table ITEMS with a mandatory Decimal `price` (≥ 0) and a configuration for it; its ids.
    async fn items_table(&self) -> anyhow::Result<(String, String)> {
        use reqwest::Method as M;
        let (s, table) = self.call(M::POST, "/api/v1/metadata/tables", Some(json!({ "table_name": "ITEMS" }))).await?;
        assert_eq!(s, 201, "{table}");
        let table_id = table["id"].as_str().unwrap_or_default().to_string();
        let (s, column) = self.call(M::POST, "/api/v1/metadata/columns", Some(json!({ "column_name": "price", "data_type": "Decimal" }))).await?;
        assert_eq!(s, 201, "{column}");
        let prop = json!({ "logical_table_id": table_id, "column_definition_id": column["id"], "is_mandatory": true,
                           "validation_rule_type": "range", "validation_parameters": { "min": 0 } });
        let (s, body) = self.call(M::POST, "/api/v1/metadata/properties", Some(prop)).await?;
        assert_eq!(s, 201, "{body}");
        let cfg = json!({
            "name": "Items from the ERP", "source_type": "INLINE", "target_logical_table_id": table_id,
            "validation_level": "STRICT", "error_handling_strategy": "CONTINUE", "upsert_key": ["code"],
            "mappings": [
                { "source_field": "sku", "target_field": "code", "transformation_type": "TO_STRING", "transformation_parameters": { "trim": true }, "is_required": true },
                { "source_field": "importe", "target_field": "price", "transformation_type": "TO_NUMBER", "transformation_parameters": { "decimal_separator": "," } },
                { "source_field": "origen", "target_field": "origin", "storage_type": "JSONB" }
            ]
        });
        let (s, cfg) = self.call(M::POST, "/api/v1/migration/configurations", Some(cfg)).await?;
        assert_eq!(s, 201, "{cfg}");
        Ok((table_id, cfg["id"].as_str().unwrap_or_default().to_string()))
    }

    async fn wait_finished(&self, job_id: &str, timeout: Duration) -> anyhow::Result<Value> {
        let start = Instant::now();
        loop {
            let (s, st) = self.call(reqwest::Method::GET, &format!("/api/v1/migration/batch/{job_id}"), None).await?;
            anyhow::ensure!(s == 200, "status {s}: {st}");
            if !matches!(st["status"].as_str(), Some("PENDING" | "PROCESSING")) {
                return Ok(st);
            }
            anyhow::ensure!(start.elapsed() < timeout, "the import did not finish in {timeout:?}: {st}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn records(n: usize, bad_every: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let price = if bad_every > 0 && i % bad_every == bad_every - 1 { "-1".to_string() } else { format!("{},{:02}", i, i % 100) };
            json!({ "sku": format!(" it-{i:06} "), "importe": price, "origen": "erp" })
        })
        .collect()
}

#[tokio::test]
async fn the_seeds_migration_api_runs_a_batch_to_the_end_with_counters_that_add_up() -> anyhow::Result<()> {
    use reqwest::Method as M;
    let api = Api::start(&[]).await?;
    let (_, cfg) = api.items_table().await?;

    // A dry run first: what would happen, nothing written.
    let (s, dry) = api.call(M::POST, &format!("/api/v1/migration/configurations/{cfg}/dry_run"), Some(json!({ "source_data": records(50, 10) }))).await?;
    assert_eq!(s, 200, "{dry}");
    assert_eq!((dry["inserted_records"].as_i64(), dry["error_records"].as_i64()), (Some(45), Some(5)));
    assert_eq!(dry["errors"][0]["record_number"], 10);
    assert_eq!(dry["errors"][0]["error_type"], "rule_violated");
    let (_, page) = api.call(M::GET, "/api/v1/data/ITEMS?pageSize=10", None).await?;
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(0), "a dry run writes nothing: {page}");

    // The batch, as the seed's client starts and follows it.
    let (s, started) = api.call(M::POST, "/api/v1/migration/batch", Some(json!({ "configuration_id": cfg, "source_data": records(50, 10), "batch_size": 7 }))).await?;
    assert_eq!(s, 200, "{started}");
    assert_eq!(started["status"], "PENDING");
    assert_eq!(started["total_records"], 50);
    let job = started["job_id"].as_str().unwrap_or_default().to_string();
    let st = api.wait_finished(&job, Duration::from_secs(30)).await?;
    assert_eq!(st["status"], "PARTIALLY_SUCCEEDED", "{st}");
    let n = |k: &str| st[k].as_i64().unwrap_or(-1);
    assert_eq!((n("total_records"), n("processed_records"), n("success_records"), n("error_records")), (50, 50, 45, 5));
    assert_eq!(n("processed_records"), n("success_records") + n("error_records"));
    assert_eq!((n("inserted_records"), n("updated_records"), n("unchanged_records")), (45, 0, 0));
    assert_eq!(st["progress"], json!(1.0));
    assert!(st["started_at"].is_string() && st["completed_at"].is_string() && st["elapsed_time_seconds"].is_number(), "{st}");

    let (s, errs) = api.call(M::GET, &format!("/api/v1/migration/batch/{job}/errors"), None).await?;
    assert_eq!(s, 200);
    assert_eq!(errs["total"], 5);
    assert_eq!(errs["errors"][0]["record_identifier"], " it-000009 ");
    assert_eq!(errs["errors"][0]["field"], "price");
    let csv = api.http.get(api.server.url(&format!("/api/v1/migration/batch/{job}/errors?format=csv&sep=,&lang=en"))).bearer_auth(&api.token).send().await?;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().starts_with("text/csv"));
    let csv = csv.text().await?;
    assert_eq!(csv.trim_start_matches('\u{feff}').lines().count(), 6, "{csv}");
    assert!(csv.contains("record,field,error_type,message,sku,importe,origen"), "{csv}");

    // The same records again: unchanged, except the refused ones now fixed.
    let mut fixed = records(50, 10);
    for r in fixed.iter_mut().skip(9).step_by(10) {
        r["importe"] = json!("1,00");
    }
    let (_, again) = api.call(M::POST, "/api/v1/migration/batch", Some(json!({ "configuration_id": cfg, "source_data": fixed }))).await?;
    let again = api.wait_finished(again["job_id"].as_str().unwrap_or_default(), Duration::from_secs(30)).await?;
    assert_eq!(again["status"], "SUCCEEDED", "{again}");
    assert_eq!((again["inserted_records"].as_i64(), again["unchanged_records"].as_i64()), (Some(5), Some(45)));

    // One record at a time (seed §19.3.2).
    let (s, one) = api.call(M::POST, "/api/v1/migration/record", Some(json!({ "configuration_id": cfg, "record_data": { "sku": "one", "importe": "3,5" } }))).await?;
    assert_eq!(s, 200);
    assert_eq!(one["success"], true);
    assert!(one["target_row_id"].is_string());
    let (s, refused) = api.call(M::POST, "/api/v1/migration/record", Some(json!({ "configuration_id": cfg, "record_data": { "importe": "3" } }))).await?;
    assert_eq!(s, 200);
    assert_eq!(refused["success"], false);
    assert_eq!(refused["errors"][0], json!({ "field": "code", "error_type": "MISSING_REQUIRED_FIELD", "message": "'sku' has no value in the source" }));

    // Rollback of the second job: the five rows it inserted go, the rest stay.
    let second = again["job_id"].as_str().unwrap_or_default();
    let (s, undone) = api.call(M::POST, &format!("/api/v1/migration/batch/{second}/rollback"), None).await?;
    assert_eq!(s, 200, "{undone}");
    assert_eq!(undone, json!({ "deleted_rows": 5, "restored_rows": 0 }));
    let (s, body) = api.call(M::POST, &format!("/api/v1/migration/batch/{second}/rollback"), None).await?;
    assert_eq!((s, body["error"]["code"].as_str()), (409, Some("migration_rolled_back")));

    // The error contract.
    let (s, body) = api.call(M::POST, "/api/v1/migration/batch", Some(json!({ "configuration_id": cfg }))).await?;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("migration_source_missing")));
    let (s, body) = api.call(M::POST, "/api/v1/migration/batch", Some(json!({ "configuration_id": uuid::Uuid::new_v4(), "source_data": [{}] }))).await?;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("migration_configuration_not_found")));
    let (s, _) = api.call(M::GET, "/api/v1/migration/batch/not-a-uuid", None).await?;
    assert_eq!(s, 400);
    let (s, body) = api.call(M::GET, &format!("/api/v1/migration/batch/{}", uuid::Uuid::new_v4()), None).await?;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("migration_job_not_found")));
    let (s, body) = api.call(M::POST, "/api/v1/migration/batch", Some(json!({ "source_data": [] }))).await?;
    assert!(s == 400 || s == 422, "a missing configuration_id: {s} {body}");
    let (_, doc) = api.call(M::GET, "/api/v1/openapi.json", None).await?;
    for path in ["/api/v1/migration/batch", "/api/v1/migration/batch/{job_id}", "/api/v1/migration/record", "/api/v1/migration/configurations/{id}/dry_run"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    Ok(())
}

#[tokio::test]
async fn an_import_killed_mid_way_finishes_after_a_restart_with_nothing_lost_or_doubled() -> anyhow::Result<()> {
    use reqwest::Method as M;
    let mut api = Api::start(&[("IMPORT_LEASE_SECS", "1"), ("JSON_BODY_MAX_BYTES", "16777216")]).await?;
    let (table_id, cfg) = api.items_table().await?;
    const N: usize = 40_000;
    let (s, started) = api.call(M::POST, "/api/v1/migration/batch", Some(json!({ "configuration_id": cfg, "source_data": records(N, 1000), "batch_size": 250 }))).await?;
    assert_eq!(s, 200, "{started}");
    let job = started["job_id"].as_str().unwrap_or_default().to_string();
    loop {
        let (_, st) = api.call(M::GET, &format!("/api/v1/migration/batch/{job}"), None).await?;
        let done = st["processed_records"].as_i64().unwrap_or(0);
        anyhow::ensure!(st["status"] == "PENDING" || st["status"] == "PROCESSING", "finished before the kill: {st}");
        if done >= 2_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    api.server.kill()?;
    api.server.spawn().await?;
    let st = api.wait_finished(&job, Duration::from_secs(120)).await?;
    assert_eq!(st["status"], "PARTIALLY_SUCCEEDED", "{st}");
    let n = |k: &str| st[k].as_i64().unwrap_or(-1);
    assert_eq!((n("total_records"), n("processed_records"), n("inserted_records"), n("error_records")), (N as i64, N as i64, (N - N / 1000) as i64, (N / 1000) as i64));
    let db = api.server.db().await?;
    let physical = format!("eav.t_{}", uuid::Uuid::parse_str(&table_id)?.simple());
    let (rows, codes): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*), count(DISTINCT code) FROM {physical}"))).fetch_one(&db).await?;
    assert_eq!((rows, codes), ((N - N / 1000) as i64, (N - N / 1000) as i64), "every record once");
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM migration_errors WHERE migration_job_id = $1::uuid").bind(&job).fetch_one(&db).await?;
    assert_eq!(logged, (N / 1000) as i64, "each rejection once");
    Ok(())
}
